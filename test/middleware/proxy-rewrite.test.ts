import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deliveredBody, fakeUpstream, run } from '../support/context.ts';
import { chainOf, configError } from './helpers.ts';

describe('proxy-rewrite', () => {
  const reply = fakeUpstream({
    status: 302,
    headers: [
      ['Location', 'http://backend.internal:8080/app/login'],
      ['Set-Cookie', 'sid=1; Path=/app/cart; Domain=.Backend.Internal; HttpOnly'],
      ['Set-Cookie', 'theme=dark; Path=/other; Domain=example.com'],
    ],
  });

  it('rewrites a Location that starts with `from`, and cookie paths and domains that match', async () => {
    const chain = chainOf('proxy-rewrite', {
      location: { from: 'http://backend.internal:8080/app/', to: 'https://shop.test/' },
      cookiePath: { from: '/app/', to: '/' },
      cookieDomain: { from: 'backend.internal', to: 'shop.test' },
    });
    const ctx = await run(chain, {}, reply);
    assert.equal(ctx.header('location'), 'https://shop.test/login');
    assert.deepEqual(ctx.response!.headers.getAll('set-cookie'), ['sid=1; Path=/cart; Domain=shop.test; HttpOnly', 'theme=dark; Path=/other; Domain=example.com']);
  });

  it('leaves what does not match, and answers without those headers, alone', async () => {
    const chain = chainOf('proxy-rewrite', { location: { from: 'https://elsewhere/', to: '/' } });
    const ctx = await run(chain, {}, reply);
    assert.equal(ctx.header('location'), 'http://backend.internal:8080/app/login');
    assert.equal(ctx.response!.headers.getAll('set-cookie').length, 2);
    const plain = await run(chain, {}, fakeUpstream({ status: 200 }));
    assert.equal(deliveredBody(plain, [Buffer.from('ok')]).toString(), 'ok');
  });

  it('rejects bad configuration naming the field', () => {
    assert.equal(configError('proxy-rewrite', {}), 'location: location, cookiePath or cookieDomain is required');
    assert.match(configError('proxy-rewrite', { cookiePath: { from: '/a b', to: '/' } }) ?? '', /^cookiePath\.from: /);
    assert.match(configError('proxy-rewrite', { location: { from: '/', to: 'x\r\nSet-Cookie: a=1' } }) ?? '', /^location\.to: /);
  });
});
