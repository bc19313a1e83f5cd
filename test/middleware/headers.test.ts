import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeUpstream, run } from '../support/context.ts';
import { chainOf, configError } from './helpers.ts';

describe('headers', () => {
  it('edits request headers before the upstream: remove, then set, then add', async () => {
    const chain = chainOf('headers', { request: { set: { 'X-Env': 'prod' }, add: { 'X-Tag': 'b' }, remove: ['X-Secret'] } });
    const upstream = fakeUpstream();
    await run(chain, { headers: [['X-Env', 'dev'], ['x-env', 'test'], ['X-Tag', 'a'], ['x-secret', 's']] }, upstream);
    assert.deepEqual(upstream.calls[0]!.headers, [['X-Env', 'prod'], ['X-Tag', 'a'], ['X-Tag', 'b']]);
  });

  it('edits response headers before the client', async () => {
    const chain = chainOf('headers', { response: { set: { 'Strict-Transport-Security': 'max-age=31536000' }, remove: ['Server'], add: { Vary: 'Cookie' } } });
    const ctx = await run(chain, {}, fakeUpstream({ headers: { Server: 'apache', Vary: 'Accept' } }));
    assert.deepEqual([...ctx.response!.headers.entries()], [['Vary', 'Accept'], ['Strict-Transport-Security', 'max-age=31536000'], ['Vary', 'Cookie']]);
  });

  it('also edits answers of later middlewares', async () => {
    const chain = chainOf('headers', { response: { set: { 'X-Frame-Options': 'DENY' } } });
    const ctx = await run(chain, {}, Object.assign(async (c: import('../../src/middleware/types.ts').Context) => c.respond(404), { calls: [] }));
    assert.equal(ctx.header('x-frame-options'), 'DENY');
  });

  it('rejects bad configuration naming the field', () => {
    assert.equal(configError('headers', {}), 'request: request or response must set, add or remove at least one header');
    assert.equal(configError('headers', { request: {} }), 'request: request or response must set, add or remove at least one header');
    assert.equal(configError('headers', { request: { set: { 'Bad Name': 'x' } } }), 'request.set.Bad Name: "Bad Name" is not a valid header name');
    assert.equal(configError('headers', { response: { set: { 'X-A': 'a\r\nInjected: yes' } } }), 'response.set.X-A: a header value must not contain CR, LF or NUL');
    assert.equal(configError('headers', { response: { set: { 'X-A': 5 } } }), 'response.set.X-A: must be a string, got number 5');
    assert.equal(configError('headers', { response: { remove: ['ok', 'not ok'] } }), 'response.remove[1]: "not ok" is not a valid header name');
    assert.equal(configError('headers', { response: { delete: ['x'] } }), 'response.delete: unknown field');
  });
});
