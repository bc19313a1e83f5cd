// The HTTPRoute CORS filter's "*" values through the gateway (files), with the routes of the Gateway API's
// HTTPRouteCORS conformance test: "*" answered as "*" without credentials; with allowCredentials the
// wildcards are not honoured by browsers, so the preflight's own Origin, method and headers are echoed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';

const backendRefs = [{ name: 'web', port: 80 }];
const corsRule = (path: string, cors: Record<string, unknown>) => ({ matches: [{ path: { value: path } }], backendRefs, filters: [{ type: 'CORS', cors }] });

describe('HTTPRoute CORS wildcards through the gateway (files)', () => {
  let gw: RunningGateway;
  let web: TestBackend;

  before(async () => {
    web = await startBackend('web');
    web.handler = (_req, res) => {
      res.setHeader('x-total', '3');
      res.setHeader('access-control-allow-origin', 'https://upstream.test');
      res.end('ok');
    };
    gw = await startGateway({
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'http', port: 80 }])),
      'routes.yaml': yamlDocs(httpRoute('cors', {
        parentRefs: [{ name: 'gw' }],
        rules: [
          corsRule('/listed', { allowOrigins: ['https://www.foo.com', 'https://*.bar.com'], allowMethods: ['GET', 'OPTIONS'], allowHeaders: ['x-header-1', 'x-header-2'], exposeHeaders: ['x-header-3', 'x-header-4'], allowCredentials: true, maxAge: 3600 }),
          corsRule('/any-method', { allowOrigins: ['https://www.foo.com'], allowMethods: ['*'] }),
          corsRule('/auth', { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: ['*'], allowCredentials: true }),
          corsRule('/unauth', { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: ['*'], allowCredentials: false }),
        ],
      })),
    });
  });
  after(async () => {
    await gw?.close();
    await web?.close();
  });

  const send = (path: string, headers: Record<string, string>, method = 'GET') => request(gw.port, { method, path, headers: { host: 'cors.test', ...headers } });
  const preflight = (path: string, extra: Record<string, string> = {}) =>
    send(path, { origin: 'https://other.foo.com', 'access-control-request-method': 'PUT', ...extra }, 'OPTIONS');

  it('accepts the routes without diagnostics (allowHeaders "*" used to be refused)', () => {
    assert.deepEqual(gw.gateway.currentDiagnostics.filter((d) => d.object === 'default/cors'), []);
  });

  it('answers listed values on a preflight with 200, expose headers included', async () => {
    const res = await send('/listed', { origin: 'https://x.www.bar.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-header-1, x-header-2' }, 'OPTIONS');
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], 'https://x.www.bar.com');
    assert.equal(res.headers['access-control-allow-methods'], 'GET, OPTIONS');
    assert.equal(res.headers['access-control-allow-headers'], 'x-header-1, x-header-2');
    assert.equal(res.headers['access-control-expose-headers'], 'x-header-3, x-header-4');
    assert.equal(res.headers['access-control-max-age'], '3600');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(web.received.length, 0, 'preflights are answered at the gateway');
  });

  it('allowMethods "*" echoes the requested method, without a credentials header', async () => {
    const res = await send('/any-method', { origin: 'https://www.foo.com', 'access-control-request-method': 'POST' }, 'OPTIONS');
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], 'https://www.foo.com');
    assert.equal(res.headers['access-control-allow-methods'], 'POST');
    assert.equal(res.headers['access-control-allow-credentials'], undefined);
    assert.match(String(res.headers.vary), /Access-Control-Request-Method/);
  });

  it('without credentials, allowHeaders "*" is answered "*" and the origin "*"', async () => {
    const res = await preflight('/unauth', { 'access-control-request-headers': 'x-header-1, x-header-2' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['access-control-allow-methods'], 'PUT');
    assert.equal(res.headers['access-control-allow-headers'], '*');
    assert.equal(res.headers['access-control-allow-credentials'], undefined);
  });

  it('with credentials, the preflight echoes the origin, method and requested headers, never "*"', async () => {
    const res = await preflight('/auth', { 'access-control-request-headers': 'x-header-1, x-header-2' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], 'https://other.foo.com');
    assert.equal(res.headers['access-control-allow-methods'], 'PUT');
    assert.equal(res.headers['access-control-allow-headers'], 'x-header-1, x-header-2');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers.vary, 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    const bare = await preflight('/auth');
    assert.equal(bare.headers['access-control-allow-headers'], undefined, 'no Access-Control-Request-Headers: the header is left out');
  });

  it('actual requests: exposeHeaders "*" is "*" without credentials and the response’s own header names with them', async () => {
    const unauth = await send('/unauth', { origin: 'https://other.foo.com' }, 'PUT');
    assert.equal(unauth.status, 200);
    assert.equal(unauth.headers['access-control-allow-origin'], '*');
    assert.equal(unauth.headers['access-control-expose-headers'], '*');
    const auth = await send('/auth', { origin: 'https://other.foo.com', authorization: 'Bearer test' });
    assert.equal(auth.status, 200);
    assert.equal(auth.headers['access-control-allow-origin'], 'https://other.foo.com', 'the upstream’s value is replaced');
    assert.equal(auth.headers['access-control-allow-credentials'], 'true');
    const exposed = String(auth.headers['access-control-expose-headers']).split(', ');
    assert.ok(exposed.includes('x-total'), `x-total exposed: ${exposed.join(',')}`);
    assert.ok(!exposed.includes('*') && !exposed.some((h) => h.startsWith('access-control-')));
    assert.equal(web.received.at(-1)!.headers.authorization, 'Bearer test');
  });
});
