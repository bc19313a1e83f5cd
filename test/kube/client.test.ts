// Client setup: where the configuration comes from, what happens when there is none, the per-call
// timeout, the lazy import, and error classification on the shapes the library really produces.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { callTimeout, contextNamespace, KubeConfigError, loadKubeConfig, SERVICE_ACCOUNT_DIR } from '../../src/kube/client.ts';
import { classifyKubeError, KubeStatusError } from '../../src/kube/errors.ts';
import { KubeApiServer } from '../support/kube-api/index.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tideway-kube-'));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Runs `fn` with these environment variables (and no others of the Kubernetes kind) set. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const names = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'KUBECONFIG'];
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  for (const n of names) delete process.env[n];
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const n of names) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
  }
}

async function configError(promise: Promise<unknown>): Promise<KubeConfigError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof KubeConfigError, `expected KubeConfigError, got ${err}`);
    return err;
  }
  assert.fail('expected a KubeConfigError');
}

describe('loadKubeConfig', () => {
  const server = new KubeApiServer();
  before(() => server.start());
  after(() => server.close());

  test('loads a kubeconfig file whose token the API server accepts', async () => {
    const kc = await withEnv({}, () => loadKubeConfig({ kubeconfig: write('ok.yaml', server.kubeconfig({ namespace: 'shop' })) }));
    assert.equal(contextNamespace(kc), 'shop');
    const list = await kc.makeApiClient(k8s.CoreV1Api).listServiceForAllNamespaces();
    assert.deepEqual(list.items, []);
  });

  test('falls back to $KUBECONFIG when not in a pod', async () => {
    const file = write('env.yaml', server.kubeconfig());
    const kc = await withEnv({ KUBECONFIG: `${file}${path.delimiter}/nonexistent` }, () => loadKubeConfig());
    assert.equal(kc.getCurrentCluster()?.server, server.url);
  });

  test('uses the service account when running in a pod', async () => {
    const prefix = path.join(dir, 'pod');
    const sa = path.join(prefix, SERVICE_ACCOUNT_DIR);
    mkdirSync(sa, { recursive: true });
    writeFileSync(path.join(sa, 'token'), 'sa-token');
    writeFileSync(path.join(sa, 'namespace'), 'tideway\n');
    writeFileSync(path.join(sa, 'ca.crt'), '');
    const kc = await withEnv({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: '/ignored' },
      () => loadKubeConfig({ inClusterPathPrefix: prefix }));
    assert.equal(kc.getCurrentCluster()?.server, 'https://10.96.0.1:443');
    assert.equal(contextNamespace(kc), 'tideway');
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    assert.equal((opts.headers as Record<string, unknown>).Authorization, 'Bearer sa-token');
  });

  test('nothing configured: a typed error that says what to pass', async () => {
    const err = await configError(withEnv({}, () => loadKubeConfig()));
    assert.equal(err.problem, 'NotConfigured');
    assert.match(err.message, /not running in a pod.*--kubeconfig.*--manifests/);
    const noToken = await configError(withEnv({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      () => loadKubeConfig({ inClusterPathPrefix: path.join(dir, 'empty') })));
    assert.equal(noToken.problem, 'NotConfigured', 'service host set but no token mounted');
  });

  test('bad kubeconfig files are named with what is wrong', async () => {
    const missing = await configError(loadKubeConfig({ kubeconfig: path.join(dir, 'nope.yaml') }));
    assert.equal(missing.problem, 'Unreadable');
    assert.match(missing.message, /nope\.yaml: cannot read it \(ENOENT\)/);

    const yaml = await configError(loadKubeConfig({ kubeconfig: write('bad.yaml', 'clusters: [unclosed') }));
    assert.equal(yaml.problem, 'Invalid');
    assert.match(yaml.message, /bad\.yaml: not a valid kubeconfig/);

    const good = JSON.parse(server.kubeconfig());
    const noContext = await configError(loadKubeConfig({ kubeconfig: write('ctx.yaml', JSON.stringify({ ...good, 'current-context': 'elsewhere' })) }));
    assert.match(noContext.message, /current-context "elsewhere" is not among its contexts/);

    const insecure = structuredClone(good);
    delete insecure.clusters[0].cluster['insecure-skip-tls-verify'];
    const http = await configError(loadKubeConfig({ kubeconfig: write('http.yaml', JSON.stringify(insecure)) }));
    assert.match(http.message, /plain http server .* refused unless insecure-skip-tls-verify is true/);
  });
});

describe('callTimeout and classifyKubeError', () => {
  const server = new KubeApiServer();
  let kc: k8s.KubeConfig;
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  before(async () => {
    await server.start();
    kc = new k8s.KubeConfig();
    kc.loadFromString(server.kubeconfig());
    silent = net.createServer((s) => sockets.add(s)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
    await server.close();
  });

  test('callTimeout aborts a call to a server that never answers', async () => {
    const stuck = new k8s.KubeConfig();
    stuck.loadFromString(server.kubeconfig().replace(server.url, `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`));
    const started = Date.now();
    const err = await stuck.makeApiClient(k8s.CoreV1Api).listServiceForAllNamespaces({}, callTimeout(k8s, 200)).then(() => undefined, (e: unknown) => e);
    assert.ok(Date.now() - started < 2000);
    assert.equal(classifyKubeError(err).kind, 'timeout');
  });

  test('classifies the library\'s ApiExceptions by status and reason', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const notFound = classifyKubeError(await core.readNamespacedService({ name: 'x', namespace: 'shop' }).catch((e) => e));
    assert.deepEqual([notFound.kind, notFound.code, notFound.reason, notFound.retryable], ['not-found', 404, 'NotFound', false]);
    assert.equal(notFound.message, 'HTTP 404 NotFound: services "x" not found', 'one line, not the exception dump');
    await core.createNamespacedService({ namespace: 'shop', body: { metadata: { name: 'x' } } });
    const exists = classifyKubeError(await core.createNamespacedService({ namespace: 'shop', body: { metadata: { name: 'x' } } }).catch((e) => e));
    assert.deepEqual([exists.kind, exists.reason], ['conflict', 'AlreadyExists']);
    const bad = new k8s.KubeConfig();
    bad.loadFromString(server.kubeconfig({ token: 'wrong' }));
    const unauthorized = classifyKubeError(await bad.makeApiClient(k8s.CoreV1Api).listServiceForAllNamespaces().catch((e) => e));
    assert.deepEqual([unauthorized.kind, unauthorized.code], ['unauthorized', 401]);
    server.garbageNext(1);
    assert.equal(classifyKubeError(await core.listServiceForAllNamespaces().catch((e) => e)).kind, 'bad-response');
    server.failNext(1, 503);
    assert.deepEqual(Object.values(classifyKubeError(await core.listServiceForAllNamespaces().catch((e) => e))).slice(0, 2), ['server', 503]);
  });

  test('classifies transport failures, watch errors, aborts and our own status errors', async () => {
    const refused = new k8s.KubeConfig();
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    refused.loadFromString(server.kubeconfig().replace(server.url, `http://127.0.0.1:${port}`));
    const transport = classifyKubeError(await refused.makeApiClient(k8s.CoreV1Api).listServiceForAllNamespaces().catch((e) => e));
    assert.deepEqual([transport.kind, transport.reason, transport.retryable], ['transport', 'ECONNREFUSED', true]);

    const bad = new k8s.KubeConfig();
    bad.loadFromString(server.kubeconfig({ token: 'wrong' }));
    const watchErr = await new Promise((resolve) => { void new k8s.Watch(bad).watch('/api/v1/services', {}, () => {}, resolve); });
    assert.equal(classifyKubeError(watchErr).kind, 'unauthorized');

    const controller = new AbortController();
    controller.abort();
    const aborted = await fetch(server.url, { signal: controller.signal }).catch((e) => e);
    assert.equal(classifyKubeError(aborted).kind, 'aborted');

    const expired = classifyKubeError(new KubeStatusError(410, '/api/v1/services', { reason: 'Expired', message: 'too old resource version: 1 (5)' }));
    assert.deepEqual([expired.kind, expired.message], ['expired', 'HTTP 410 Expired: too old resource version: 1 (5)']);
  });
});

test('importing the client module and the source does not load @kubernetes/client-node; loadKubeConfig does', async () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const script = `
    import { registerHooks } from 'node:module';
    let loaded = false;
    registerHooks({ resolve(specifier, context, next) { if (specifier === '@kubernetes/client-node') loaded = true; return next(specifier, context); } });
    const client = await import(${JSON.stringify(path.join(root, 'src/kube/client.ts'))});
    await import(${JSON.stringify(path.join(root, 'src/sources/kubernetes/index.ts'))});
    const before = loaded;
    await client.loadKubeConfig({ kubeconfig: ${JSON.stringify(write('lazy.yaml', server0Kubeconfig()))} });
    console.log(JSON.stringify({ before, after: loaded }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
  assert.deepEqual(JSON.parse(stdout), { before: false, after: true });
});

/** A kubeconfig that only has to parse (nothing connects to it). */
function server0Kubeconfig(): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443' } }],
    users: [{ name: 'u', user: { token: 't' } }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  });
}
