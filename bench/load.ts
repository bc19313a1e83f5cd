// One measured (or warm-up) burst of load, whatever the tool. Each tool maps its own report onto
// LoadResult: wrk (wrk.ts) for HTTP/1.1, h2load (h2load.ts) for HTTP/2 and gRPC.
import type { Scenario } from './scenarios.ts';
import { runWrk, type WrkResult } from './wrk.ts';
import { runH2load, type H2loadResult } from './h2load.ts';

export interface LoadResult {
  requestsPerSec: number;
  latencyMs: { p50: number; p99: number };
  requests: number;
  /** socket errors, timeouts and responses that were not 2xx/3xx */
  failures: number;
  /** the tool's own full result */
  raw: WrkResult | H2loadResult;
}

export async function runLoad(scenario: Scenario, url: string, durationSec: number, cpus: string): Promise<LoadResult> {
  switch (scenario.load.tool) {
    case 'wrk': {
      const raw = await runWrk({
        url,
        cpus,
        threads: scenario.load.threads,
        connections: scenario.load.connections,
        durationSec,
        method: scenario.method,
        bodyBytes: scenario.bodyBytes,
        headers: scenario.headers ?? {},
      });
      const e = raw.socketErrors;
      return {
        requestsPerSec: raw.requestsPerSec,
        latencyMs: { p50: raw.latencyMs.p50, p99: raw.latencyMs.p99 },
        requests: raw.requests,
        failures: e.connect + e.read + e.write + e.timeout + raw.non2xx3xx,
        raw,
      };
    }
    case 'h2load': {
      const raw = await runH2load({
        url,
        cpus,
        clients: scenario.load.connections,
        streams: scenario.load.streams,
        durationSec,
        bodyBytes: scenario.bodyBytes,
        headers: scenario.headers ?? {},
      });
      return {
        requestsPerSec: raw.requestsPerSec,
        latencyMs: { p50: raw.latencyMs.p50, p99: raw.latencyMs.p99 },
        requests: raw.requests,
        failures: raw.failed + raw.non2xx3xx,
        raw,
      };
    }
  }
}

/** The external tools a scenario needs. */
export function toolsFor(scenario: Scenario): string[] {
  // openssl makes nginx's certificate for the TLS port
  return scenario.tls ? [scenario.load.tool, 'openssl'] : [scenario.load.tool];
}
