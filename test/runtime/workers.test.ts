// The multi-process gateway (--workers 2) as a real child process: routes reach every worker, a dead
// worker is replaced, and SIGTERM drains: readiness fails at once, in-flight requests finish, exit 0.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { request } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { adminStatus, startWorkersCli, waitFor, type CliProcess } from '../support/cli-process.ts';

async function metricsText(adminPort: number): Promise<string> {
  const res = await request(adminPort, { path: '/metrics' });
  assert.equal(res.status, 200);
  return res.body;
}

/** The route-table counters of /metrics, summed over the workers. */
function tableMetrics(text: string): { deltas: number; wholeTables: number; hostsCompiled: number } {
  const value = (series: string): number => Number(text.split('\n').find((line) => line.startsWith(`${series} `))?.split(' ')[1] ?? 0);
  return { deltas: value('tideway_route_tables_applied_total{kind="delta"}'), wholeTables: value('tideway_route_tables_applied_total{kind="whole"}'), hostsCompiled: value('tideway_route_hosts_compiled_total') };
}

function workerPids(primary: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(primary)]).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('multi-process gateway', () => {
  let dir: string;
  let backend: TestBackend;
  let cli: CliProcess;
  let httpPort: number;
  let adminPort: number;

  before(async () => {
    backend = await startBackend('b');
    backend.handler = (req, res) => {
      const delay = /^\/delay\/(\d+)/.exec(req.url!);
      setTimeout(() => res.end('ok'), delay ? Number(delay[1]) : 0);
    };
    dir = await mkdtemp(path.join(tmpdir(), 'tideway-workers-'));
    await writeFile(path.join(dir, 'class.yaml'), ingressClassYaml());
    await writeFile(path.join(dir, 'svc.yaml'), serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }));
    await writeFile(path.join(dir, 'ing.yaml'), ingressYaml({ name: 'web', host: 'a.test', paths: [{ path: '/', service: 'web' }] }));
    ({ cli, httpPort, adminPort } = await startWorkersCli(dir, 15_000, ['--drain-timeout', '5s']));
  });
  after(async () => {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('two workers serve, and a manifest change reaches both', async () => {
    assert.equal(workerPids(cli.child.pid!).length, 2);
    assert.equal((await request(httpPort, { headers: { host: 'a.test' } })).status, 200);
    await writeFile(path.join(dir, 'ing2.yaml'), ingressYaml({ name: 'web2', host: 'b.test', paths: [{ path: '/', service: 'web' }] }));
    // Fresh connections are spread over both workers by the kernel: every one must see the new route.
    await waitFor(async () => (await request(httpPort, { headers: { host: 'b.test' } })).status === 200, 5000, 'the new route');
    for (let i = 0; i < 30; i++) assert.equal((await request(httpPort, { headers: { host: 'b.test' } })).status, 200, `request ${i}`);
  });

  test('an endpoint change reaches both workers as a delta that compiles no host', async () => {
    const [one, two] = [await startBackend('one'), await startBackend('two')];
    try {
      const served = async (): Promise<string[]> => {
        // Fresh connections: the kernel spreads them over both workers.
        const answers = await Promise.all(Array.from({ length: 12 }, () => request(httpPort, { headers: { host: 'moving.test' } })));
        return [...new Set(answers.map((res) => String(res.headers['x-backend'] ?? res.status)))];
      };
      await writeFile(path.join(dir, 'svc-moving.yaml'), serviceYaml({ name: 'moving', endpoints: [['127.0.0.1', one.port]] }));
      await writeFile(path.join(dir, 'ing-moving.yaml'), ingressYaml({ name: 'moving', host: 'moving.test', paths: [{ path: '/', service: 'moving' }] }));
      await waitFor(async () => (await served()).join() === 'one', 5000, 'the new route on both workers');
      const before = tableMetrics(await metricsText(adminPort));
      // Saved by rename: an in-place write can be read empty first (no objects), which is a real change.
      await writeFile(path.join(dir, 'svc-moving.yaml.tmp'), serviceYaml({ name: 'moving', endpoints: [['127.0.0.1', two.port]] }));
      await rename(path.join(dir, 'svc-moving.yaml.tmp'), path.join(dir, 'svc-moving.yaml'));
      await waitFor(async () => (await served()).join() === 'two', 5000, 'the new endpoint on both workers');
      const after = tableMetrics(await metricsText(adminPort));
      assert.ok(after.deltas >= before.deltas + 2, `each worker patched its table (${before.deltas} -> ${after.deltas} deltas)`);
      assert.equal(after.wholeTables, before.wholeTables, 'no worker compiled a whole table');
      assert.equal(after.hostsCompiled, before.hostsCompiled, 'no host was compiled for an endpoint change');
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  test('a killed worker is replaced and traffic goes on', async () => {
    const [victim] = workerPids(cli.child.pid!);
    process.kill(victim!, 'SIGKILL');
    await waitFor(() => {
      const pids = workerPids(cli.child.pid!);
      return pids.length === 2 && !pids.includes(victim!);
    }, 10_000, 'a replacement worker');
    await waitFor(async () => (await adminStatus(adminPort, '/readyz')) === 200, 10_000, 'readiness after restart');
    for (let i = 0; i < 20; i++) assert.equal((await request(httpPort, { headers: { host: 'a.test' } })).status, 200, `request ${i}`);
  });

  test('SIGTERM drains: readiness fails at once, the request in flight finishes, exit 0', async () => {
    const inFlight = request(httpPort, { path: '/delay/800', headers: { host: 'a.test' } });
    await waitFor(() => backend.received.some((r) => r.url === '/delay/800'), 2000, 'the request to reach the backend');
    cli.child.kill('SIGTERM');
    await waitFor(async () => (await adminStatus(adminPort, '/readyz')) !== 200, 2000, 'readiness to fail');
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(res.body, 'ok');
    assert.equal(await cli.exited, 0);
  });
});
