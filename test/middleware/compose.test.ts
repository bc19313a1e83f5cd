import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compose, NextCalledTwiceError } from '../../src/middleware/compose.ts';
import type { Middleware } from '../../src/middleware/types.ts';
import { fakeUpstream, run } from '../support/context.ts';

describe('compose', () => {
  it('runs the onion: request phases in order, the upstream, then response phases in reverse', async () => {
    const trace: string[] = [];
    const layer = (name: string): Middleware => async (_ctx, next) => {
      trace.push(`${name}>`);
      await next();
      trace.push(`<${name}`);
    };
    const upstream = fakeUpstream();
    const ctx = await run(compose([layer('a'), layer('b'), layer('c')]), {}, upstream);
    trace.splice(3, 0, 'upstream');
    assert.deepEqual(trace, ['a>', 'b>', 'c>', 'upstream', '<c', '<b', '<a']);
    assert.equal(upstream.calls.length, 1);
    assert.equal(ctx.response?.status, 200);
  });

  it('accepts synchronous middlewares and an empty list', async () => {
    const upstream = fakeUpstream();
    await run(compose([(_ctx, next) => next(), (_ctx, next) => void next()]), {}, upstream);
    await run(compose([]), {}, upstream);
    assert.equal(upstream.calls.length, 2);
  });

  it('a middleware that answers stops the chain before the upstream', async () => {
    const upstream = fakeUpstream();
    const after: string[] = [];
    const ctx = await run(compose([
      async (_ctx, next) => { await next(); after.push('outer saw the answer'); },
      (c) => c.respond(401, 'no'),
      () => assert.fail('never reached'),
    ]), {}, upstream);
    assert.equal(ctx.response?.status, 401);
    assert.equal(upstream.calls.length, 0);
    assert.deepEqual(after, ['outer saw the answer']);
  });

  it('never calls the upstream after respond(), even when the middleware calls next() anyway', async () => {
    const upstream = fakeUpstream();
    const ctx = await run(compose([async (c, next) => { c.respond(403); await next(); }]), {}, upstream);
    assert.equal(ctx.response?.status, 403);
    assert.equal(upstream.calls.length, 0);
  });

  it('rejects when next() is called twice', async () => {
    const chain = compose([async (_ctx, next) => { await next(); await next(); }]);
    await assert.rejects(run(chain), NextCalledTwiceError);
  });

  it('propagates throws and rejections, and lets outer middlewares catch them', async () => {
    await assert.rejects(run(compose([() => { throw new Error('sync boom'); }])), /sync boom/);
    await assert.rejects(run(compose([async () => { throw new Error('async boom'); }])), /async boom/);
    await assert.rejects(run(compose([]), {}, Object.assign(async () => { throw new Error('upstream boom'); }, { calls: [] })), /upstream boom/);
    const caught = await run(compose([
      async (c, next) => { try { await next(); } catch { c.respond(502); } },
      () => { throw new Error('inner'); },
    ]));
    assert.equal(caught.response?.status, 502);
  });

  it('refuses a list holding something other than functions', () => {
    assert.throws(() => compose([null as unknown as Middleware]), /middleware #0 is not a function/);
  });

  it('is composed once and reused by concurrent requests', async () => {
    const chain = compose([async (c, next) => { c.state.n = c.request.path; await new Promise((r) => setImmediate(r)); await next(); }]);
    const upstream = fakeUpstream();
    const results = await Promise.all(['/a', '/b', '/c'].map((path) => run(chain, { path }, upstream)));
    assert.deepEqual(results.map((c) => c.state.n), ['/a', '/b', '/c']);
    assert.equal(upstream.calls.length, 3);
  });
});
