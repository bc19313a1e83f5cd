// ingress-nginx's external auth (auth-url and its refinements), deny lists and satisfy through the
// gateway, against a real auth service that records what it was asked.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressYaml, serviceYaml } from '../support/manifests.ts';

const N = 'nginx.ingress.kubernetes.io/';
const NGINX_CLASS = stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const BASIC = basic('alice', 'hello');
const secretYaml = (name: string, stringData: Record<string, string>) => stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, stringData });

interface AuthCall { method: string; url: string; headers: http.IncomingHttpHeaders }

/**
 * An auth service as oauth2-proxy: "Bearer good" gets 202 with identity headers, "Bearer banned" 403,
 * anything else 401. It records every call.
 */
async function startAuthService(): Promise<{ port: number; calls: AuthCall[]; close(): Promise<void> }> {
  const calls: AuthCall[] = [];
  const server = http.createServer((req, res) => {
    calls.push({ method: req.method!, url: req.url!, headers: req.headers });
    if (req.headers.authorization === 'Bearer good') res.writeHead(202, { 'x-auth-request-user': 'alice', 'x-auth-request-email': 'alice@example.com', 'x-secret': 'no', 'set-cookie': '_oauth2_proxy=refreshed; Path=/; HttpOnly' }).end();
    else if (req.headers.authorization === 'Bearer banned') res.writeHead(403, { 'content-type': 'text/plain' }).end('banned');
    else res.writeHead(401).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, calls, close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }) };
}

