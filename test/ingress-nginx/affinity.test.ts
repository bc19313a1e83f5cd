// ingress-nginx's cookie affinity through the gateway: the Set-Cookie attributes its session-cookie-*
// annotations ask for, stickiness to one endpoint of a two-endpoint Service, and a move to a live
// endpoint (with a new cookie) when the pinned one is down.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressYaml, serviceYaml } from '../support/manifests.ts';

const N = 'nginx.ingress.kubernetes.io/';
const NGINX_CLASS = stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });

describe('ingress-nginx affinity through the gateway', () => {
  let gw: RunningGateway;
  let a: TestBackend;
  let b: TestBackend;
  let c: TestBackend;
  let d: TestBackend;

  before(async () => {
    [a, b, c, d] = await Promise.all([startBackend('a'), startBackend('b'), startBackend('c'), startBackend('d')]);
    const site = (name: string, service: string, annotations: Record<string, string>) =>
      ingressYaml({ name, host: `${name}.test`, className: 'nginx', paths: [{ path: '/', service }], annotations });
    gw = await startGateway({
      'class.yaml': NGINX_CLASS,
      'svc.yaml': [
        serviceYaml({ name: 'pair', endpoints: [['127.0.0.1', a.port], ['127.0.0.1', b.port]] }),
        serviceYaml({ name: 'failover', endpoints: [['127.0.0.1', c.port], ['127.0.0.1', d.port]] }),
      ].join('---\n'),
      'ing.yaml': [
        site('plain', 'pair', { [`${N}affinity`]: 'cookie' }),
        site('tuned', 'pair', {
          [`${N}affinity`]: 'cookie', [`${N}affinity-mode`]: 'persistent', [`${N}session-cookie-name`]: 'route',
          [`${N}session-cookie-path`]: '/app', [`${N}session-cookie-domain`]: 'tuned.test', [`${N}session-cookie-max-age`]: '3600', [`${N}session-cookie-samesite`]: 'Strict', [`${N}session-cookie-secure`]: 'true',
        }),
        site('expires', 'pair', { [`${N}affinity`]: 'cookie', [`${N}session-cookie-expires`]: '120' }),
        site('failover', 'failover', { [`${N}affinity`]: 'cookie', [`${N}session-cookie-change-on-failure`]: 'true' }),
        // Two applications of one host, each with affinity on its own path.
        ingressYaml({ name: 'shop', host: 'apps.test', className: 'nginx', paths: [{ path: '/shop', service: 'pair' }], annotations: { [`${N}affinity`]: 'cookie' } }),
        ingressYaml({ name: 'blog', host: 'apps.test', className: 'nginx', paths: [{ path: '/blog', service: 'failover' }], annotations: { [`${N}affinity`]: 'cookie' } }),
      ].join('---\n'),
    }, ['--ingress-nginx-compat']);
  });
  after(async () => {
    await gw?.close();
    await Promise.all([a, b, c, d].map((s) => s?.close()));
  });

  const get = (host: string, cookie?: string) => request(gw.port, { path: '/app/x', headers: { host, ...(cookie === undefined ? {} : { cookie }) } });
  const backendOf = (res: { body: string }) => (JSON.parse(res.body) as { backend: string }).backend;
  /** The name=value part of the one Set-Cookie of an answer. */
  const cookieOf = (res: { headers: Record<string, unknown> }) => String((res.headers['set-cookie'] as string[] | undefined)?.[0] ?? '').split(';')[0]!;

  it('affinity: cookie sets INGRESSCOOKIE, a session cookie, HttpOnly, Path=/', async () => {
    const res = await get('plain.test');
    assert.equal(res.status, 200);
    const setCookie = (res.headers['set-cookie'] as string[])[0]!;
    assert.match(setCookie, /^INGRESSCOOKIE=[A-Za-z0-9_-]+; Path=\/; HttpOnly$/);
  });

  it('session-cookie-name, -path, -domain, -max-age, -samesite and -secure shape the Set-Cookie', async () => {
    const res = await get('tuned.test');
    const setCookie = (res.headers['set-cookie'] as string[])[0]!;
    assert.match(setCookie, /^route=[A-Za-z0-9_-]+;/);
    const attributes = setCookie.split('; ').slice(1).sort();
    assert.deepEqual(attributes, ['Domain=tuned.test', 'HttpOnly', 'Max-Age=3600', 'Path=/app', 'SameSite=Strict', 'Secure']);
  });

  it('without session-cookie-path, the cookie\'s Path is the Ingress path: two applications of one host keep their own cookies', async () => {
    const shop = await request(gw.port, { path: '/shop/cart', headers: { host: 'apps.test' } });
    const blog = await request(gw.port, { path: '/blog/post', headers: { host: 'apps.test' } });
    assert.match(shop.headers['set-cookie']![0]!, /^INGRESSCOOKIE=[^;]+; Path=\/shop; HttpOnly$/);
    assert.match(blog.headers['set-cookie']![0]!, /^INGRESSCOOKIE=[^;]+; Path=\/blog; HttpOnly$/);
  });

  it('session-cookie-expires becomes the cookie\'s lifetime in seconds', async () => {
    assert.match((await get('expires.test')).headers['set-cookie']![0]!, /; Max-Age=120;/);
  });

  it('requests with the cookie stick to one endpoint of two; without it they are balanced over both', async () => {
    const first = await get('plain.test');
    const cookie = cookieOf(first);
    const pinned = backendOf(first);
    for (let i = 0; i < 8; i++) {
      const res = await get('plain.test', cookie);
      assert.equal(backendOf(res), pinned);
      // The cookie already names the endpoint used: no new Set-Cookie.
      assert.equal(res.headers['set-cookie'], undefined);
    }
    // Each endpoint gets pinned clients: a cookie for the other endpoint sticks there.
    const seen = new Set<string>();
    for (let i = 0; i < 20 && seen.size < 2; i++) seen.add(backendOf(await get('plain.test')));
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  });

  it('session-cookie-change-on-failure: when the pinned endpoint is down, the request goes to the live one with a new cookie', async () => {
    let first = await get('failover.test');
    for (let i = 0; i < 20 && backendOf(first) !== 'c'; i++) first = await get('failover.test');
    assert.equal(backendOf(first), 'c');
    const cookie = cookieOf(first);
    await c.close();
    const moved = await get('failover.test', cookie);
    assert.equal(moved.status, 200);
    assert.equal(backendOf(moved), 'd');
    const renewed = cookieOf(moved);
    assert.notEqual(renewed, cookie);
    assert.equal(backendOf(await get('failover.test', renewed)), 'd');
  });
});
