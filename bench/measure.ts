// The measuring loop of one scenario: for each round, each proxy in turn (A, B, A, B) gets a warm-up
// run that is thrown away, then a measured run watched by the sampler. Other processes on the machine
// are the main source of error (on two cores, another process on the proxy's CPU halves its throughput
// for as long as it runs; docs/benchmarks.md), so the loop waits for a quiet moment before each run and
// repeats a measured run during which others took CPU anyway (up to `retries` times). If every attempt
// was disturbed, the least disturbed one counts.
import { runLoad, type LoadResult } from './load.ts';
import { h2Preflight } from './h2load.ts';
import { httpRequest, LOOPBACK } from './net.ts';
import { watchMachineLoad } from './machine-load.ts';
import { cpuSecondsOf } from './procfs.ts';
import { startSampler, type ProcessRole, type SideView } from './sampler.ts';
import { PLACEMENT, type ProxyName, type Scenario } from './scenarios.ts';

export interface MeasureSettings {
  durationSec: number;
  warmupSec: number;
  rounds: number;
  retries: number;
  /** a measured run is "disturbed" when other processes used more CPU than this (in CPUs) on average */
  maxOtherCpu: number;
  /** longest wait for a quiet second before a run, in seconds (0: none) */
  quietWaitSec: number;
}

/** A running proxy, as the loop needs it. */
export interface ProxyTarget {
  readonly name: ProxyName;
  readonly port: number;
  /** the TLS port (HTTP/2 by ALPN, self-signed certificate) */
  readonly tlsPort: number;
  /** the HTTP/2 cleartext (prior knowledge) port */
  readonly h2cPort: number;
  /** processes whose memory is its footprint, with their role ("primary", "worker", "process") */
  memoryProcesses(): ProcessRole[];
  /** throws if the process has died */
  checkAlive(): void;
}

export interface RunRecord {
  proxy: ProxyName;
  round: number;
  attempt: number;
  load: LoadResult;
  side: SideView;
  disturbed: boolean;
  /**
   * CPU time the proxy's processes used per request during the run, in microseconds. Unlike req/s it
   * hardly depends on how much of the machine others took, so it compares proxies on a busy machine.
   */
  cpuUsPerRequest: number;
  /** whether the run counts: of the attempts of one round, the clean one, or else the least disturbed */
  kept: boolean;
}

export interface MeasureContext {
  upstreamPort: number;
  log: (line: string) => void;
}

/**
 * One request through the proxy before any load: a proxy that answers 404, redirects or truncates would
 * otherwise produce fine-looking numbers (wrk counts 3xx as success and never checks body sizes).
 */
export async function checkScenario(scenario: Scenario, target: ProxyTarget): Promise<void> {
  const body = scenario.bodyBytes > 0 ? Buffer.alloc(scenario.bodyBytes, 'x') : undefined;
  const res = scenario.tls || scenario.h2c
    ? await h2Preflight(scenarioUrl(scenario, target), scenario.method, scenario.headers ?? {}, body)
    : await httpRequest(target.port, scenario.method, scenario.path, body, scenario.headers ?? {});
  if (res.status !== 200 || res.body.length !== scenario.responseBytes) {
    throw new Error(
      `${target.name} ${scenario.method} ${scenario.path}: expected 200 with ${scenario.responseBytes} body bytes, ` +
        `got ${res.status} with ${res.body.length}: ${res.body.subarray(0, 200).toString('utf8')}`,
    );
  }
}

function scenarioUrl(scenario: Scenario, target: ProxyTarget): string {
  if (scenario.tls) return `https://${LOOPBACK}:${target.tlsPort}${scenario.path}`;
  return `http://${LOOPBACK}:${scenario.h2c ? target.h2cPort : target.port}${scenario.path}`;
}

export async function measureScenario(
  scenario: Scenario,
  targets: readonly ProxyTarget[],
  settings: MeasureSettings,
  ctx: MeasureContext,
): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    for (const target of targets) {
      const url = scenarioUrl(scenario, target);
      const attempts: RunRecord[] = [];
      for (let attempt = 1; ; attempt++) {
        await waitForQuiet(settings.maxOtherCpu, settings.quietWaitSec * 1000, ctx.log);
        if (settings.warmupSec > 0) await runLoad(scenario, url, settings.warmupSec, PLACEMENT.load);
        target.checkAlive();
        const pids = target.memoryProcesses().map((p) => p.pid);
        const cpuBefore = cpuSecondsOf(pids);
        const sampler = await startSampler({
          upstreamPort: ctx.upstreamPort,
          memoryProcesses: scenario.sampleMemory ? () => target.memoryProcesses() : undefined,
        });
        const load = await runLoad(scenario, url, settings.durationSec, PLACEMENT.load);
        const side = await sampler.stop();
        const cpuUsPerRequest = load.requests > 0 ? ((cpuSecondsOf(pids) - cpuBefore) * 1e6) / load.requests : NaN;
        target.checkAlive();
        const disturbed = side.otherCpu > settings.maxOtherCpu;
        const record: RunRecord = { proxy: target.name, round, attempt, load, side, disturbed, cpuUsPerRequest, kept: false };
        attempts.push(record);
        ctx.log(describeRun(scenario, record));
        if (!disturbed || attempt > settings.retries) break;
        ctx.log(`  other processes used ${pct(side.otherCpu)} of a CPU (${topOthers(side)}): measuring again`);
      }
      // the clean run, or else the least disturbed one: the closest to the proxy having its core alone
      attempts.reduce((best, r) => (r.side.otherCpu < best.side.otherCpu ? r : best)).kept = true;
      records.push(...attempts);
    }
  }
  return records;
}

const QUIET_WINDOW_MS = 1000;

/** Waits, at most `waitMs`, for a one-second window in which other processes use at most `maxOtherCpu`. */
async function waitForQuiet(maxOtherCpu: number, waitMs: number, log: (line: string) => void): Promise<void> {
  if (waitMs === 0) return;
  const deadline = Date.now() + waitMs;
  for (let said = false; ; said = true) {
    const watch = watchMachineLoad();
    await new Promise((r) => setTimeout(r, QUIET_WINDOW_MS));
    const load = watch.stop();
    if (load.otherCpu <= maxOtherCpu) return;
    if (Date.now() > deadline) {
      log(`  the machine stayed busy for ${waitMs / 1000} s; measuring anyway`);
      return;
    }
    if (!said) {
      const who = load.topOthers.map((o) => `${o.comm} ${pct(o.cpu)}`).join(', ');
      log(`  waiting for other processes to quiet down (${who})`);
    }
  }
}

function pct(cpu: number): string {
  return `${Math.round(cpu * 100)}%`;
}

function topOthers(side: SideView): string {
  const seen = new Set(side.intervals.flatMap((i) => i.others));
  return [...seen].slice(0, 4).join(', ') || 'short-lived processes';
}

function describeRun(scenario: Scenario, r: RunRecord): string {
  const flags = [
    r.disturbed ? `disturbed: others ${pct(r.side.otherCpu)} CPU` : '',
    r.load.failures > 0 ? `${r.load.failures} failed requests` : '',
  ].filter(Boolean);
  return (
    `  ${scenario.name} ${r.proxy.padEnd(7)} round ${r.round}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}: ` +
    `${Math.round(r.load.requestsPerSec)} req/s, p50 ${r.load.latencyMs.p50.toFixed(2)} ms, p99 ${r.load.latencyMs.p99.toFixed(2)} ms, ` +
    `${r.cpuUsPerRequest.toFixed(1)} CPU µs/req` +
    (flags.length ? `  [${flags.join('; ')}]` : '')
  );
}
