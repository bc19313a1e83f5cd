// The pool registry across snapshots: backends keep their runtime (cursor, pools, outlier state) while
// their protocol and TLS settings stay, endpoint changes are applied in place on the same warm pools,
// and pools of departed endpoints retire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamRegistry } from '../../src/upstream/registry.ts';
import type { BackendSpec } from '../../src/routing/spec.ts';

const SETTINGS = { maxIdle: 4, idleTimeoutMs: 1000, tunnelGraceMs: 1000 };

function backend(key: string, ports: number[]): BackendSpec {
  return { key, namespace: 'ns', service: key, servicePort: 80, protocol: 'http', endpoints: ports.map((port) => ({ address: '127.0.0.1', port, ready: true })) };
}

test('a backend keeps its runtime while its protocol and TLS stay: its endpoints change in place, kept ones keep their pools', () => {
  const registry = new UpstreamRegistry(SETTINGS);
  registry.prepare({ a: backend('a', [1001, 1002]), b: backend('b', [2001]) });
  const a1 = registry.backends.get('a')!;
  const b1 = registry.backends.get('b')!;
  const b1Endpoints = b1.endpoints;
  const keptPool = b1Endpoints[0]!.pool;
  a1.next = 7;
  const replaced = registry.update([backend('a', [1001, 1002]), backend('b', [2001, 2002])], []);
  assert.deepEqual([...replaced], [], 'no runtime replaced: no route needs compiling');
  assert.equal(registry.backends.get('a'), a1, 'same endpoints: same runtime, round-robin cursor kept');
  assert.equal(a1.next, 7);
  assert.equal(registry.backends.get('b'), b1, 'new endpoints: the same runtime');
  assert.notEqual(b1.endpoints, b1Endpoints, 'the endpoint list is replaced whole, never edited');
  assert.equal(b1Endpoints.length, 1, 'a request still holding the old list reads it unchanged');
  assert.equal(b1.endpoints[0], b1Endpoints[0], 'the kept endpoint keeps its runtime');
  assert.equal(b1.endpoints[0]!.pool, keptPool, 'and its warm pool');
  assert.deepEqual(b1.endpoints.map((e) => e.spec.port), [2001, 2002]);
});

test('a protocol change replaces the runtime (routes using it must be compiled again); outlier state stays with the key', () => {
  const registry = new UpstreamRegistry(SETTINGS);
  registry.prepare({ a: backend('a', [1001]), b: backend('b', [2001]) });
  const a1 = registry.backends.get('a')!;
  const replaced = registry.update([{ ...backend('a', [1001]), protocol: 'h2c' }, backend('c', [3001])], ['b']);
  assert.deepEqual([...replaced], ['a'], 'a new and a removed backend come with the routes that start or stop using them');
  const a2 = registry.backends.get('a')!;
  assert.notEqual(a2, a1);
  assert.equal(a2.breaker, a1.breaker, 'outlier state belongs to the backend');
  assert.equal(a2.retry, a1.retry);
  assert.equal(registry.backends.has('b'), false);
  assert.ok(registry.backends.has('c'));
});

test('pools of endpoints that left every backend are retired; those still listed are not', () => {
  const registry = new UpstreamRegistry(SETTINGS);
  registry.prepare({ a: backend('a', [1001, 1002]), b: backend('b', [1002]) });
  const [kept, shared] = registry.backends.get('a')!.endpoints;
  // Pools are created on first use: use them.
  const keptPool = kept!.pool;
  const sharedPool = shared!.pool;
  registry.prepare({ a: backend('a', [1001]), b: backend('b', [1002]) });
  assert.equal(sharedPool.retired, false, 'still listed by another backend');
  assert.equal(keptPool.retired, false);
  registry.update([], ['b']);
  assert.equal(sharedPool.retired, true, 'listed by no backend any more');
  // Back again: a new pool.
  registry.update([backend('a', [1001, 1002])], []);
  const endpoints = registry.backends.get('a')!.endpoints;
  assert.equal(endpoints[0]!.pool, keptPool);
  assert.notEqual(endpoints[1]!.pool, sharedPool);
  assert.equal(endpoints[1]!.pool.retired, false);
});

test('an endpoint no longer served (a request of an older version retrying) gets a pool of its own, retired at once', () => {
  const registry = new UpstreamRegistry(SETTINGS);
  registry.prepare({ a: backend('a', [1001, 1002]) });
  const old = registry.backends.get('a')!.endpoints[1]!;
  registry.update([backend('a', [1001])], []);
  assert.equal(old.pool.retired, true);
  assert.equal(registry.poolCount, 0, 'not kept by the registry');
});

test('pools are created only for endpoints that are used', () => {
  const registry = new UpstreamRegistry(SETTINGS);
  registry.prepare({ a: backend('a', [1001, 1002, 1003]) });
  assert.equal(registry.openConnections(), 0);
  const used = registry.backends.get('a')!.endpoints[1]!;
  assert.equal(used.pool, used.pool, 'one pool per endpoint, created once');
  assert.equal(registry.poolCount, 1);
});

test("a change of the upstream TLS (names checked, client certificate) replaces the runtime and its pools; the same settings keep them", () => {
  const registry = new UpstreamRegistry(SETTINGS);
  const tls = (names?: string[], cert?: string): BackendSpec => ({
    ...backend('a', [1001]),
    protocol: 'https',
    tls: {
      caSecret: 'ns/ca', caPem: 'CA', serverName: 'a.test',
      ...(names === undefined ? {} : { subjectAltNames: names }),
      ...(cert === undefined ? {} : { clientCertificate: { secret: 'ns/client', certPem: cert, keyPem: 'KEY' } }),
    },
  });
  registry.prepare({ a: tls(['DNS:a.test']) });
  const first = registry.backends.get('a')!;
  const firstPool = first.endpoints[0]!.pool;
  assert.deepEqual([...registry.update([tls(['DNS:a.test'])], [])], [], 'equal settings in a new object: kept');
  assert.equal(registry.backends.get('a'), first);
  assert.deepEqual([...registry.update([tls(['DNS:b.test'])], [])], ['a'], 'another name to check');
  assert.equal(firstPool.retired, true, 'connections checked for the old name are not reused');
  const second = registry.backends.get('a')!;
  const secondPool = second.endpoints[0]!.pool;
  assert.deepEqual([...registry.update([tls(['DNS:b.test'], 'CERT')], [])], ['a'], 'a client certificate');
  assert.equal(secondPool.retired, true);
  assert.notEqual(registry.backends.get('a')!.endpoints[0]!.pool, secondPool);
});
