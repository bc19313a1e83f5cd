// WebSocket message throughput, Tideway against nginx: both proxy to the same echo server (bench/ws-echo.ts,
// CPU 0), each alone on CPU 1; bench/ws-load.ts (CPU 0) keeps `connections` clients in a closed loop of
// message and echo. Rounds alternate the proxies; the report gives the median per proxy and the ratio.
// Usage: node bench/websocket.ts [--duration 10] [--warmup 2] [--rounds 2] [--connections 50] [--bytes 64] [--tideway-entry bin/tideway.js]
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { installCleanupHandlers, spawnTracked, stopAll, unlessExited } from './lifecycle.ts';
import { freePort, LOOPBACK, pollUntil, portAccepts } from './net.ts';
import { startNginx } from './nginx.ts';
import { median } from './report.ts';
import { PLACEMENT } from './scenarios.ts';
import { DEFAULT_ENTRY, REPO_ROOT, startTideway } from './tideway.ts';
import { ensureTools, toolPath } from './tools.ts';
import type { WsLoadResult } from './ws-load.ts';

const run = promisify(execFile);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function load(url: string, connections: number, seconds: number, bytes: number): Promise<WsLoadResult> {
  const { stdout } = await run(toolPath('taskset'), ['-c', PLACEMENT.load, process.execPath, join(REPO_ROOT, 'bench', 'ws-load.ts'), url, String(connections), String(seconds), String(bytes)], { timeout: (seconds + 30) * 1000 });
  return JSON.parse(stdout) as WsLoadResult;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      bytes: { type: 'string', default: '64' },
      'tideway-entry': { type: 'string', default: DEFAULT_ENTRY },
    },
  });
  const [duration, warmup, rounds, connections, bytes] = [values.duration, values.warmup, values.rounds, values.connections, values.bytes].map(Number) as [number, number, number, number, number];
  ensureTools(['taskset', 'nginx', 'openssl'], log);
  const echoPort = await freePort();
  const echo = spawnTracked('ws-echo', toolPath('taskset'), ['-c', PLACEMENT.upstream, process.execPath, join(REPO_ROOT, 'bench', 'ws-echo.ts'), String(echoPort)]);
  await unlessExited(echo, pollUntil(`echo server on ${echoPort}`, 10_000, () => portAccepts(echoPort)));
  const tideway = await startTideway({
    entry: values['tideway-entry'], upstreamPort: echoPort, upstreamGrpcPort: echoPort,
    httpPort: await freePort(), httpsPort: await freePort(), adminPort: await freePort(), workers: 1, cpus: PLACEMENT.proxy,
  });
  const nginxPort = await freePort();
  await startNginx({
    name: 'proxy', role: 'proxy', port: nginxPort, cpus: PLACEMENT.proxy, workers: 1,
    ports: { tlsPort: await freePort(), h2cPort: await freePort(), upstreamPort: echoPort, upstreamGrpcPort: echoPort },
  });
  const targets = [['tideway', tideway.port], ['nginx', nginxPort]] as const;
  const results = new Map<string, WsLoadResult[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const [name, port] of targets) {
      const url = `ws://${LOOPBACK}:${port}/ws`;
      if (warmup > 0) await load(url, connections, warmup, bytes);
      const r = await load(url, connections, duration, bytes);
      log(`  websocket ${name.padEnd(7)} round ${round}: ${Math.round(r.messagesPerSec)} msg/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms${r.errors ? `, ${r.errors} errors` : ''}`);
      results.set(name, [...(results.get(name) ?? []), r]);
    }
  }
  const summary = Object.fromEntries(targets.map(([name]) => {
    const rs = results.get(name)!;
    return [name, { messagesPerSec: median(rs.map((r) => r.messagesPerSec)), p50Ms: median(rs.map((r) => r.p50Ms)), p99Ms: median(rs.map((r) => r.p99Ms)) }];
  }));
  const t = summary.tideway!;
  const n = summary.nginx!;
  process.stdout.write(
    `\nWebSocket echo, ${connections} connections, ${bytes}-byte messages, ${duration} s runs, median of ${rounds}\n` +
      `tideway  ${Math.round(t.messagesPerSec)} msg/s  p50 ${t.p50Ms.toFixed(2)} ms  p99 ${t.p99Ms.toFixed(2)} ms\n` +
      `nginx    ${Math.round(n.messagesPerSec)} msg/s  p50 ${n.p50Ms.toFixed(2)} ms  p99 ${n.p99Ms.toFixed(2)} ms\n` +
      `ratio    ${(t.messagesPerSec / n.messagesPerSec).toFixed(2)} (throughput), ${(t.p99Ms / n.p99Ms).toFixed(2)} (p99)\n`,
  );
}

installCleanupHandlers();
try {
  await main();
} catch (e) {
  process.exitCode = 1;
  log(`websocket bench failed: ${e instanceof Error ? e.message : String(e)}`);
} finally {
  await stopAll();
}
