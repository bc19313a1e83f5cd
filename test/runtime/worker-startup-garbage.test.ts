// Workers return their start-up garbage before the gateway reports ready (src/runtime/startup-garbage.ts):
// each worker runs one memory-reducing collection after its first route table and logs it, V8's young
// generation is down to its minimum, the process's RSS went down, and the `gc` function the primary
// exposes for it is out of reach by the time plugins load. Workers run with the data plane's V8 flags
// (src/runtime/v8-flags.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { startWorkersCli, waitFor, type CliProcess } from '../support/cli-process.ts';

/** A plugin that refuses to load where it can call the collector (the worker would then never be ready). */
const GC_PROBE_PLUGIN = `export default function gcProbe(api) {
  if (typeof globalThis.gc === 'function') throw new Error('plugins can call gc()');
  api.register({ type: 'gc-probe', create: () => (ctx, next) => next() });
}
`;

interface StartupGarbageLine {
  pid: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  newSpaceMb: number;
  ms: number;
}

describe('worker start-up garbage', () => {
  let dir = '';
  let backend: TestBackend;
  let cli: CliProcess;
  let httpPort = 0;

  before(async () => {
    backend = await startBackend('b');
    dir = await mkdtemp(path.join(tmpdir(), 'tideway-startup-garbage-'));
    const manifests = path.join(dir, 'manifests');
    await mkdir(manifests);
    await writeFile(path.join(manifests, 'class.yaml'), ingressClassYaml());
    await writeFile(path.join(manifests, 'svc.yaml'), serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }));
    await writeFile(path.join(manifests, 'ing.yaml'), ingressYaml({ name: 'web', host: 'a.test', paths: [{ path: '/', service: 'web' }] }));
    const plugin = path.join(dir, 'gc-probe.mjs');
    await writeFile(plugin, GC_PROBE_PLUGIN);
    ({ cli, httpPort } = await startWorkersCli(manifests, 60_000, ['--log-level', 'debug', '--plugin', plugin]));
  });
  after(async () => {
    if (cli?.child.exitCode === null) cli.child.kill('SIGTERM');
    await cli?.exited;
    await backend?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const lines = (): StartupGarbageLine[] =>
    cli.output().split('\n').filter((line) => line.includes('worker returned its start-up garbage')).map((line) => JSON.parse(line) as StartupGarbageLine);

  test('each worker collects once before it serves, and gives memory back', async () => {
    // The lines travel through a pipe, readiness through IPC: wait for both lines, boundedly.
    await waitFor(() => lines().length >= 2, 10_000, 'both workers to log their start-up collection');
    const reported = lines();
    assert.equal(reported.length, 2);
    assert.notEqual(reported[0]!.pid, reported[1]!.pid);
    for (const line of reported) {
      assert.ok(line.newSpaceMb <= 1, `young generation left at ${line.newSpaceMb} MiB`);
      assert.ok(line.rssAfterMb < line.rssBeforeMb, `RSS ${line.rssBeforeMb} -> ${line.rssAfterMb} MiB`);
      assert.ok(line.ms >= 0);
    }
    assert.equal((await request(httpPort, { headers: { host: 'a.test' } })).status, 200);
  });

  test('the plugin loaded in both workers without reaching gc()', () => {
    assert.doesNotMatch(cli.output(), /plugins can call gc/);
  });

  test("workers run with the data plane's V8 flags; the primary with V8's defaults", async () => {
    const pid = cli.child.pid!;
    const workers = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/);
    assert.equal(workers.length, 2);
    const args = async (p: string | number): Promise<string[]> => (await readFile(`/proc/${p}/cmdline`, 'utf8')).split('\0');
    for (const worker of workers) {
      const argv = await args(worker);
      assert.ok(argv.includes('--no-allocation-site-pretenuring'), `worker ${worker}: ${argv.join(' ')}`);
      assert.ok(argv.includes('--expose-gc'), `worker ${worker}: ${argv.join(' ')}`);
    }
    assert.ok(!(await args(pid)).includes('--no-allocation-site-pretenuring'));
  });
});
