import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEndpoint, encodeEndpoint } from '../../src/middleware/builtin/affinity.ts';
import { fakeUpstream, run } from '../support/context.ts';
import { chainOf, configError } from './helpers.ts';

describe('affinity', () => {
  it('sets the cookie to the endpoint used, then prefers that endpoint on the next request', async () => {
    const chain = chainOf('affinity', {});
    const first = await run(chain, {}, fakeUpstream({ endpoint: '10.0.0.7:8080' }));
    const cookie = first.header('set-cookie')!;
    assert.equal(cookie, `tideway-affinity=${encodeEndpoint('10.0.0.7:8080')}; Path=/; HttpOnly`);
    const upstream = fakeUpstream({ endpoint: '10.0.0.7:8080' });
    const second = await run(chain, { headers: { cookie: `other=1; ${cookie.split(';')[0]}` } }, upstream);
    assert.equal(upstream.calls[0]!.preferredEndpoint, '10.0.0.7:8080');
    assert.equal(second.header('set-cookie'), undefined, 'the cookie is already right');
  });

  it('re-issues the cookie when the preferred endpoint was not usable', async () => {
    const chain = chainOf('affinity', { cookieName: 'sticky' });
    const ctx = await run(chain, { headers: { cookie: `sticky=${encodeEndpoint('10.0.0.7:8080')}` } }, fakeUpstream({ endpoint: '10.0.0.9:8080' }));
    assert.match(ctx.header('set-cookie')!, new RegExp(`^sticky=${encodeEndpoint('10.0.0.9:8080')};`));
  });

  it('ignores cookies that do not hold an endpoint, and sets none when no endpoint was used', async () => {
    for (const value of ['garbage!', encodeEndpoint('not-an-ip:80'), encodeEndpoint('10.0.0.1:99999'), encodeEndpoint('10.0.0.1'), '']) {
      const upstream = fakeUpstream();
      await run(chainOf('affinity', {}), { headers: { cookie: `tideway-affinity=${value}` } }, upstream);
      assert.equal(upstream.calls[0]!.preferredEndpoint, null, value);
    }
    assert.equal(decodeEndpoint(encodeEndpoint('[2001:db8::1]:443')), '[2001:db8::1]:443');
    const ctx = await run(chainOf('affinity', {}), {}, fakeUpstream({ endpoint: null, status: 503 }));
    assert.equal(ctx.header('set-cookie'), undefined);
  });

  it('writes the configured attributes; Secure follows the request scheme unless set', async () => {
    const chain = chainOf('affinity', { path: '/shop', domain: 'example.com', maxAge: '1h', sameSite: 'Lax', httpOnly: false });
    const http = await run(chain, {}, fakeUpstream({ endpoint: '10.0.0.1:80' }));
    assert.equal(http.header('set-cookie'), `tideway-affinity=${encodeEndpoint('10.0.0.1:80')}; Path=/shop; Domain=example.com; Max-Age=3600; SameSite=Lax`);
    const https = await run(chain, { scheme: 'https' }, fakeUpstream({ endpoint: '10.0.0.1:80' }));
    assert.match(https.header('set-cookie')!, /; Secure; SameSite=Lax$/);
    const never = await run(chainOf('affinity', { secure: false }), { scheme: 'https' }, fakeUpstream({ endpoint: '10.0.0.1:80' }));
    assert.doesNotMatch(never.header('set-cookie')!, /Secure/);
  });

  it('rejects bad configuration naming the field', () => {
    assert.equal(configError('affinity', { cookieName: 'bad name' }), 'cookieName: "bad name" is not a valid cookie name');
    assert.equal(configError('affinity', { sameSite: 'None', secure: false }), 'sameSite: SameSite=None needs secure: browsers drop such cookies otherwise');
    assert.equal(configError('affinity', { sameSite: 'none' }), 'sameSite: must be one of "Strict", "Lax", "None", got string "none"');
    assert.equal(configError('affinity', { maxAge: '10' }), null, 'bare seconds, as ingress-nginx writes them');
    assert.equal(configError('affinity', { maxAge: 'soon' }), 'maxAge: invalid duration "soon": expected a number with unit ms, s, m or h (e.g. "30s", "500ms"), or whole seconds');
    assert.equal(configError('affinity', { path: 'x' }), 'path: "x" is not an absolute path without ";" or ","');
  });
});
