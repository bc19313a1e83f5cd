// npm run bench:callgrind -- [--entry <js>] [--path /small] [--warmup 3000] [--requests 2000]
// Instructions per request of the gateway under valgrind's callgrind: a figure that other processes on
// the machine barely move, unlike req/s and CPU time. The nginx upstream of `npm run bench` serves the
// path; the gateway (`--workers 1`, access log off) runs under callgrind; keep-alive GETs, 4 at a time:
// the warm-up ones, then the counters are zeroed, then the measured ones, then a dump. Prints the main
// thread's instructions per request (the event loop: the request path itself) and all threads' (GC
// and compiler threads too, which vary more from run to run). Compare builds run back to back.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeTempDir, spawnTracked, stopAll, installCleanupHandlers } from './lifecycle.ts';
import { freePort, httpRequest, pollUntil, LOOPBACK } from './net.ts';
import { startNginx } from './nginx.ts';
import { benchManifests, DEFAULT_ENTRY } from './tideway.ts';
import { ensureTools, toolPath } from './tools.ts';

const { values } = parseArgs({
  options: {
    entry: { type: 'string', default: DEFAULT_ENTRY },
    path: { type: 'string', default: '/small' },
    warmup: { type: 'string', default: '3000' },
    requests: { type: 'string', default: '2000' },
  },
});
const warmup = Number(values.warmup);
const requests = Number(values.requests);
if (!Number.isInteger(warmup) || warmup < 0 || !Number.isInteger(requests) || requests < 1) {
  console.error('--warmup and --requests take whole numbers (--requests at least 1)');
  process.exit(2);
}

/** Total instructions of one callgrind dump file. */
function instructions(file: string): number {
  const match = /^(?:summary|totals): (\d+)/m.exec(readFileSync(file, 'utf8'));
  return match === null ? 0 : Number(match[1]);
}

async function main(): Promise<void> {
  installCleanupHandlers();
  ensureTools(['taskset', 'nginx', 'valgrind', 'callgrind_control'], (line) => console.error(line));
  const upstreamPort = await freePort();
  await startNginx({ name: 'upstream', port: upstreamPort, cpus: '0', role: 'upstream', grpcPort: await freePort() });
  const dir = makeTempDir('callgrind');
  writeFileSync(join(dir, 'bench.yaml'), benchManifests(upstreamPort, await freePort()));
  const httpPort = await freePort();
  const adminPort = await freePort();
  const gateway = spawnTracked('tideway', toolPath('valgrind'), [
    '--tool=callgrind', '--smc-check=all-non-file', '--separate-threads=yes', `--callgrind-out-file=${join(dir, 'cg.out')}`,
    process.execPath, values.entry, '--manifests', dir, '--http-port', String(httpPort), '--admin-port', String(adminPort),
    '--workers', '1', '--access-log', 'off', '--log-level', 'warn',
  ]);
  // Under callgrind the gateway starts some 50 times slower than natively.
  await pollUntil('the gateway under callgrind to be ready', 600_000, async () => {
    try {
      return (await httpRequest(adminPort, 'GET', '/readyz')).status === 200;
    } catch {
      return false;
    }
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const get = (): Promise<void> => new Promise((resolve, reject) => {
    http.get({ host: LOOPBACK, port: httpPort, path: values.path, agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
  const run = async (count: number): Promise<void> => {
    let next = 0;
    await Promise.all([0, 1, 2, 3].map(async () => {
      while (next++ < count) await get();
    }));
  };
  await run(warmup);
  execFileSync(toolPath('callgrind_control'), ['-z', String(gateway.pid)], { stdio: 'pipe' });
  await run(requests);
  execFileSync(toolPath('callgrind_control'), ['-d', String(gateway.pid)], { stdio: 'pipe' });
  agent.destroy();
  // One file per thread of the dump: cg.out.<dump>-<thread>, thread 01 being the main thread.
  const dumps = readdirSync(dir).filter((f) => /^cg\.out\.1-\d+$/.test(f));
  const main = dumps.find((f) => f.endsWith('-01'));
  if (main === undefined) throw new Error(`no callgrind dump of the main thread in ${dir}`);
  const all = dumps.reduce((sum, f) => sum + instructions(join(dir, f)), 0);
  console.log(`${values.entry} ${values.path}: ${requests} requests after ${warmup}; instructions per request: main thread ${Math.round(instructions(join(dir, main)) / requests)}, all threads ${Math.round(all / requests)}`);
}

try {
  await main();
} finally {
  await stopAll();
}
