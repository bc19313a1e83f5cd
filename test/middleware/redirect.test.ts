import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeUpstream, run, type TestRequest } from '../support/context.ts';
import { chainOf, configError } from './helpers.ts';

async function redirect(config: Record<string, unknown>, req: TestRequest): Promise<[number, string | undefined]> {
  const upstream = fakeUpstream();
  const ctx = await run(chainOf('redirect', config), req, upstream);
  const status = ctx.response!.status;
  assert.equal(upstream.calls.length, status === 200 ? 1 : 0);
  return [status, ctx.header('location')];
}

describe('redirect', () => {
  it('url: a fixed Location, whatever the request (permanent-redirect)', async () => {
    assert.deepEqual(await redirect({ url: 'https://new.example.com/', statusCode: 301 }, { path: '/old?x=1' }), [301, 'https://new.example.com/']);
    assert.deepEqual(await redirect({ url: '/maintenance' }, {}), [302, '/maintenance']);
  });

  it('regex: over the full URL with captures; no match calls the upstream', async () => {
    const config = { regex: '^http://([^/]+)/blog/(.*)$', replacement: 'https://blog.$1/$2', statusCode: 308 };
    assert.deepEqual(await redirect(config, { authority: 'shop.test', path: '/blog/2024/post?a=b' }), [308, 'https://blog.shop.test/2024/post?a=b']);
    assert.deepEqual(await redirect(config, { authority: 'shop.test', path: '/cart' }), [200, undefined]);
  });

  it('app-root style: only the root path', async () => {
    const config = { regex: '^([^:]+://[^/]+)/(\\?.*)?$', replacement: '$1/app$2' };
    assert.deepEqual(await redirect(config, { authority: 'a.test', path: '/' }), [302, 'http://a.test/app']);
    assert.deepEqual(await redirect(config, { authority: 'a.test', path: '/?q=1' }), [302, 'http://a.test/app?q=1']);
    assert.deepEqual(await redirect(config, { authority: 'a.test', path: '/app' }), [200, undefined]);
  });

  it('parts: scheme change drops the old port, keeps path and query; no redirect when nothing changes', async () => {
    const toHttps = { scheme: 'https', statusCode: 301 };
    assert.deepEqual(await redirect(toHttps, { authority: 'a.test:8080', path: '/x?y=1' }), [301, 'https://a.test/x?y=1']);
    assert.deepEqual(await redirect(toHttps, { scheme: 'https', authority: 'a.test', path: '/x' }), [200, undefined]);
    assert.deepEqual(await redirect({ scheme: 'https', port: 8443 }, { authority: 'a.test:8080', path: '/' }), [302, 'https://a.test:8443/']);
    assert.deepEqual(await redirect({ scheme: 'https', port: '443' }, { authority: 'a.test', path: '/' }), [302, 'https://a.test/']);
    assert.deepEqual(await redirect({ host: 'www.a.test' }, { authority: 'a.test:8080', path: '/p' }), [302, 'http://www.a.test:8080/p']);
    assert.deepEqual(await redirect({ path: '/new' }, { authority: '[::1]:81', path: '/old?k=v' }), [302, 'http://[::1]:81/new?k=v']);
  });

  it('rejects bad configuration naming the field', () => {
    assert.equal(configError('redirect', {}), 'url: set exactly one of: url; regex with replacement; or scheme/host/port/path');
    assert.equal(configError('redirect', { url: '/a', scheme: 'https' }), 'url: set exactly one of: url; regex with replacement; or scheme/host/port/path');
    assert.equal(configError('redirect', { url: '/a', statusCode: 200 }), 'statusCode: must be one of 301, 302, 303, 307, 308, got 200');
    assert.equal(configError('redirect', { url: 'ftp://x' }), 'url: "ftp://x" is not an http(s) URL or an absolute path');
    assert.equal(configError('redirect', { regex: '(' , replacement: 'x' }), 'regex: invalid regular expression "(": Invalid regular expression: /(/: Unterminated group');
    assert.equal(configError('redirect', { regex: '^/a' }), 'replacement: is required with regex');
    assert.equal(configError('redirect', { scheme: 'ftp' }), 'scheme: must be one of "http", "https", got string "ftp"');
    assert.equal(configError('redirect', { port: 70000 }), 'port: must be a port number from 1 to 65535, got 70000');
    assert.equal(configError('redirect', { path: 'relative' }), 'path: "relative" is not an absolute path without query');
  });
});
