// The pool registry across snapshots: unchanged backends keep their runtime (cursor, pools, outlier
// state), changed ones get new runtimes on the same warm pools, and pools of departed endpoints retire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamRegistry } from '../../src/upstream/registry.ts';
import type { BackendSpec } from '../../src/routing/spec.ts';

const SETTINGS = { maxIdle: 4, idleTimeoutMs: 1000, tunnelGraceMs: 1000 };

function backend(key: string, ports: number[]): BackendSpec {
  return { key, namespace: 'ns', service: key, servicePort: 80, protocol: 'http', endpoints: ports.map((port) => ({ address: '127.0.0.1', port, ready: true })) };
}

test('an unchanged backend keeps its runtime; a changed one reuses the pools of endpoints it keeps', () => {
  const registry = new UpstreamRegistry(SETTINGS);
  const first = registry.prepare({ a: backend('a', [1001, 1002]), b: backend('b', [2001]) });
  const a1 = first.get('a')!;
  a1.next = 7;
  const second = registry.prepare({ a: backend('a', [1001, 1002]), b: backend('b', [2001, 2002]) });
  assert.equal(second.get('a'), a1, 'same endpoints: same runtime, round-robin cursor kept');
  assert.equal(second.get('a')!.next, 7);
  const b2 = second.get('b')!;
  assert.notEqual(b2, first.get('b'));
  assert.equal(b2.endpoints[0]!.pool, first.get('b')!.endpoints[0]!.pool, 'the kept endpoint keeps its warm pool');
  assert.equal(b2.breaker, first.get('b')!.breaker, 'outlier state belongs to the backend');
});

test('pools of endpoints that left every backend are retired; those still listed are not', () => {
  const registry = new UpstreamRegistry(SETTINGS);
  const first = registry.prepare({ a: backend('a', [1001, 1002]) });
  const [kept, gone] = first.get('a')!.endpoints;
  // Pools are created on first use: use both.
  const keptPool = kept!.pool;
  const gonePool = gone!.pool;
  registry.prepare({ a: backend('a', [1001]) });
  assert.equal(gonePool.retired, true);
  assert.equal(keptPool.retired, false);
  // Back again: the same pool object comes back to life only if it was still known; a new one otherwise.
  const third = registry.prepare({ a: backend('a', [1001, 1002]) });
  assert.equal(third.get('a')!.endpoints[0]!.pool, keptPool);
  assert.equal(third.get('a')!.endpoints[1]!.pool.retired, false);
});

test('pools are created only for endpoints that are used', () => {
  const registry = new UpstreamRegistry(SETTINGS);
  const runtimes = registry.prepare({ a: backend('a', [1001, 1002, 1003]) });
  assert.equal(registry.openConnections(), 0);
  const used = runtimes.get('a')!.endpoints[1]!;
  assert.equal(used.pool, used.pool, 'one pool per endpoint, created once');
  assert.equal(registry.poolCount, 1);
});
