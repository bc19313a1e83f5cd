// Runs h2load (nghttp2) pinned to a CPU for the HTTP/2 scenarios (TLS with ALPN h2, gRPC-sized unary
// calls) and turns its report into numbers. h2load prints only the mean latency, so percentiles come
// from its per-request log (--log-file: start time, status, duration in microseconds).
import http2 from 'node:http2';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, spawnTracked } from './lifecycle.ts';
import { toolPath } from './tools.ts';

export interface H2loadResult {
  requestsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  durationSec: number;
  /** requests h2load counted as failed, errored or timed out */
  failed: number;
  /** responses whose status was neither 2xx nor 3xx */
  non2xx3xx: number;
}

export class H2loadParseError extends Error {
  readonly output: string;
  constructor(message: string, output: string) {
    super(`h2load output: ${message}\n--- output ---\n${output}`);
    this.name = 'H2loadParseError';
    this.output = output;
  }
}

/** The summary lines of h2load's report; latency is filled in from the log. */
export function parseH2loadOutput(output: string): Omit<H2loadResult, 'latencyMs'> {
  const finished = /^finished in (\d+(?:\.\d+)?)s, (\d+(?:\.\d+)?) req\/s/m.exec(output);
  if (!finished) throw new H2loadParseError('no "finished in ..., N req/s" line', output);
  const requests = /^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(output);
  if (!requests) throw new H2loadParseError('no "requests: ..." line', output);
  const codes = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m.exec(output);
  if (!codes) throw new H2loadParseError('no "status codes: ..." line', output);
  return {
    requestsPerSec: Number(finished[2]),
    requests: Number(requests[3]),
    durationSec: Number(finished[1]),
    failed: Number(requests[5]) + Number(requests[6]) + Number(requests[7]),
    non2xx3xx: Number(codes[3]) + Number(codes[4]),
  };
}

/** Latency percentiles (ms) from h2load's --log-file lines "<start us>\t<status>\t<duration us>". */
export function latencyFromLog(log: string): H2loadResult['latencyMs'] {
  const durations: number[] = [];
  for (const line of log.split('\n')) {
    const tab = line.lastIndexOf('\t');
    if (tab > 0) durations.push(Number(line.slice(tab + 1)));
  }
  if (durations.length === 0) throw new H2loadParseError('empty request log', log.slice(0, 500));
  durations.sort((a, b) => a - b);
  const at = (p: number): number => durations[Math.min(durations.length - 1, Math.ceil((p / 100) * durations.length) - 1)]! / 1000;
  return { p50: at(50), p90: at(90), p99: at(99), max: durations[durations.length - 1]! / 1000 };
}

export interface H2loadOptions {
  url: string;
  /** CPU list for taskset -c */
  cpus: string;
  clients: number;
  /** concurrent streams per client connection (-m) */
  streams: number;
  durationSec: number;
  bodyBytes: number;
  headers: Readonly<Record<string, string>>;
}

export async function runH2load(opts: H2loadOptions): Promise<H2loadResult> {
  const dir = makeTempDir('h2load');
  const logFile = join(dir, 'requests.log');
  const args = ['-c', opts.cpus, toolPath('h2load'), '-t', '1', '-c', String(opts.clients), '-m', String(opts.streams), '-D', String(opts.durationSec), `--log-file=${logFile}`];
  for (const [name, value] of Object.entries(opts.headers)) args.push('-H', `${name}: ${value}`);
  if (opts.bodyBytes > 0) {
    // -d makes every request a POST with this body.
    const bodyFile = join(dir, 'body');
    writeFileSync(bodyFile, Buffer.alloc(opts.bodyBytes, 'x'));
    args.push('-d', bodyFile);
  }
  args.push(opts.url);
  const proc = spawnTracked('h2load', toolPath('taskset'), args);
  await proc.exited;
  if (proc.child.exitCode !== 0) throw new Error(`h2load failed (code ${proc.child.exitCode}, signal ${proc.child.signalCode}):\n${proc.output()}`);
  return { ...parseH2loadOutput(proc.output()), latencyMs: latencyFromLog(readFileSync(logFile, 'utf8')) };
}

/** One HTTP/2 request (TLS not verified: the proxies serve self-signed certificates), for preflight checks. */
export function h2Preflight(url: string, method: string, headers: Readonly<Record<string, string>>, body: Buffer | undefined): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const session = http2.connect(target.origin, { rejectUnauthorized: false });
    session.on('error', reject);
    const stream = session.request({ ':method': method, ':path': target.pathname, ...headers }, { endStream: body === undefined });
    const chunks: Buffer[] = [];
    let status = 0;
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      session.close();
      resolve({ status, body: Buffer.concat(chunks) });
    });
    stream.on('error', (error) => {
      session.destroy();
      reject(error);
    });
    if (body !== undefined) stream.end(body);
  });
}
