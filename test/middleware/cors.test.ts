import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from '../../src/middleware/types.ts';
import { fakeUpstream, run } from '../support/context.ts';
import { chainOf, configError } from './helpers.ts';

const preflight = (origin: string, method = 'PUT') => ({ method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type' } });

describe('cors', () => {
  const listed = { allowOrigins: ['https://app.example.com', 'https://*.example.org', 'http://localhost:3000'], allowCredentials: true, exposeHeaders: ['X-Total'] };

  it('answers a preflight at the gateway with 204 and the policy', async () => {
    const upstream = fakeUpstream();
    const ctx = await run(chainOf('cors', listed), preflight('https://app.example.com'), upstream);
    assert.equal(upstream.calls.length, 0);
    assert.equal(ctx.response!.status, 204);
    assert.deepEqual(Object.fromEntries(ctx.response!.headers.entries()), {
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
      'access-control-allow-headers': 'DNT, Keep-Alive, User-Agent, X-Requested-With, If-Modified-Since, Cache-Control, Content-Type, Range, Authorization',
      'access-control-expose-headers': 'X-Total',
      'access-control-max-age': '1728000',
      vary: 'Origin',
    });
  });

  it('a preflight from an origin not allowed gets no CORS headers (the browser then refuses)', async () => {
    const ctx = await run(chainOf('cors', listed), preflight('https://evil.test'));
    assert.equal(ctx.response!.status, 204);
    assert.equal(ctx.header('access-control-allow-origin'), undefined);
    assert.equal(ctx.header('vary'), 'Origin');
  });

  it('an OPTIONS without Access-Control-Request-Method is an ordinary request', async () => {
    const upstream = fakeUpstream();
    await run(chainOf('cors', listed), { method: 'OPTIONS', headers: { origin: 'https://app.example.com' } }, upstream);
    assert.equal(upstream.calls.length, 1);
  });

  it('adds the headers to actual responses, replacing the upstream’s, with Vary: Origin', async () => {
    const ctx = await run(chainOf('cors', listed), { headers: { origin: 'https://shop.example.org' } }, fakeUpstream({ headers: { 'Access-Control-Allow-Origin': '*', Vary: 'Accept-Encoding' } }));
    assert.equal(ctx.header('access-control-allow-origin'), 'https://shop.example.org');
    assert.equal(ctx.header('access-control-allow-credentials'), 'true');
    assert.equal(ctx.header('access-control-expose-headers'), 'X-Total');
    assert.equal(ctx.header('vary'), 'Accept-Encoding, Origin');
  });

  it('matches wildcard subdomains and ports exactly', async () => {
    const chain = chainOf('cors', listed);
    const allowOrigin = async (origin: string) => (await run(chain, { headers: { origin } })).header('access-control-allow-origin');
    assert.equal(await allowOrigin('https://a.b.example.org'), 'https://a.b.example.org');
    assert.equal(await allowOrigin('https://example.org'), undefined, 'the wildcard needs a subdomain');
    assert.equal(await allowOrigin('http://shop.example.org'), undefined, 'scheme differs');
    assert.equal(await allowOrigin('https://shop.example.org:8443'), undefined, 'port differs');
    assert.equal(await allowOrigin('https://evilexample.org'), undefined);
    assert.equal(await allowOrigin('http://localhost:3000'), 'http://localhost:3000');
    assert.equal(await allowOrigin('HTTPS://APP.EXAMPLE.COM'), 'HTTPS://APP.EXAMPLE.COM');
  });

  it('removes upstream CORS headers for origins not allowed; requests without Origin still get Vary', async () => {
    const upstream = fakeUpstream({ headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Credentials': 'true' } });
    const evil = await run(chainOf('cors', listed), { headers: { origin: 'https://evil.test' } }, upstream);
    assert.equal(evil.header('access-control-allow-origin'), undefined);
    assert.equal(evil.header('access-control-allow-credentials'), undefined);
    const plain = await run(chainOf('cors', listed), {}, fakeUpstream());
    assert.equal(plain.header('vary'), 'Origin');
  });

  it('"*" without credentials answers "*" and needs no Vary', async () => {
    const ctx = await run(chainOf('cors', { allowOrigins: ['*'] }), { headers: { origin: 'https://anyone.test' } });
    assert.equal(ctx.header('access-control-allow-origin'), '*');
    assert.equal(ctx.header('vary'), undefined);
    assert.equal(ctx.header('access-control-allow-credentials'), undefined);
  });

  it('answers of later middlewares (a 401) carry the headers too, so the page can read them', async () => {
    const cors = chainOf('cors', listed);
    const ctx = await run(cors, { headers: { origin: 'https://app.example.com' } }, Object.assign(async (c: Context) => c.respond(401), { calls: [] }));
    assert.equal(ctx.response!.status, 401);
    assert.equal(ctx.header('access-control-allow-origin'), 'https://app.example.com');
  });

  it('rejects bad configuration naming the field', () => {
    assert.equal(configError('cors', {}), 'allowOrigins: is required: a list of origins such as "https://app.example.com", or ["*"]');
    assert.equal(configError('cors', { allowOrigins: ['*'], allowCredentials: true }), 'allowCredentials: cannot be true with allowOrigins ["*"]: list the origins that may send credentials');
    assert.equal(configError('cors', { allowOrigins: ['*', 'https://a.test'] }), 'allowOrigins: "*" cannot be combined with other origins');
    assert.equal(configError('cors', { allowOrigins: ['https://a.test/'] }), 'allowOrigins[0]: "https://a.test/" is not an origin such as "https://app.example.com" or "https://*.example.com" (no path, no trailing slash)');
    assert.equal(configError('cors', { allowOrigins: ['a.test'] }), 'allowOrigins[0]: "a.test" is not an origin such as "https://app.example.com" or "https://*.example.com" (no path, no trailing slash)');
    assert.equal(configError('cors', { allowOrigins: ['*'], allowMethods: ['GET', 'P UT'] }), 'allowMethods[1]: "P UT" is not an HTTP method');
    assert.equal(configError('cors', { allowOrigins: ['*'], maxAgeSeconds: -1 }), 'maxAgeSeconds: must be at least 0, got -1');
    assert.equal(configError('cors', { allowOrigins: ['*'], allowHeaders: ['*', 'x-a'] }), 'allowHeaders: "*" cannot be combined with other values');
    assert.equal(configError('cors', { allowOrigins: ['*'], allowMethods: ['GET', '*'] }), 'allowMethods: "*" cannot be combined with other values');
    assert.equal(configError('cors', { allowOrigins: ['*'], preflightStatus: 201 }), 'preflightStatus: must be 200 or 204, got 201');
    assert.equal(configError('cors', { allowOrigins: ['*'], allowCredentials: true, echoAnyOriginWithCredentials: false }), 'allowCredentials: cannot be true with allowOrigins ["*"]: list the origins that may send credentials');
  });
});
