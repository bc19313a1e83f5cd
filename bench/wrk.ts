// Runs wrk pinned to a CPU and turns its text report into numbers.
import { fileURLToPath } from 'node:url';
import { spawnTracked } from './lifecycle.ts';
import { toolPath } from './tools.ts';

export interface WrkResult {
  requestsPerSec: number;
  /** latency percentiles in milliseconds, from wrk's "Latency Distribution" (needs --latency) */
  latencyMs: { p50: number; p75: number; p90: number; p99: number };
  latencyMaxMs: number;
  requests: number;
  durationSec: number;
  /** Socket errors: connect, read, write, timeout (all 0 when wrk prints no such line) */
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** responses whose status was neither 2xx nor 3xx */
  non2xx3xx: number;
}

export class WrkParseError extends Error {
  readonly output: string;
  constructor(message: string, output: string) {
    super(`wrk output: ${message}\n--- output ---\n${output}`);
    this.name = 'WrkParseError';
    this.output = output;
  }
}

// wrk prints durations with the units of its units.c: us, ms, s, m, h
const TIME_UNIT_NS: Readonly<Record<string, number>> = { us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const TIME = String.raw`(\d+(?:\.\d+)?)(us|ms|s|m|h)`;

/** Milliseconds, rounded to whole nanoseconds so that "477.00us" is exactly 0.477. */
function toMs(value: string, unit: string): number {
  return Math.round(Number(value) * TIME_UNIT_NS[unit]!) / 1e6;
}

export function parseWrkOutput(output: string): WrkResult {
  const rps = /^Requests\/sec:\s+(\d+(?:\.\d+)?)\s*$/m.exec(output);
  if (!rps) throw new WrkParseError('no "Requests/sec:" line', output);
  const distribution = output.split(/^\s*Latency Distribution\s*$/m)[1];
  if (distribution === undefined) throw new WrkParseError('no "Latency Distribution" section (was --latency given?)', output);
  const percentile = (p: number): number => {
    const m = new RegExp(String.raw`^\s+${p}%\s+${TIME}\s*$`, 'm').exec(distribution);
    if (!m) throw new WrkParseError(`no ${p}% line in the latency distribution`, output);
    return toMs(m[1]!, m[2]!);
  };
  const latencyLine = new RegExp(String.raw`^\s+Latency\s+${TIME}\s+${TIME}\s+${TIME}`, 'm').exec(output);
  if (!latencyLine) throw new WrkParseError('no "Latency" thread-stats line', output);
  const total = new RegExp(String.raw`^\s+(\d+) requests in ${TIME}`, 'm').exec(output);
  if (!total) throw new WrkParseError('no "N requests in T" line', output);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requestsPerSec: Number(rps[1]),
    latencyMs: { p50: percentile(50), p75: percentile(75), p90: percentile(90), p99: percentile(99) },
    latencyMaxMs: toMs(latencyLine[5]!, latencyLine[6]!),
    requests: Number(total[1]),
    durationSec: toMs(total[2]!, total[3]!) / 1000,
    socketErrors: {
      connect: Number(errors?.[1] ?? 0),
      read: Number(errors?.[2] ?? 0),
      write: Number(errors?.[3] ?? 0),
      timeout: Number(errors?.[4] ?? 0),
    },
    non2xx3xx: Number(non2xx?.[1] ?? 0),
  };
}

export interface WrkOptions {
  url: string;
  /** CPU list for taskset -c, e.g. "1" or "0,1" */
  cpus: string;
  threads: number;
  connections: number;
  durationSec: number;
  method: string;
  bodyBytes: number;
  contentType?: string;
  /** extra request headers (wrk -H) */
  headers?: Readonly<Record<string, string>>;
}

const REQUEST_SCRIPT = fileURLToPath(new URL('./request.lua', import.meta.url));

function wrkArgs(opts: WrkOptions): string[] {
  const args = ['-c', opts.cpus, toolPath('wrk'), `-t${opts.threads}`, `-c${opts.connections}`, `-d${opts.durationSec}s`, '--latency'];
  if (opts.method !== 'GET' || opts.bodyBytes > 0) args.push('-s', REQUEST_SCRIPT);
  for (const [name, value] of Object.entries(opts.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(opts.url);
  return args;
}

export async function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const env = {
    ...process.env,
    BENCH_METHOD: opts.method,
    BENCH_BODY_BYTES: String(opts.bodyBytes),
    BENCH_CONTENT_TYPE: opts.contentType ?? 'application/octet-stream',
  };
  const proc = spawnTracked('wrk', toolPath('taskset'), wrkArgs(opts), env);
  await proc.exited;
  if (proc.child.exitCode !== 0) throw new Error(`wrk failed (code ${proc.child.exitCode}, signal ${proc.child.signalCode}):\n${proc.output()}`);
  return parseWrkOutput(proc.output());
}
