// Worker processes of a multi-process gateway load the data plane only: no Kubernetes client, no YAML,
// no tracing SDK, no Redis client and no auth libraries until a route needs them, and no pino unless
// the access log is on. Each process records
// the npm packages it resolves (test/support/module-trace.ts); the primary loading yaml proves the
// recording works.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { startWorkersCli, waitFor, type CliProcess } from '../support/cli-process.ts';

const TRACE = fileURLToPath(new URL('../support/module-trace.ts', import.meta.url));
const CONTROL_PLANE_ONLY = ['@kubernetes/client-node', 'yaml', '@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-http'];
const ON_DEMAND = ['jose', 'bcryptjs', 'ioredis', 'undici', 'pino'];

const JWT_MIDDLEWARE = `apiVersion: tideway.dev/v1alpha1
kind: Middleware
metadata: {name: tokens, namespace: default}
spec:
  jwt:
    algorithms: [HS256]
    hmacSecret: {secret: jwt}
---
apiVersion: v1
kind: Secret
metadata: {name: jwt, namespace: default}
type: Opaque
stringData: {secret: ${'k'.repeat(40)}}
`;

/** A two-worker gateway of one route (host a.test) started with `flags`, whose processes record what they load. */
function tracedGateway(flags: string[]) {
  const gateway = { dir: '', log: '', manifests: '', httpPort: 0, backend: undefined as TestBackend | undefined, cli: undefined as CliProcess | undefined };
  before(async () => {
    gateway.backend = await startBackend('b');
    gateway.dir = await mkdtemp(path.join(tmpdir(), 'tideway-worker-modules-'));
    gateway.log = path.join(gateway.dir, 'modules.log');
    gateway.manifests = path.join(gateway.dir, 'manifests');
    await mkdir(gateway.manifests);
    await writeFile(path.join(gateway.manifests, 'class.yaml'), ingressClassYaml());
    await writeFile(path.join(gateway.manifests, 'svc.yaml'), serviceYaml({ name: 'web', endpoints: [['127.0.0.1', gateway.backend.port]] }));
    await writeFile(path.join(gateway.manifests, 'ing.yaml'), ingressYaml({ name: 'web', host: 'a.test', paths: [{ path: '/', service: 'web' }] }));
    const started = await startWorkersCli(gateway.manifests, 60_000, flags, { nodeArgs: ['--import', TRACE], env: { TIDEWAY_TEST_MODULE_LOG: gateway.log } });
    gateway.cli = started.cli;
    gateway.httpPort = started.httpPort;
  });
  after(async () => {
    // A graceful stop: the primary exits after its workers, which write their module lists at exit.
    if (gateway.cli?.child.exitCode === null) gateway.cli.child.kill('SIGTERM');
    await gateway.cli?.exited;
    await gateway.backend?.close();
    await rm(gateway.dir, { recursive: true, force: true });
  });
  /** The npm packages the primary or the workers resolved so far. */
  const loaded = async (role: 'primary' | 'worker'): Promise<Set<string>> => {
    const lines = (await readFile(gateway.log, 'utf8').catch(() => '')).split('\n');
    return new Set(lines.filter((l) => l.startsWith(`${role} `)).map((l) => l.slice(role.length + 1)));
  };
  return { gateway, loaded };
}

describe('modules loaded by worker processes', () => {
  const { gateway, loaded } = tracedGateway([]);
  const port = (): number => gateway.httpPort;

  test('the primary loads the control plane; workers serve without it', async () => {
    assert.equal((await request(port(), { headers: { host: 'a.test' } })).status, 200);
    const primary = await loaded('primary');
    const worker = await loaded('worker');
    assert.ok(primary.has('yaml'), `the primary parsed manifests with yaml (loaded: ${[...primary].join(', ')})`);
    for (const name of [...CONTROL_PLANE_ONLY, ...ON_DEMAND]) assert.ok(!worker.has(name), `a worker loaded ${name}`);
  });

  test('a route with a JWT middleware makes the workers load jose, and nothing else on demand', async () => {
    const manifests = gateway.manifests;
    await writeFile(path.join(manifests, 'jwt.yaml'), JWT_MIDDLEWARE);
    await writeFile(path.join(manifests, 'ing2.yaml'), ingressYaml({ name: 'api', host: 'b.test', paths: [{ path: '/', service: 'web' }], annotations: { 'tideway.dev/middlewares': 'tokens' } }));
    await waitFor(async () => (await request(port(), { headers: { host: 'b.test' } })).status === 401, 5000, 'the JWT route to refuse a request without a token');
    const worker = await loaded('worker');
    assert.ok(worker.has('jose'));
    for (const name of ['bcryptjs', 'ioredis', 'undici', 'pino']) assert.ok(!worker.has(name), `a worker loaded ${name}`);
  });

  test("no process loads Node's bundled undici, which an ES module import of node:http brings with it", async () => {
    gateway.cli!.child.kill('SIGTERM');
    await gateway.cli!.exited;
    for (const role of ['primary', 'worker'] as const) {
      const modules = await loaded(role);
      assert.ok(modules.has('builtin:net'), `the ${role}'s built-in modules were recorded at exit`);
      assert.ok(!modules.has('builtin:internal/deps/undici/undici'), `the ${role} loaded Node's bundled undici`);
    }
  });
});

describe('modules loaded by worker processes with the access log on', () => {
  const { gateway, loaded } = tracedGateway(['--access-log', 'on']);

  test('workers load pino for the access log', async () => {
    assert.equal((await request(gateway.httpPort, { headers: { host: 'a.test' } })).status, 200);
    assert.ok((await loaded('worker')).has('pino'));
  });
});
