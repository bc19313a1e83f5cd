// A whole table goes to a worker in parts (runtime/snapshot-parts.ts): the worker gets exactly the table
// back once the last part is in, never a partial one, and a broken sequence is dropped, not served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotAssembler, snapshotParts, type SnapshotPart } from '../../src/runtime/snapshot-parts.ts';
import type { BackendSpec, RouteTableSpec } from '../../src/routing/index.ts';
import { DEFAULT_ROUTE, routeSpec } from '../routing/spec-builders.ts';

function table(version: number, hostCount: number, backendCount: number): RouteTableSpec {
  const backend = (key: string): BackendSpec => ({ key, namespace: 'default', service: key, servicePort: 80, protocol: 'http', endpoints: [{ address: '10.0.0.1', port: 8080, ready: true }] });
  return {
    version,
    hosts: Array.from({ length: hostCount }, (_, i) => ({ host: `h${i}.test`, routes: [routeSpec(`h${i}.test`, 'Prefix', '/', `k${i % backendCount}`)] })),
    defaultRoute: DEFAULT_ROUTE,
    backends: Object.fromEntries(Array.from({ length: backendCount }, (_, i) => [`k${i}`, backend(`k${i}`)])),
    certificates: [{ hosts: ['h0.test'], secret: 'default/tls', certPem: 'cert', keyPem: 'key' }],
    listenerPorts: [8080],
  };
}

/** As the IPC channel carries them. */
const overTheWire = (parts: Iterable<SnapshotPart>): SnapshotPart[] => [...parts].map((part) => JSON.parse(JSON.stringify(part)) as SnapshotPart);

test('the parts of a table assemble into the same table, and only with the last part', () => {
  const spec = table(4, 5, 3);
  const parts = overTheWire(snapshotParts(spec, 2));
  assert.equal(parts.length, 3);
  const assembler = new SnapshotAssembler();
  assert.equal(assembler.add(parts[0]!), null);
  assert.equal(assembler.add(parts[1]!), null);
  assert.deepEqual(assembler.add(parts[2]!), spec);
});

test('an empty table is one part', () => {
  const spec: RouteTableSpec = { version: 1, hosts: [], defaultRoute: null, backends: {}, certificates: [] };
  const parts = overTheWire(snapshotParts(spec));
  assert.equal(parts.length, 1);
  assert.deepEqual(new SnapshotAssembler().add(parts[0]!), spec);
});

test('a sequence with a gap, or interrupted by another version, is dropped; the next whole sequence is served', () => {
  const assembler = new SnapshotAssembler();
  const [a0, , a2] = overTheWire(snapshotParts(table(5, 5, 5), 2));
  assert.equal(assembler.add(a0!), null);
  assert.equal(assembler.add(a2!), null, 'a part is missing: nothing is served');
  const b = overTheWire(snapshotParts(table(6, 5, 5), 2));
  assert.equal(assembler.add(b[0]!), null);
  assert.equal(assembler.add(overTheWire(snapshotParts(table(7, 5, 5), 2))[1]!), null, 'a part of another version breaks the sequence');
  assert.equal(assembler.add(b[1]!), null, 'and the rest of the broken one is not served');
  const c = overTheWire(snapshotParts(table(8, 5, 5), 2));
  assert.equal(assembler.add(c[0]!), null);
  assert.equal(assembler.add(c[1]!), null);
  assert.deepEqual(assembler.add(c[2]!), table(8, 5, 5));
});
