// ingress-nginx's enable-cors and cors-* through the gateway: preflights and actual requests, origin
// lists and wildcards, credentials, expose-headers, max-age, and the defaults ingress-nginx documents.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressYaml, serviceYaml } from '../support/manifests.ts';

const N = 'nginx.ingress.kubernetes.io/';
const NGINX_CLASS = stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
const CORS_HEADERS = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers'];

describe('ingress-nginx CORS through the gateway', () => {
  let gw: RunningGateway;
  let web: TestBackend;

  before(async () => {
    web = await startBackend('web');
    // The application sets its own CORS headers: the Ingress's policy is the one browsers must see.
    web.handler = (_req, res) => res.writeHead(200, { 'access-control-allow-origin': 'https://evil.test', 'x-total': '3' }).end('ok');
    const site = (name: string, annotations: Record<string, string>) =>
      ingressYaml({ name, host: `${name}.test`, className: 'nginx', paths: [{ path: '/', service: 'web' }], annotations });
    gw = await startGateway({
      'class.yaml': NGINX_CLASS,
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
      'ing.yaml': [
        site('defaults', { [`${N}enable-cors`]: 'true' }),
        site('listed', {
          [`${N}enable-cors`]: 'true', [`${N}cors-allow-origin`]: 'https://app.test, https://*.example.com, http://localhost:3000',
          [`${N}cors-allow-methods`]: 'GET, POST', [`${N}cors-allow-headers`]: 'X-Custom, Content-Type',
          [`${N}cors-expose-headers`]: 'X-Total, X-Page', [`${N}cors-max-age`]: '600',
        }),
        site('nocreds', { [`${N}enable-cors`]: 'true', [`${N}cors-allow-origin`]: 'https://app.test', [`${N}cors-allow-credentials`]: 'false' }),
        site('off', { [`${N}cors-allow-origin`]: 'https://app.test' }),
      ].join('---\n'),
    }, ['--ingress-nginx-compat']);
  });
  after(async () => {
    await gw?.close();
    await web?.close();
  });

  const get = (host: string, origin: string, method = 'GET', extra: Record<string, string> = {}) =>
    request(gw.port, { method, path: '/x', headers: { host, origin, ...extra } });
  const preflight = (host: string, origin: string) => get(host, origin, 'OPTIONS', { 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-custom' });
  const corsOf = (res: { headers: Record<string, unknown> }) => Object.fromEntries(CORS_HEADERS.filter((h) => res.headers[h] !== undefined).map((h) => [h, res.headers[h]]));

  it('enable-cors alone: ingress-nginx\'s default origin, methods, headers and max-age', async () => {
    const res = await preflight('defaults.test', 'https://anywhere.test');
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['access-control-allow-methods'], 'GET, PUT, POST, DELETE, PATCH, OPTIONS');
    assert.equal(res.headers['access-control-allow-headers'], 'DNT, Keep-Alive, User-Agent, X-Requested-With, If-Modified-Since, Cache-Control, Content-Type, Range, Authorization');
    assert.equal(res.headers['access-control-max-age'], '1728000');
    // Browsers refuse credentials with "*" whether or not the header says true.
    assert.equal(res.headers['access-control-allow-credentials'], undefined);
    assert.equal(web.received.length, 0, 'a preflight is answered at the gateway');
  });

  it('enable-cors alone: an actual request gets Allow-Origin "*", replacing the application\'s', async () => {
    const res = await get('defaults.test', 'https://anywhere.test');
    assert.equal(res.status, 200);
    assert.deepEqual(corsOf(res), { 'access-control-allow-origin': '*' });
    assert.equal(res.headers['x-total'], '3');
  });

  it('an origin of the list, and one matching a wildcard, are allowed with credentials and the exposed headers', async () => {
    for (const origin of ['https://app.test', 'https://shop.example.com', 'http://localhost:3000', 'HTTPS://App.Test']) {
      const res = await get('listed.test', origin, 'POST');
      assert.equal(res.status, 200, origin);
      assert.deepEqual(corsOf(res), { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'X-Total, X-Page' }, origin);
      assert.match(String(res.headers.vary), /Origin/);
    }
  });

  it('an origin outside the list gets no CORS header at all (the application\'s is removed too)', async () => {
    for (const origin of ['https://evil.test', 'https://example.com', 'http://app.test', 'https://app.test:8443', 'https://shop.example.com.evil.test']) {
      const res = await get('listed.test', origin);
      assert.equal(res.status, 200, origin);
      assert.deepEqual(corsOf(res), {}, origin);
    }
    const refused = await preflight('listed.test', 'https://evil.test');
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
    assert.equal(refused.headers['access-control-allow-methods'], undefined);
  });

  it('cors-allow-methods, -headers and -max-age shape the preflight answer', async () => {
    const res = await preflight('listed.test', 'https://shop.example.com');
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], 'https://shop.example.com');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-allow-methods'], 'GET, POST');
    assert.equal(res.headers['access-control-allow-headers'], 'X-Custom, Content-Type');
    assert.equal(res.headers['access-control-max-age'], '600');
  });

  it('cors-allow-credentials "false" leaves the credentials header out', async () => {
    assert.deepEqual(corsOf(await get('nocreds.test', 'https://app.test')), { 'access-control-allow-origin': 'https://app.test' });
  });

  it('cors-* without enable-cors does nothing, as in ingress-nginx', async () => {
    const res = await get('off.test', 'https://app.test');
    assert.equal(res.headers['access-control-allow-origin'], 'https://evil.test');
  });
});
