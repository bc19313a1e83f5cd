import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { closedPort } from '../support/ports.ts';
import { fakeUpstream, run } from '../support/context.ts';
import { chainOf, configError, recordingEnv } from './helpers.ts';

interface AuthCall {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

describe('forward-auth', () => {
  let server: http.Server;
  let base: string;
  const calls: AuthCall[] = [];
  const env = recordingEnv();

  before(async () => {
    // The auth service decides from the request's token header, the way oauth2-proxy or Authelia would.
    server = http.createServer((req, res) => {
      calls.push({ method: req.method!, url: req.url!, headers: req.headers });
      const token = req.headers['x-token'];
      if (token === 'good') {
        res.writeHead(200, { 'X-Auth-User': 'alice', 'X-Auth-Groups': 'admin', 'X-Not-Copied': 'x' });
        res.end('ignored');
      } else if (token === 'expired') {
        res.writeHead(302, { Location: 'https://login.test/?rd=x', 'Set-Cookie': ['a=1', 'b=2'] });
        res.end();
      } else if (token === 'slow') {
        setTimeout(() => res.end(), 2000).unref();
      } else if (token === 'huge') {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end('x'.repeat(200 * 1024));
      } else {
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="sso"', 'Content-Type': 'application/json' });
        res.end('{"error":"login required"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await env.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const chain = (extra: Record<string, unknown> = {}) => chainOf('forward-auth', { url: `${base}/verify`, authResponseHeaders: ['X-Auth-User', 'X-Auth-Groups'], ...extra }, env);

  it('2xx lets the request through with the chosen auth headers replacing what the client sent', async () => {
    const upstream = fakeUpstream();
    const ctx = await run(chain(), { method: 'POST', scheme: 'https', authority: 'shop.test', path: '/cart?x=1', clientAddress: '203.0.113.9', headers: [['X-Token', 'good'], ['X-Auth-User', 'mallory'], ['Content-Length', '12'], ['Cookie', 'c=1']] }, upstream);
    assert.equal(ctx.response!.status, 200);
    assert.deepEqual(upstream.calls[0]!.headers, [['X-Token', 'good'], ['Content-Length', '12'], ['Cookie', 'c=1'], ['X-Auth-User', 'alice'], ['X-Auth-Groups', 'admin']]);
    const call = calls.at(-1)!;
    assert.equal(call.method, 'POST');
    assert.equal(call.url, '/verify');
    assert.notEqual(call.headers['content-length'], '12', 'no body in the subrequest');
    assert.equal(call.headers.cookie, 'c=1');
    assert.equal(call.headers['x-auth-user'], 'mallory', 'the auth service sees the request as sent');
    assert.deepEqual(
      [call.headers['x-forwarded-method'], call.headers['x-forwarded-proto'], call.headers['x-forwarded-host'], call.headers['x-forwarded-uri'], call.headers['x-forwarded-for'], call.headers['x-original-url']],
      ['POST', 'https', 'shop.test', '/cart?x=1', '203.0.113.9', 'https://shop.test/cart?x=1'],
    );
  });

  it('other answers go back to the client as they are: status, headers (every Set-Cookie), body', async () => {
    const upstream = fakeUpstream();
    const refused = await run(chain(), { headers: { 'x-token': 'nope' } }, upstream);
    assert.equal(refused.response!.status, 401);
    assert.equal(refused.header('www-authenticate'), 'Bearer realm="sso"');
    assert.equal(String(refused.answerBody), '{"error":"login required"}');
    const redirected = await run(chain(), { headers: { 'x-token': 'expired' } }, upstream);
    assert.equal(redirected.response!.status, 302);
    assert.equal(redirected.header('location'), 'https://login.test/?rd=x');
    assert.deepEqual(redirected.response!.headers.getAll('set-cookie'), ['a=1', 'b=2']);
    const huge = await run(chain(), { headers: { 'x-token': 'huge' } }, upstream);
    assert.equal(huge.response!.status, 403);
    assert.equal(huge.answerBody, '403 Forbidden\n', 'a large body is replaced');
    assert.equal(upstream.calls.length, 0);
  });

  it('signinUrl turns a 401 into a redirect back to the original URL', async () => {
    const ctx = await run(chain({ signinUrl: 'https://auth.test/oauth2/start' }), { authority: 'shop.test', path: '/a?b=c' });
    assert.equal(ctx.response!.status, 302);
    assert.equal(ctx.header('location'), `https://auth.test/oauth2/start?rd=${encodeURIComponent('http://shop.test/a?b=c')}`);
  });

  it('signinRedirectParam renames rd; X-Auth-Request-Redirect is the path, or requestRedirect, never the client\'s', async () => {
    const ctx = await run(chain({ signinUrl: 'https://auth.test/start', signinRedirectParam: 'next' }), { authority: 'shop.test', path: '/a', headers: { 'x-auth-request-redirect': 'https://evil.test/' } });
    assert.equal(ctx.header('location'), `https://auth.test/start?next=${encodeURIComponent('http://shop.test/a')}`);
    assert.equal(calls.at(-1)!.headers['x-auth-request-redirect'], '/a');
    await run(chain({ requestRedirect: 'https://shop.test/after-login' }), { path: '/b' });
    assert.equal(calls.at(-1)!.headers['x-auth-request-redirect'], 'https://shop.test/after-login');
    assert.equal(configError('forward-auth', { url: 'http://auth/', signinRedirectParam: 'a b' }), 'signinRedirectParam: "a b" is not a query parameter name');
  });

  it('sends only authRequestHeaders when listed, and the configured method', async () => {
    await run(chain({ authRequestHeaders: ['X-Token'], method: 'GET' }), { method: 'DELETE', headers: { 'x-token': 'good', cookie: 'secret=1' } });
    const call = calls.at(-1)!;
    assert.equal(call.method, 'GET');
    assert.equal(call.headers.cookie, undefined);
    assert.equal(call.headers['x-token'], 'good');
  });

  it('fails closed with 503 when the auth service is unreachable or too slow, and logs it', async () => {
    const down = recordingEnv();
    const unreachable = chainOf('forward-auth', { url: `http://127.0.0.1:${await closedPort()}/verify` }, down);
    const upstream = fakeUpstream();
    assert.equal((await run(unreachable, {}, upstream)).response!.status, 503);
    assert.match(down.logs[0]!.message, /auth service unavailable/);
    const slow = await run(chain({ timeout: '200ms' }), { headers: { 'x-token': 'slow' } }, upstream);
    assert.equal(slow.response!.status, 503);
    assert.equal(upstream.calls.length, 0);
    await down.close();
  });

  it('rejects bad configuration naming the field', () => {
    assert.equal(configError('forward-auth', {}), 'url: is required');
    assert.equal(configError('forward-auth', { url: 'auth-service/verify' }), 'url: "auth-service/verify" is not an absolute URL');
    assert.equal(configError('forward-auth', { url: 'grpc://auth:9000' }), 'url: must be an http:// or https:// URL, got "grpc://auth:9000"');
    assert.equal(configError('forward-auth', { url: 'http://auth/', authResponseHeaders: ['X-Ok', 'X Bad'] }), 'authResponseHeaders[1]: "X Bad" is not a valid header name');
    assert.equal(configError('forward-auth', { url: 'http://auth/', method: 'get' }), 'method: "get" is not an upper-case HTTP method');
    assert.equal(configError('forward-auth', { url: 'http://auth/', timeout: 5 }), 'timeout: must be a duration string such as "5s", got number 5');
    assert.equal(configError('forward-auth', { url: 'http://auth/', signinUrl: 'login' }), 'signinUrl: must be an http(s) URL or an absolute path');
  });
});
