// AsyncResource.prototype.bind as the HTTP/2 upstream pool installs it (src/upstream/lean-async-bind.ts):
// the same behaviour as Node's own (async scope, `this`, arguments, thisArg, length, the resource
// reachable as `asyncResource`, argument check), and bound functions that die young instead of
// surviving young-generation collections (measured with V8's sampling heap profiler counting what
// only a full collection reclaimed).
import { test, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncLocalStorage, AsyncResource, executionAsyncId } from 'node:async_hooks';
import { bytesSurvivingScavenges } from '../support/young-survivors.ts';
import { Http2SessionPool } from '../../src/upstream/http2-session-pool.ts';

describe('AsyncResource.prototype.bind once an HTTP/2 upstream pool exists', () => {
  before(() => {
    // The pool installs it when created; no connection is opened before a request.
    new Http2SessionPool('127.0.0.1', 9, null, { idleTimeoutMs: 1000 });
  });

  test('a bound function runs in the resource scope with its caller\'s this and arguments', () => {
    const resource = new AsyncResource('test.bind');
    const seen: { scope: number; self: unknown; args: unknown[] }[] = [];
    const bound = resource.bind(function (this: unknown, a: number, b: number) {
      seen.push({ scope: executionAsyncId(), self: this, args: [a, b] });
      return a + b;
    });
    const receiver = { name: 'receiver' };
    assert.equal(bound.call(receiver, 2, 3), 5);
    assert.deepEqual(seen, [{ scope: resource.asyncId(), self: receiver, args: [2, 3] }]);
    assert.equal(bound.length, 2);
    assert.equal((bound as unknown as { asyncResource: AsyncResource }).asyncResource, resource);
    assert.ok(Object.keys(bound).includes('asyncResource'), 'enumerable, as in Node');
  });

  test('thisArg fixes `this`, and the static bind() goes through the same path', () => {
    const fixed = { name: 'fixed' };
    // Node's bind() takes a thisArg; @types/node does not declare it.
    const bindWithThis = AsyncResource.prototype.bind as (this: AsyncResource, fn: (this: unknown) => unknown, thisArg: unknown) => (this: unknown) => unknown;
    const bound = bindWithThis.call(new AsyncResource('test.bind'), function (this: unknown) {
      return this;
    }, fixed);
    assert.equal(bound.call({ other: true }), fixed);
    const staticBound = AsyncResource.bind((x: number) => x * 2);
    assert.equal(staticBound(21), 42);
    assert.equal(typeof Object.getOwnPropertyDescriptor(staticBound, 'asyncResource')?.get, 'undefined', 'a data property, not an accessor');
  });

  test('the async context of the bind() call is the one the function sees (AsyncLocalStorage)', async () => {
    const storage = new AsyncLocalStorage<string>();
    const bound = storage.run('at-bind', () => AsyncResource.bind(() => storage.getStore()));
    const later = await new Promise<string | undefined>((resolve) => setImmediate(() => resolve(bound())));
    assert.equal(later, 'at-bind');
  });

  test('a non-function is refused as Node refuses it', () => {
    assert.throws(() => new AsyncResource('test.bind').bind(42 as unknown as () => void), (error: NodeJS.ErrnoException) => error instanceof TypeError && error.code === 'ERR_INVALID_ARG_TYPE' && /"fn"/.test(error.message));
  });

  test('bound functions and what they capture are reclaimed by young-generation collections', async () => {
    const count = 20_000;
    let sum = 0;
    const survived = await bytesSurvivingScavenges(async () => {
      for (let i = 0; i < count; i++) {
        const captured = new Array<number>(64).fill(i);
        sum += new AsyncResource('test.bind').bind(() => captured.length)();
        if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    });
    assert.equal(sum, count * 64);
    const perFunction = survived / count;
    // Node 22's own bind(): about 2,000 bytes per function (the function, its accessor closures and
    // the captured array all promoted); this one: below 100.
    assert.ok(perFunction < 400, `${perFunction.toFixed(0)} bytes per bound function survived young-generation collections`);
  });
});