describe('ingress-nginx external auth through the gateway', () => {
  let gw: RunningGateway;
  let web: TestBackend;
  let failing: TestBackend;
  let auth: Awaited<ReturnType<typeof startAuthService>>;

  before(async () => {
    web = await startBackend('web');
    failing = await startBackend('failing');
    failing.handler = (_req, res) => res.writeHead(500).end('down');
    auth = await startAuthService();
    const authUrl = `http://127.0.0.1:${auth.port}/oauth2/auth`;
    const site = (name: string, annotations: Record<string, string>) =>
      ingressYaml({ name, host: `${name}.test`, className: 'nginx', paths: [{ path: '/', service: 'web' }], annotations });
    gw = await startGateway({
      'class.yaml': NGINX_CLASS,
      'svc.yaml': [serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }), serviceYaml({ name: 'failing', endpoints: [['127.0.0.1', failing.port]] })].join('---\n'),
      'secret.yaml': [
        secretYaml('users', { auth: 'alice:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=\n' }),
        // auth-map: one key per user, the value is the hash ("hello" for alice, "swordfish" for bob).
        secretYaml('usermap', { alice: '{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=', bob: '{SHA}T1cYHcqt6YBVXyzmdVykJfAGWL4=\n' }),
        secretYaml('badmap', { alice: '{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=', bob: 'swordfish' }),
      ].join('---\n'),
      'ing.yaml': [
        site('signin', { [`${N}auth-url`]: authUrl, [`${N}auth-signin`]: 'https://login.test/start' }),
        site('param', { [`${N}auth-url`]: authUrl, [`${N}auth-signin`]: 'https://login.test/start?client=shop', [`${N}auth-signin-redirect-param`]: 'return_to' }),
        // The oauth2-proxy example of ingress-nginx's documentation: nginx variables in both URLs.
        site('vars', { [`${N}auth-url`]: `http://127.0.0.1:${auth.port}/oauth2/auth?host=$host`, [`${N}auth-signin`]: 'https://$host/oauth2/start?rd=$escaped_request_uri' }),
        site('headers', {
          [`${N}auth-url`]: authUrl, [`${N}auth-response-headers`]: 'X-Auth-Request-User, X-Auth-Request-Email',
          [`${N}auth-request-redirect`]: 'https://headers.test/landing', [`${N}auth-method`]: 'POST', [`${N}auth-cache-key`]: '$remote_user$http_authorization', [`${N}auth-cache-duration`]: '200 202 401 5m',
        }),
        site('plainauth', { [`${N}auth-url`]: authUrl }),
        ingressYaml({ name: 'cookiefail', host: 'cookiefail.test', className: 'nginx', paths: [{ path: '/', service: 'failing' }], annotations: { [`${N}auth-url`]: authUrl } }),
        ingressYaml({ name: 'cookiealways', host: 'cookiealways.test', className: 'nginx', paths: [{ path: '/', service: 'failing' }], annotations: { [`${N}auth-url`]: authUrl, [`${N}auth-always-set-cookie`]: 'true' } }),
        site('deny', { [`${N}denylist-source-range`]: '127.0.0.0/8' }),
        site('denyother', { [`${N}denylist-source-range`]: '10.0.0.0/8, 192.168.0.0/16' }),
        // satisfy "all" (ingress-nginx's default): the allowlist and the auth must both pass.
        site('all', { [`${N}whitelist-source-range`]: '127.0.0.0/8', [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users', [`${N}satisfy`]: 'all' }),
        site('authmap', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'usermap', [`${N}auth-secret-type`]: 'auth-map' }),
        site('badmap', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'badmap', [`${N}auth-secret-type`]: 'auth-map' }),
        // satisfy any: the allowlist or the auth suffices (loopback is inside 127.0.0.0/8, outside 10.0.0.0/8).
        site('anyinside', { [`${N}whitelist-source-range`]: '127.0.0.0/8', [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users', [`${N}satisfy`]: 'any' }),
        site('anyoutside', { [`${N}whitelist-source-range`]: '10.0.0.0/8', [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users', [`${N}satisfy`]: 'any' }),
        site('anyurlinside', { [`${N}allowlist-source-range`]: '127.0.0.1/32', [`${N}auth-url`]: authUrl, [`${N}satisfy`]: 'any' }),
        site('anyurloutside', { [`${N}allowlist-source-range`]: '10.0.0.0/8', [`${N}auth-url`]: authUrl, [`${N}satisfy`]: 'any' }),
        site('anydenied', { [`${N}whitelist-source-range`]: '127.0.0.0/8', [`${N}denylist-source-range`]: '127.0.0.1/32', [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users', [`${N}satisfy`]: 'any' }),
        site('anybadcidr', { [`${N}whitelist-source-range`]: '127.0.0.0/33', [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users', [`${N}satisfy`]: 'any' }),
        site('anyonly', { [`${N}whitelist-source-range`]: '10.0.0.0/8', [`${N}satisfy`]: 'any' }),
        site('badsatisfy', { [`${N}whitelist-source-range`]: '127.0.0.0/8', [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users', [`${N}satisfy`]: 'either' }),
        site('outside', { [`${N}whitelist-source-range`]: '10.0.0.0/8', [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users' }),
      ].join('---\n'),
    }, ['--ingress-nginx-compat']);
  });
  after(async () => {
    await gw?.close();
    await web?.close();
    await failing?.close();
    await auth?.close();
  });

  const get = (host: string, path = '/', headers: Record<string, string> = {}) => request(gw.port, { path, headers: { host, ...headers } });
  const lastCall = () => auth.calls.at(-1)!;

  it('auth-signin: a 401 becomes a redirect to the sign-in page carrying the original URL in rd', async () => {
    const res = await get('signin.test', '/cart/items?page=2');
    assert.equal(res.status, 302);
    const location = new URL(String(res.headers.location));
    assert.equal(`${location.origin}${location.pathname}`, 'https://login.test/start');
    assert.equal(location.searchParams.get('rd'), 'http://signin.test/cart/items?page=2');
    assert.equal(web.received.length, 0);
  });

  it('a 403 of the auth service is answered to the client, never redirected', async () => {
    const res = await get('signin.test', '/', { authorization: 'Bearer banned' });
    assert.deepEqual([res.status, res.body], [403, 'banned']);
  });

  it('auth-signin-redirect-param names the parameter, added to a sign-in URL that has a query', async () => {
    const location = new URL(String((await get('param.test', '/a')).headers.location));
    assert.equal(location.searchParams.get('client'), 'shop');
    assert.equal(location.searchParams.get('return_to'), 'http://param.test/a');
    assert.equal(location.searchParams.get('rd'), null);
  });

  it('nginx variables in auth-url and auth-signin are replaced per request; an rd already in auth-signin is kept as is', async () => {
    const res = await get('vars.test', '/deep/page?x=1');
    assert.equal(lastCall().url, '/oauth2/auth?host=vars.test');
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, 'https://vars.test/oauth2/start?rd=%2Fdeep%2Fpage%3Fx%3D1');
    assert.equal((await get('vars.test', '/', { authorization: 'Bearer good' })).status, 200);
  });

  it('auth-response-headers are copied upstream (replacing what the client sent), others are not', async () => {
    const res = await get('headers.test', '/x', { authorization: 'Bearer good', 'x-auth-request-user': 'mallory' });
    assert.equal(res.status, 200);
    const seen = (JSON.parse(res.body) as { headers: Record<string, string> }).headers;
    assert.equal(seen['x-auth-request-user'], 'alice');
    assert.equal(seen['x-auth-request-email'], 'alice@example.com');
    assert.equal(seen['x-secret'], undefined);
  });

  it('the Set-Cookie of a 2xx auth answer reaches the client on 2xx and 3xx answers; with auth-always-set-cookie on every answer', async () => {
    const ok = await get('plainauth.test', '/', { authorization: 'Bearer good' });
    assert.deepEqual([ok.status, ok.headers['set-cookie']], [200, ['_oauth2_proxy=refreshed; Path=/; HttpOnly']]);
    const failed = await get('cookiefail.test', '/', { authorization: 'Bearer good' });
    assert.deepEqual([failed.status, failed.headers['set-cookie']], [500, undefined]);
    const always = await get('cookiealways.test', '/', { authorization: 'Bearer good' });
    assert.deepEqual([always.status, always.headers['set-cookie']], [500, ['_oauth2_proxy=refreshed; Path=/; HttpOnly']]);
  });

  it('auth-method, auth-request-redirect and the X-Original-* headers reach the auth service', async () => {
    await get('headers.test', '/orders?id=7', { authorization: 'Bearer good' });
    const call = lastCall();
    assert.equal(call.method, 'POST');
    assert.equal(call.headers['x-auth-request-redirect'], 'https://headers.test/landing');
    assert.equal(call.headers['x-original-url'], 'http://headers.test/orders?id=7');
    assert.equal(call.headers['x-original-method'], 'GET');
    assert.equal(call.headers.authorization, 'Bearer good');
    // Without auth-request-redirect: the request's path and query ($request_uri), as ingress-nginx.
    await get('plainauth.test', '/p?q=1', { authorization: 'Bearer good' });
    assert.deepEqual([lastCall().method, lastCall().headers['x-auth-request-redirect']], ['GET', '/p?q=1']);
  });

  it('auth-cache-key and auth-cache-duration: the decisions are the same, each request asks the auth service', async () => {
    const before = auth.calls.length;
    for (let i = 0; i < 3; i++) assert.equal((await get('headers.test', '/', { authorization: 'Bearer good' })).status, 200);
    assert.equal((await get('headers.test', '/', { authorization: 'Bearer bad' })).status, 401);
    assert.equal(auth.calls.length - before, 4);
  });

  it('auth-secret-type auth-map: each key of the Secret is a user, its value the hash', async () => {
    assert.equal((await get('authmap.test')).status, 401);
    assert.equal((await get('authmap.test', '/', { authorization: BASIC })).status, 200);
    assert.equal((await get('authmap.test', '/', { authorization: basic('bob', 'swordfish') })).status, 200);
    assert.equal((await get('authmap.test', '/', { authorization: basic('bob', 'hello') })).status, 401);
    assert.equal((await get('authmap.test', '/', { authorization: basic('carol', 'hello') })).status, 401);
  });

  it('auth-map with a value that is not a hash fails closed, for every user, with a diagnostic naming the key', async () => {
    assert.equal((await get('badmap.test', '/', { authorization: BASIC })).status, 500);
    const res = await request(gw.adminPort, { path: '/api/diagnostics' });
    const diagnostics = (JSON.parse(res.body) as { diagnostics: { object: string; field: string; message: string }[] }).diagnostics;
    const found = diagnostics.find((d) => d.object === 'default/badmap');
    assert.equal(found?.field, `metadata.annotations["${N}auth-secret"]`, JSON.stringify(diagnostics));
    assert.match(found.message, /data\["bob"\]/);
  });

  it('satisfy any with basic auth: a client in the allowlist needs no credentials; outside it, credentials let it in', async () => {
    assert.equal((await get('anyinside.test')).status, 200);
    assert.equal((await get('anyoutside.test')).status, 401);
    assert.equal((await get('anyoutside.test', '/', { authorization: basic('alice', 'wrong') })).status, 401);
    assert.equal((await get('anyoutside.test', '/', { authorization: BASIC })).status, 200);
  });

  it('satisfy any with auth-url: an allowed client does not reach the auth service; the others are asked', async () => {
    const before = auth.calls.length;
    assert.equal((await get('anyurlinside.test')).status, 200);
    assert.equal(auth.calls.length, before);
    assert.equal((await get('anyurloutside.test')).status, 401);
    assert.equal((await get('anyurloutside.test', '/', { authorization: 'Bearer good' })).status, 200);
    assert.equal(auth.calls.length, before + 2);
  });

  it('satisfy any: the denylist still applies; a bad CIDR, or an allowlist without auth, never lets everyone in', async () => {
    assert.equal((await get('anydenied.test', '/', { authorization: BASIC })).status, 403);
    assert.equal((await get('anybadcidr.test')).status, 500);
    assert.equal((await get('anybadcidr.test', '/', { authorization: BASIC })).status, 500);
    assert.equal((await get('anyonly.test')).status, 403);
    assert.equal((await get('badsatisfy.test', '/', { authorization: BASIC })).status, 500);
    const res = await request(gw.adminPort, { path: '/api/diagnostics' });
    const fields = (JSON.parse(res.body) as { diagnostics: { object: string; field: string }[] }).diagnostics.map((d) => `${d.object} ${d.field}`);
    assert.ok(fields.includes(`default/anybadcidr metadata.annotations["${N}whitelist-source-range"]`), JSON.stringify(fields));
    assert.ok(fields.includes(`default/badsatisfy metadata.annotations["${N}satisfy"]`), JSON.stringify(fields));
  });

  it('denylist-source-range: listed clients get 403, others are served', async () => {
    assert.equal((await get('deny.test')).status, 403);
    assert.equal((await get('denyother.test')).status, 200);
  });

  it('satisfy all: a client inside the allowlist still needs credentials; outside it, credentials do not help', async () => {
    assert.equal((await get('all.test')).status, 401);
    assert.equal((await get('all.test', '/', { authorization: BASIC })).status, 200);
    assert.equal((await get('outside.test', '/', { authorization: BASIC })).status, 403);
  });
});
