import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_CONFIG_PARSERS } from '../../src/middleware/config/index.ts';
import { buildChain, MiddlewareRegistry } from '../../src/middleware/registry.ts';
import { MiddlewareRuntime } from '../../src/middleware/runtime.ts';
import type { MiddlewareSpec } from '../../src/routing/spec.ts';
import { fakeUpstream, run } from '../support/context.ts';
import { recordingEnv } from './helpers.ts';

const spec = (type: string, config: Record<string, unknown>, source = 'shop/mw'): MiddlewareSpec => ({ type, source, config });

describe('registry and buildChain', () => {
  it('registers every built-in by default, each with a config parser for translate()', () => {
    const registry = new MiddlewareRegistry();
    assert.deepEqual(registry.types(), Object.keys(BUILTIN_CONFIG_PARSERS).sort());
    assert.ok(registry.types().length >= 13);
    for (const type of registry.types()) assert.equal(registry.isBuiltin(type), true);
  });

  it('a route without middleware gets no chain at all', () => {
    assert.deepEqual(buildChain([], recordingEnv()), { chain: null, errors: [] });
  });

  it('composes the specs in order', async () => {
    const env = recordingEnv();
    const { chain, errors } = buildChain([
      spec('headers', { request: { set: { 'x-step': 'one' } } }),
      spec('headers', { request: { add: { 'x-step': 'two' } } }),
    ], env);
    assert.deepEqual(errors, []);
    const upstream = fakeUpstream();
    await run(chain!, {}, upstream);
    assert.deepEqual(upstream.calls[0]!.headers.filter(([n]) => n === 'x-step'), [['x-step', 'one'], ['x-step', 'two']]);
  });

  it('fails closed on a bad configuration: 500, upstream never called, error named and logged once', async () => {
    const env = recordingEnv();
    const { chain, errors } = buildChain([spec('ip-filter', { allow: ['10.0.0.0/8'] }), spec('rate-limit', { requestsPerSecond: 5, burst: 0 }, 'shop/limits')], env);
    assert.deepEqual(errors, [{ source: 'shop/limits', type: 'rate-limit', field: 'burst', message: 'must be at least 1, got 0' }]);
    const upstream = fakeUpstream();
    const ctx = await run(chain!, { clientAddress: '10.1.2.3' }, upstream);
    assert.equal(ctx.response?.status, 500);
    assert.equal(ctx.answerBody, '500 Internal Server Error\n');
    assert.equal(ctx.header('content-type'), 'text/plain; charset=utf-8');
    assert.equal(upstream.calls.length, 0);
    assert.equal(env.logs.length, 1);
    assert.match(env.logs[0]!.message, /middleware rate-limit from shop\/limits: burst: must be at least 1, got 0; the route answers 500/);
  });

  it('fails closed on an unknown type (a plugin that was not loaded)', async () => {
    const { chain, errors } = buildChain([spec('add-header', { name: 'x', value: 'y' })], recordingEnv());
    assert.equal(errors[0]!.type, 'add-header');
    assert.match(errors[0]!.message, /unknown middleware type \(built-in types and loaded plugins: affinity, basic-auth/);
    assert.equal((await run(chain!)).response?.status, 500);
  });

  it('fails closed when a plugin factory throws something else or returns a non-function', async () => {
    const registry = new MiddlewareRegistry();
    registry.register({ type: 'broken', create: () => { throw new TypeError('oops'); } });
    registry.register({ type: 'not-a-function', create: () => 42 as never });
    for (const type of ['broken', 'not-a-function']) {
      const { chain, errors } = registry.buildChain([spec(type, {})], recordingEnv());
      assert.match(errors[0]!.message, /could not be created/);
      assert.equal((await run(chain!)).response?.status, 500);
    }
  });

  it('deny answers its status without calling the upstream (translate() fail-closed spec)', async () => {
    const { chain } = buildChain([spec('deny', { status: 503, reason: 'Middleware shop/auth not found' }, 'annotations')], recordingEnv());
    const upstream = fakeUpstream();
    const ctx = await run(chain!, {}, upstream);
    assert.equal(ctx.response?.status, 503);
    assert.equal(ctx.logFields.denied, 'Middleware shop/auth not found');
    assert.equal(upstream.calls.length, 0);
    assert.equal(buildChain([spec('deny', { status: 200 })], recordingEnv()).errors[0]?.field, 'status');
  });
});

describe('MiddlewareRuntime', () => {
  it('builds one chain per MiddlewareSpec[] of a snapshot and logs a persisting error once', () => {
    const logs: string[] = [];
    const runtime = new MiddlewareRuntime({ log: (_level, message) => logs.push(message) });
    const bad = [spec('cors', {})];
    for (let i = 0; i < 3; i++) {
      const snapshot = runtime.snapshot();
      const specs = [spec('ip-filter', { deny: ['10.0.0.0/8'] })];
      assert.equal(snapshot.chainFor(specs), snapshot.chainFor(specs), 'routes of one Ingress share their chain');
      assert.notEqual(snapshot.chainFor(specs), null);
      assert.equal(snapshot.chainFor([]), null);
      snapshot.chainFor(structuredClone(bad));
      assert.equal(snapshot.errors.length, 1);
    }
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /cors from shop\/mw: allowOrigins: is required/);
  });

  it('keeps shared services across snapshots and closes them once two snapshots went by without them', async () => {
    const closed: string[] = [];
    const runtime = new MiddlewareRuntime({ log: () => {} });
    // Stands in for what factories share (Redis clients, JWKS caches, rate-limit buckets).
    const bucketsOf = (key: string) => runtime.env.shared(`probe:${key}`, () => ({ key, close: () => closed.push(key) }));

    let s = runtime.snapshot();
    const first = bucketsOf('a');
    await s.finish();
    s = runtime.snapshot();
    assert.equal(bucketsOf('a'), first, 'the next snapshot gets the same service');
    await s.finish();
    s = runtime.snapshot(); // does not use "a"
    await s.finish();
    assert.deepEqual(closed, [], 'the previous snapshot may still serve requests with it');
    s = runtime.snapshot();
    await s.finish();
    assert.deepEqual(closed, ['a']);
    bucketsOf('b');
    await runtime.close();
    assert.deepEqual(closed, ['a', 'b']);
  });
});
