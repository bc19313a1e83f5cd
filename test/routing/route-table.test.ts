import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { compileRouteTable } from '../../src/routing/index.ts';
import type { RouteSpec } from '../../src/routing/spec.ts';
import { DEFAULT_ROUTE, routeSpec, tableSpec } from './spec-builders.ts';

describe('RouteTable', () => {
  it('exposes its version, and compiles every route including the default one', () => {
    const spec = tableSpec({ 'a.test': [['Prefix', '/']], '': [['Exact', '/x']] }, DEFAULT_ROUTE);
    const table = compileRouteTable(spec);
    assert.equal(table.version, 7);
    assert.deepEqual(
      table.routes().map((r) => r.spec.id),
      ['a.test|Prefix|/', '|Exact|/x', 'default'],
    );
    assert.equal(table.defaultRoute?.spec.id, 'default');
    assert.equal(table.routes()[0]!.ext, undefined);
  });

  it('attaches the caller value to each route once', () => {
    const seen: string[] = [];
    const table = compileRouteTable(tableSpec({ 'a.test': [['Prefix', '/'], ['Exact', '/x']] }, DEFAULT_ROUTE), (route: RouteSpec) => {
      seen.push(route.id);
      return `chain:${route.id}`;
    });
    assert.deepEqual(seen, ['a.test|Prefix|/', 'a.test|Exact|/x', 'default']);
    assert.equal(table.match('a.test', '/x')!.ext, 'chain:a.test|Exact|/x');
    assert.equal(table.match('b.test', '/')!.ext, 'chain:default');
  });

  it('returns the same CompiledRoute object on every match', () => {
    const table = compileRouteTable(tableSpec({ 'a.test': [['Prefix', '/']] }));
    assert.equal(table.match('a.test', '/a'), table.match('A.TEST:1', '/b?c'));
  });

  it('keeps the first of two spec routes with the same path', () => {
    const spec = tableSpec({ 'a.test': [['Prefix', '/x']] });
    spec.hosts[0]!.routes.push({ ...routeSpec('a.test', 'Prefix', '/x/'), id: 'second' });
    assert.equal(compileRouteTable(spec).match('a.test', '/x')!.spec.id, 'a.test|Prefix|/x');
  });
});

describe('match() allocation', () => {
  // Not a timing test: it counts heap bytes. A garbage collection first empties the young
  // generation, and the measured calls allocate far less than it holds, so no collection can
  // hide an allocation. The best of several runs is kept: one-off costs (the compiler replacing
  // the measuring loop while it runs) show up once, an allocation per call shows up every time.
  // The control case (a Regex route that cuts off the query string) proves that the measurement
  // does see a small allocation per call.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const CALLS = 20_000;

  function bytesPerCall(fn: () => unknown): number {
    for (let i = 0; i < 50_000; i++) fn(); // let the optimizing compiler settle first
    let best = Infinity;
    for (let run = 0; run < 5; run++) {
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < CALLS; i++) fn();
      best = Math.min(best, (process.memoryUsage().heapUsed - before) / CALLS);
    }
    return best;
  }

  const table = compileRouteTable(
    tableSpec({
      'app.example.com': [['Prefix', '/'], ['Prefix', '/api'], ['Prefix', '/api/users'], ['Exact', '/health']],
      '*.example.com': [['Prefix', '/static']],
      'regex.example.com': [['Regex', '/v[0-9]+/items']],
    }),
  );

  it('allocates nothing for exact and wildcard hosts with Exact and Prefix paths', () => {
    let sink: unknown;
    const cases: [string, string][] = [
      ['app.example.com', '/api/users/42?page=2'],
      ['App.Example.com:8443', '/api/users/42'],
      ['app.example.com', '/health'],
      ['cdn.example.com', '/static/app.js?v=1'],
    ];
    for (const [host, path] of cases) {
      assert.ok(table.match(host, path), `${host}${path} must match`);
      const bytes = bytesPerCall(() => (sink = table.match(host, path)));
      assert.ok(bytes < 1, `${host}${path}: ${bytes.toFixed(2)} bytes per call`);
    }
    assert.ok(sink);
  });

  it('control: the measurement sees the per-call slice of a Regex match', () => {
    let sink: unknown;
    assert.ok(table.match('regex.example.com', '/v2/items?x=1'));
    const bytes = bytesPerCall(() => (sink = table.match('regex.example.com', '/v2/items?x=1')));
    assert.ok(bytes >= 8, `expected an allocation per call, measured ${bytes.toFixed(2)} bytes`);
    assert.ok(sink);
  });
});
