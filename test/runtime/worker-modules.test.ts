// Worker processes of a multi-process gateway load the data plane only: no Kubernetes client, no YAML,
// no tracing SDK, no Redis client and no auth libraries until a route needs them. Each process records
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
const ON_DEMAND = ['jose', 'bcryptjs', 'ioredis', 'undici'];

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

describe('modules loaded by worker processes', () => {
  let dir: string;
  let log: string;
  let backend: TestBackend;
  let cli: CliProcess;
  let httpPort: number;

  const loaded = async (role: 'primary' | 'worker'): Promise<Set<string>> => {
    const lines = (await readFile(log, 'utf8').catch(() => '')).split('\n');
    return new Set(lines.filter((l) => l.startsWith(`${role} `)).map((l) => l.slice(role.length + 1)));
  };

  before(async () => {
    backend = await startBackend('b');
    dir = await mkdtemp(path.join(tmpdir(), 'tideway-worker-modules-'));
    log = path.join(dir, 'modules.log');
    const manifests = path.join(dir, 'manifests');
    await mkdir(manifests);
    await writeFile(path.join(manifests, 'class.yaml'), ingressClassYaml());
    await writeFile(path.join(manifests, 'svc.yaml'), serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }));
    await writeFile(path.join(manifests, 'ing.yaml'), ingressYaml({ name: 'web', host: 'a.test', paths: [{ path: '/', service: 'web' }] }));
    ({ cli, httpPort } = await startWorkersCli(manifests, 60_000, [], { nodeArgs: ['--import', TRACE], env: { TIDEWAY_TEST_MODULE_LOG: log } }));
  });
  after(async () => {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the primary loads the control plane; workers serve without it', async () => {
    assert.equal((await request(httpPort, { headers: { host: 'a.test' } })).status, 200);
    const primary = await loaded('primary');
    const worker = await loaded('worker');
    assert.ok(primary.has('yaml'), `the primary parsed manifests with yaml (loaded: ${[...primary].join(', ')})`);
    assert.ok(worker.has('pino'), 'workers log');
    for (const name of [...CONTROL_PLANE_ONLY, ...ON_DEMAND]) assert.ok(!worker.has(name), `a worker loaded ${name}`);
  });

  test('a route with a JWT middleware makes the workers load jose, and nothing else on demand', async () => {
    const manifests = path.join(dir, 'manifests');
    await writeFile(path.join(manifests, 'jwt.yaml'), JWT_MIDDLEWARE);
    await writeFile(path.join(manifests, 'ing2.yaml'), ingressYaml({ name: 'api', host: 'b.test', paths: [{ path: '/', service: 'web' }], annotations: { 'tideway.dev/middlewares': 'tokens' } }));
    await waitFor(async () => (await request(httpPort, { headers: { host: 'b.test' } })).status === 401, 5000, 'the JWT route to refuse a request without a token');
    const worker = await loaded('worker');
    assert.ok(worker.has('jose'));
    for (const name of ['bcryptjs', 'ioredis', 'undici']) assert.ok(!worker.has(name), `a worker loaded ${name}`);
  });
});
