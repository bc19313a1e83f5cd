import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeUpstream, run, type TestRequest } from '../support/context.ts';
import { chainOf, configError } from './helpers.ts';

async function upstreamSees(config: Record<string, unknown>, req: TestRequest): Promise<{ path: string; headers: Record<string, string> }> {
  const upstream = fakeUpstream();
  await run(chainOf('rewrite', config), req, upstream);
  const seen = upstream.calls[0]!;
  return { path: seen.path, headers: Object.fromEntries(seen.headers) };
}

describe('rewrite', () => {
  it('stripPrefix: removes the first matching prefix on a segment boundary and says so in X-Forwarded-Prefix', async () => {
    const config = { stripPrefix: ['/api/v1', '/api'] };
    assert.deepEqual(await upstreamSees(config, { path: '/api/v1/users?x=1' }), { path: '/users?x=1', headers: { 'x-forwarded-prefix': '/api/v1' } });
    assert.equal((await upstreamSees(config, { path: '/api' })).path, '/');
    assert.equal((await upstreamSees(config, { path: '/api/' })).path, '/');
    assert.deepEqual(await upstreamSees(config, { path: '/apix/y' }), { path: '/apix/y', headers: {} }, 'not a segment boundary');
    assert.equal((await upstreamSees({ stripPrefix: ['/static/'] }, { path: '/static/app.js' })).path, '/app.js');
  });

  it('regex: every match in the path is replaced, captures included; the query is kept', async () => {
    const config = { regex: '^/users/(\\d+)/posts', replacement: '/posts/by-user/$1' };
    assert.deepEqual(await upstreamSees(config, { path: '/users/42/posts?page=2' }), { path: '/posts/by-user/42?page=2', headers: { 'x-replaced-path': '/users/42/posts' } });
    assert.equal((await upstreamSees({ regex: '-', replacement: '_' }, { path: '/a-b-c' })).path, '/a_b_c');
    assert.deepEqual(await upstreamSees(config, { path: '/other' }), { path: '/other', headers: {} });
  });

  it('replacePath and addPrefix', async () => {
    assert.equal((await upstreamSees({ replacePath: '/health' }, { path: '/anything?q' })).path, '/health?q');
    assert.equal((await upstreamSees({ addPrefix: '/v2' }, { path: '/items?q=1' })).path, '/v2/items?q=1');
    assert.equal((await upstreamSees({ addPrefix: '/v2/' }, { path: '/' })).path, '/v2/');
    assert.equal((await upstreamSees({ stripPrefix: ['/old'], addPrefix: '/new' }, { path: '/old/a' })).path, '/new/a');
  });

  describe('target (ingress-nginx rewrite-target)', () => {
    const regexRoute = { kind: 'Regex' as const, path: '/something(/|$)(.*)' };
    it('uses the route regex captures, case-insensitively and anchored at the start', async () => {
      const config = { target: '/$2' };
      assert.equal((await upstreamSees(config, { route: regexRoute, path: '/something' })).path, '/');
      assert.equal((await upstreamSees(config, { route: regexRoute, path: '/something/' })).path, '/');
      assert.equal((await upstreamSees(config, { route: regexRoute, path: '/SOMETHING/new?x=1' })).path, '/new?x=1');
      assert.equal((await upstreamSees(config, { route: regexRoute, path: '/prefix/something/new' })).path, '/prefix/something/new');
    });

    it('a query in the target comes first, the client query after it', async () => {
      assert.equal((await upstreamSees({ target: '/search?q=$2' }, { route: regexRoute, path: '/something/shoes?page=2' })).path, '/search?q=shoes&page=2');
      assert.equal((await upstreamSees({ target: '/search?q=$2' }, { route: regexRoute, path: '/something/shoes' })).path, '/search?q=shoes');
    });

    it('without use-regex the whole path becomes the target, as in ingress-nginx', async () => {
      const prefix = { kind: 'Prefix' as const, path: '/app' };
      assert.equal((await upstreamSees({ target: '/' }, { route: prefix, path: '/app/deep/page?x=1' })).path, '/?x=1');
      assert.equal((await upstreamSees({ target: '/' }, { route: { kind: 'Prefix', path: '/a.b' }, path: '/aXb' })).path, '/aXb', 'dots are literal');
      assert.equal((await upstreamSees({ target: 'relative' }, { route: prefix, path: '/app' })).path, '/relative');
    });

    it('works for each route of a shared chain', async () => {
      const chain = chainOf('rewrite', { target: '/$1' });
      const upstream = fakeUpstream();
      await run(chain, { route: { id: 'a', kind: 'Regex', path: '/a/(.*)' }, path: '/a/x' }, upstream);
      await run(chain, { route: { id: 'b', kind: 'Regex', path: '/b/(.*)' }, path: '/b/y' }, upstream);
      assert.deepEqual(upstream.calls.map((c) => c.path), ['/x', '/y']);
    });
  });

  it('rejects bad configuration naming the field', () => {
    assert.equal(configError('rewrite', {}), 'stripPrefix: one of stripPrefix, regex, replacePath, target or addPrefix is required');
    assert.equal(configError('rewrite', { stripPrefix: ['api'] }), 'stripPrefix[0]: "api" is not an absolute path (starting with "/", without query)');
    assert.equal(configError('rewrite', { regex: '[' , replacement: '' }), 'regex: invalid regular expression "[": Invalid regular expression: /[/g: Unterminated character class');
    assert.equal(configError('rewrite', { regex: '^/a' }), 'replacement: is required with regex (a string; may be empty)');
    assert.equal(configError('rewrite', { replacement: '/x' }), 'replacement: is only used with regex');
    assert.equal(configError('rewrite', { regex: 'a', replacement: 'b', replacePath: '/c' }), 'regex: regex, replacePath and target are alternatives: set one of them');
    assert.equal(configError('rewrite', { addPrefix: '/a?b' }), 'addPrefix: "/a?b" is not an absolute path (starting with "/", without query)');
  });
});
