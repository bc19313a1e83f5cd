// ingress-nginx's ConfigMap and class read from the Kubernetes API (the project's API test server,
// through @kubernetes/client-node), and `tideway check --ingress-nginx-compat --kubeconfig`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { CLI } from '../support/cli-process.ts';
import { kube, startClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';
import { request } from '../support/gateway.ts';
import { KubeApiServer } from '../support/kube-api/index.ts';

const N = 'nginx.ingress.kubernetes.io/';
const CONFIGMAP = 'ingress-nginx/ingress-nginx-controller';

function configMap(data: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' }, data };
}

function check(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, 'check', ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

describe('ingress-nginx settings and class from the API', () => {
  let api: KubeApiServer;
  let backend: TestBackend;
  let gw: ClusterGateway;
  /** The gateway's log lines (warnings and errors). */
  const logged: string[] = [];

  before(async () => {
    api = new KubeApiServer({ acceptLoopbackEndpoints: true });
    await api.start();
    backend = await startBackend('web');
    api.create(kube.ingressClass('nginx', false, 'k8s.io/ingress-nginx'));
    api.create(kube.service('shop', 'web'));
    api.create(kube.endpointSlice('shop', 'web-a', 'web', backend.port, ['127.0.0.1']));
    const ing = kube.ingress('shop', 'web', 'shop.test', [{ path: '/', service: 'web' }], { className: 'nginx' }) as { metadata: Record<string, unknown> };
    ing.metadata.annotations = { [`${N}limit-rps`]: '1', [`${N}limit-burst-multiplier`]: '1', [`${N}server-snippet`]: 'return 200;' };
    api.create(ing as never);
    api.create(configMap({ 'proxy-body-size': '1k', 'limit-req-status-code': '429', 'worker-processes': '4' }));
    api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ingress-nginx', name: 'unrelated' }, data: { secret: 'x' } });
    const sink = new Writable({ write(chunk: Buffer, _encoding, done) { logged.push(chunk.toString()); done(); } });
    gw = await startClusterGateway(api, ['--ingress-nginx-compat', '--ingress-nginx-configmap', CONFIGMAP, '--update-status', 'false'], { logger: pino({ level: 'warn' }, sink) });
    await gw.until('first snapshot', () => gw.gateway.control.ready);
  });
  after(async () => {
    await gw?.close();
    await backend?.close();
    await api?.close();
  });

  const post = (size: number) => request(gw.port, { method: 'POST', path: `/${size}`, headers: { host: 'shop.test', 'content-type': 'text/plain' }, body: 'x'.repeat(size) });

  it('reads only the named ConfigMap, and its settings apply; unknown keys are one warning', async () => {
    assert.equal((await post(2048)).status, 413);
    const configMapCalls = api.requestsMatching({ resource: 'configmaps' });
    assert.ok(configMapCalls.length > 0);
    for (const call of configMapCalls) {
      assert.equal(call.namespace, 'ingress-nginx');
      assert.equal(call.query.get('fieldSelector'), 'metadata.name=ingress-nginx-controller');
    }
    const warnings = gw.gateway.control.currentDiagnostics.filter((d) => d.kind === 'ConfigMap');
    assert.deepEqual(warnings.map((d) => [d.object, d.reason, d.message]), [[CONFIGMAP, 'NginxSettingsIgnored', 'keys Tideway does not use, ignored: worker-processes']]);
    // Another change is translated again: the unchanged warning is not logged a second time.
    const version = gw.gateway.snapshot.table.version;
    api.create(kube.service('shop', 'other'));
    await gw.until('the next snapshot', () => gw.gateway.snapshot.table.version > version);
    assert.equal(logged.filter((line) => line.includes('keys Tideway does not use')).length, 1);
  });

  it('a change to the ConfigMap is served without a restart; a bad value falls back to ingress-nginx\'s default', async () => {
    api.update(configMap({ 'proxy-body-size': '8k', 'limit-req-status-code': 'many' }));
    await gw.until('the new body limit', async () => (await post(2048)).status === 200);
    const error = gw.gateway.control.currentDiagnostics.find((d) => d.kind === 'ConfigMap' && d.severity === 'error');
    assert.equal(error?.field, 'data["limit-req-status-code"]');
    // ingress-nginx's default 503 for the limit, since the value is bad.
    let status = 200;
    for (let i = 0; i < 5 && status === 200; i++) status = (await request(gw.port, { path: '/', headers: { host: 'shop.test' } })).status;
    assert.equal(status, 503);
  });

  it('block-cidrs in the ConfigMap denies its clients on every Ingress', async () => {
    api.update(configMap({ 'block-cidrs': '127.0.0.0/8' }));
    await gw.until('clients of 127.0.0.0/8 refused', async () => (await request(gw.port, { path: '/', headers: { host: 'shop.test' } })).status === 403);
  });

  it('tideway check --ingress-nginx-compat --kubeconfig prints the migration report and exits 1', async () => {
    const run = await check(['--ingress-nginx-compat', '--kubeconfig', gw.kubeconfigPath]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /shop\/web +nginx\.ingress\.kubernetes\.io\/limit-rps +approximated \(how: /);
    assert.match(run.stdout, /shop\/web +nginx\.ingress\.kubernetes\.io\/limit-burst-multiplier +supported\n/);
    assert.match(run.stdout, /shop\/web +nginx\.ingress\.kubernetes\.io\/server-snippet +ignored \(why: raw nginx configuration is never executed/);
    assert.match(run.stdout, /1 supported, 1 approximated, 1 ignored; 2 would change behaviour\./);
    const bad = await check(['--ingress-nginx-configmap', 'no-slash', '--kubeconfig', gw.kubeconfigPath]);
    assert.equal(bad.code, 2);
  });
});
