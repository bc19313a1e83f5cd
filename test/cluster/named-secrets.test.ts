// Secrets that are not certificates, in cluster mode: read one by one while the configuration names
// them (basic auth users of tideway.dev/auth-basic-secret, of ingress-nginx's auth-secret and of
// Middleware objects), followed as they change, dropped when deleted or no longer named; a Secret nothing
// names is never asked for.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiServer, type JsonObject } from '../support/kube-api/index.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { kube, startClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';
import { request } from '../support/gateway.ts';
import { objectKey } from '../../src/kube/types.ts';

const NS = 'shop';
// {SHA} htpasswd lines (base64 of the password's SHA-1).
const HELLO = 'alice:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00='; // password "hello"
const WORLD = 'alice:{SHA}fCEUM/AgcVl3Qeb/Wo6jR4mrv0M='; // password "world"

function opaqueSecret(name: string, htpasswd: string): JsonObject {
  return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace: NS }, data: { auth: Buffer.from(`${htpasswd}\n`).toString('base64') } };
}

function ingress(name: string, host: string, annotations: Record<string, string>, className = 'tideway'): JsonObject {
  const ing = kube.ingress(NS, name, host, [{ path: '/', service: 'web' }], { className }) as JsonObject & { metadata: Record<string, unknown> };
  ing.metadata.annotations = annotations;
  return ing;
}

const basic = (password: string): string => `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`;

describe('cluster mode: Secrets named by the configuration are read by name', () => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  let gw: ClusterGateway;
  let web: TestBackend;

  const status = async (host: string, password?: string): Promise<number> =>
    (await request(gw.port, { path: '/', headers: { host, ...(password === undefined ? {} : { authorization: basic(password) }) } })).status;
  const secretCalls = (name: string) => api.requestsMatching({ resource: 'secrets' }).filter((r) => r.query.get('fieldSelector')?.includes(`metadata.name=${name}`));
  const held = (name: string): boolean => gw.gateway.control.store.get(objectKey('Secret', NS, name)) !== undefined;

  before(async () => {
    await api.start();
    web = await startBackend('web-1');
    api.create(kube.ingressClass('tideway'));
    api.create(kube.ingressClass('nginx', false, 'k8s.io/ingress-nginx'));
    api.create(kube.service(NS, 'web'));
    api.create(kube.endpointSlice(NS, 'web-a', 'web', web.port, ['127.0.0.1']));
    api.create(opaqueSecret('users', HELLO));
    api.create(opaqueSecret('never-named', HELLO));
    // Named before the gateway starts: part of the first full sync.
    api.create(ingress('auth', 'auth.test', { 'tideway.dev/auth-basic-secret': 'users' }));
    gw = await startClusterGateway(api, ['--ingress-nginx-compat', '--update-status', 'false']);
    await gw.until('first snapshot', () => gw.gateway.control.ready);
  });
  after(async () => {
    await gw?.close();
    await web?.close();
    await api.close();
  });

  test('tideway.dev/auth-basic-secret naming an Opaque Secret: 401 without credentials, 200 with them, from the first table', async () => {
    assert.equal(await status('auth.test'), 401);
    assert.equal(await status('auth.test', 'wrong'), 401);
    assert.equal(await status('auth.test', 'hello'), 200);
    const calls = secretCalls('users');
    assert.ok(calls.some((r) => r.verb === 'list') && calls.some((r) => r.verb === 'watch'), 'listed and watched by name');
    for (const call of calls) {
      assert.equal(call.namespace, NS);
      assert.equal(call.query.get('fieldSelector'), 'metadata.name=users,type!=kubernetes.io/tls');
    }
  });

  test('a new password set through the API is served; the old one is refused', async () => {
    api.update(opaqueSecret('users', WORLD));
    await gw.until('the new password', async () => (await status('auth.test', 'world')) === 200);
    assert.equal(await status('auth.test', 'hello'), 401);
  });

  test('the Secret deleted: the routes fail closed, and serve again when it comes back', async () => {
    api.delete(opaqueSecret('users', WORLD));
    await gw.until('the routes fail closed', async () => (await status('auth.test', 'world')) >= 500);
    assert.equal(await status('auth.test'), (await status('auth.test', 'world')));
    assert.ok(gw.gateway.control.currentDiagnostics.some((d) => d.object === `${NS}/auth` && d.severity === 'error'), 'an error names the Ingress');
    api.create(opaqueSecret('users', HELLO));
    await gw.until('served again', async () => (await status('auth.test', 'hello')) === 200);
  });

  test('ingress-nginx\'s auth-secret ("namespace/name") is read by name through the same path', async () => {
    api.create(opaqueSecret('nginx-users', WORLD));
    api.create(ingress('nginx-auth', 'nginx.test', {
      'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': `${NS}/nginx-users`,
    }, 'nginx'));
    await gw.until('the nginx Ingress asks for credentials', async () => (await status('nginx.test')) === 401);
    assert.equal(await status('nginx.test', 'world'), 200);
    api.update(opaqueSecret('nginx-users', HELLO));
    await gw.until('the new password', async () => (await status('nginx.test', 'hello')) === 200);
    assert.equal(await status('nginx.test', 'world'), 401);
  });

  test('a Middleware object\'s basicAuth Secret is read by name', async () => {
    api.create(opaqueSecret('mw-users', HELLO));
    api.create({ apiVersion: 'tideway.dev/v1alpha1', kind: 'Middleware', metadata: { name: 'login', namespace: NS }, spec: { basicAuth: { secret: 'mw-users' } } });
    api.create(ingress('mw-auth', 'mw.test', { 'tideway.dev/middlewares': 'login' }));
    await gw.until('the Middleware asks for credentials', async () => (await status('mw.test')) === 401);
    assert.equal(await status('mw.test', 'hello'), 200);
  });

  test('a Secret no longer named is no longer watched nor held; one never named is never asked for', async () => {
    assert.ok(held('mw-users'));
    const watches = api.openWatches('secrets');
    api.delete({ apiVersion: 'tideway.dev/v1alpha1', kind: 'Middleware', metadata: { name: 'login', namespace: NS } });
    await gw.until('mw-users dropped', () => !held('mw-users'));
    await gw.until('its watch closed', () => api.openWatches('secrets') === watches - 1);
    // Named by two objects: still held while one of them names it.
    api.create(ingress('auth-2', 'auth2.test', { 'tideway.dev/auth-basic-secret': 'users' }));
    await gw.until('auth-2 served', async () => (await status('auth2.test')) === 401);
    api.delete(ingress('auth-2', 'auth2.test', {}));
    await gw.until('auth-2 gone', async () => (await status('auth2.test')) === 404);
    assert.equal(await status('auth.test', 'hello'), 200);
    assert.ok(held('users'));

    assert.deepEqual(secretCalls('never-named'), []);
    assert.equal(held('never-named'), false);
    // Every Secret request is either the TLS list or one named Secret.
    for (const call of api.requestsMatching({ resource: 'secrets' })) {
      const selector = call.query.get('fieldSelector') ?? '';
      assert.ok(selector === 'type=kubernetes.io/tls' || /^metadata\.name=[a-z0-9-]+,type!=kubernetes\.io\/tls$/.test(selector), selector);
    }
  });

  test('a cross-namespace reference without --allow-cross-namespace is not fetched', async () => {
    api.create(ingress('cross', 'cross.test', { 'tideway.dev/auth-basic-secret': 'other/users' }));
    await gw.until('the Ingress fails closed', async () => (await status('cross.test')) >= 500);
    assert.deepEqual(api.requestsMatching({ resource: 'secrets', namespace: 'other' }), []);
  });
});
