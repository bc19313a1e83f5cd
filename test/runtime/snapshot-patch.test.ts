// A worker patches the table it serves from each delta (runtime/snapshot.ts): the hosts a delta names
// are compiled again, the others are kept (the same objects), and an endpoint change updates its
// backend's runtime in place. Property: for any sequence of deltas, the patched table serves what a
// table compiled from scratch serves (routes, matches, backends, and every route bound to its backend's
// current runtime), including the rare changes the translator-driven test seldom makes: a backend's
// protocol or TLS changing under routes that do not change, Gateway API wildcard routes, the default route.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BackendSpec, RouteSpec, RouteTableSpec } from '../../src/routing/index.ts';
import type { SpecDelta } from '../../src/runtime/spec-delta.ts';
import { buildSnapshot, emptyTableSpec, patchSnapshot } from '../../src/runtime/snapshot.ts';
import { UpstreamRegistry } from '../../src/upstream/registry.ts';
import { routeSpec } from '../routing/spec-builders.ts';
import { tableView } from './table-view.ts';

const POOLS = { maxIdle: 1, idleTimeoutMs: 1000, tunnelGraceMs: 1000 };
const HOSTS = ['a.test', 'b.test', '*.w.test', '', 'x.w.test'];
const PATHS = ['/', '/a', '/a/b', '/v[0-9]+'];
const KEYS = ['k0', 'k1', 'k2'];
const PROBES = [...HOSTS, 'y.w.test', 'q.x.w.test', 'none.test'].flatMap((host) => ['/', '/a', '/a/b/c', '/v2', '/z'].map((path): [string, string] => [host, path]));

const routeArb = (host: string) =>
  fc.record({ kind: fc.constantFrom('Prefix', 'Exact', 'Regex'), path: fc.constantFrom(...PATHS), backend: fc.constantFrom<string | null>(...KEYS, null), gateway: fc.boolean() }).map(({ kind, path, backend, gateway }): RouteSpec => {
    const route = routeSpec(host, kind as RouteSpec['kind'], kind === 'Regex' ? path : path.replace(/\[.*$/, ''), backend);
    // Gateway API routes of a wildcard host cover any number of labels (the deep wildcard index).
    return gateway ? { ...route, gateway: { kind: 'HTTPRoute', rule: 0, match: 0, method: '', headers: [], queryParams: [], order: 0 } } : route;
  });

const backendArb = (key: string) =>
  fc.record({ protocol: fc.constantFrom('http', 'h2c'), ports: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }), ready: fc.boolean() }).map(({ protocol, ports, ready }): BackendSpec => ({
    key, namespace: 'default', service: key, servicePort: 80, protocol: protocol as BackendSpec['protocol'],
    endpoints: ports.map((port) => ({ address: `10.0.0.${port}`, port: 8080, ready })),
  }));

/** One step: hosts replaced or removed, new versions of backends (protocol, endpoints), maybe the default route. */
const stepArb = fc.record({
  hosts: fc.uniqueArray(fc.constantFrom(...HOSTS), { maxLength: 3 }).chain((hosts) => fc.tuple(...hosts.map((host) => fc.option(fc.array(routeArb(host), { minLength: 1, maxLength: 3 }), { nil: undefined }).map((routes) => ({ host, routes }))))),
  backends: fc.tuple(...KEYS.map((key) => fc.option(backendArb(key), { nil: undefined }))),
  defaultRoute: fc.option(fc.option(fc.constantFrom<string | null>(...KEYS, null).map((backend) => ({ ...routeSpec('', 'Prefix', ''), id: 'default', backend })), { nil: null }), { nil: undefined }),
});

type Step = typeof stepArb extends fc.Arbitrary<infer S> ? S : never;

/**
 * The next whole table and the delta to it, as the translator makes them: the table lists exactly the
 * backends its routes use, so a backend comes (and goes) with the routes that start (stop) using it.
 */
function next(spec: RouteTableSpec, step: Step): { spec: RouteTableSpec; delta: SpecDelta } {
  const hosts = new Map(spec.hosts.map((h) => [h.host, h]));
  const delta: SpecDelta = { base: spec.version, version: spec.version + 1, hosts: [], removedHosts: [], backends: [], removedBackends: [] };
  for (const { host, routes } of step.hosts) {
    if (routes !== undefined) {
      hosts.set(host, { host, routes });
      delta.hosts.push({ host, routes });
    } else if (hosts.delete(host)) delta.removedHosts.push(host);
  }
  if (step.defaultRoute !== undefined) delta.defaultRoute = step.defaultRoute;
  const defaultRoute = step.defaultRoute === undefined ? spec.defaultRoute : step.defaultRoute;
  const used = new Set([...hosts.values()].flatMap((h) => h.routes).concat(defaultRoute ?? []).flatMap((r) => r.backend ?? []));
  const backends: RouteTableSpec['backends'] = {};
  KEYS.forEach((key, i) => {
    if (!used.has(key)) {
      if (spec.backends[key]) delta.removedBackends.push(key);
      return;
    }
    const changed = step.backends[i] ?? (spec.backends[key] ? undefined : { key, namespace: 'default', service: key, servicePort: 80, protocol: 'http', endpoints: [] });
    if (changed !== undefined) delta.backends.push(changed);
    backends[key] = changed ?? spec.backends[key]!;
  });
  return { spec: { ...spec, version: delta.version, hosts: [...hosts.values()], backends, defaultRoute }, delta };
}

describe('patched worker table', () => {
  test('equals a table compiled from scratch after any sequence of deltas', () => {
    fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 12 }), (steps) => {
      const registry = new UpstreamRegistry(POOLS);
      let spec = emptyTableSpec();
      let served = buildSnapshot(spec, registry);
      steps.forEach((step, i) => {
        const made = next(spec, step);
        spec = made.spec;
        served = patchSnapshot(served, made.delta, registry);
        const fresh = new UpstreamRegistry(POOLS);
        assert.deepEqual(tableView(served, registry, PROBES), tableView(buildSnapshot(spec, fresh), fresh, PROBES), `step ${i}`);
      });
    }), { numRuns: 150 });
  });

  test('an endpoint change compiles no host and keeps every compiled route; a host change compiles that host only', () => {
    const backend = (key: string, address: string): BackendSpec => ({ key, namespace: 'default', service: key, servicePort: 80, protocol: 'http', endpoints: [{ address, port: 8080, ready: true }] });
    const registry = new UpstreamRegistry(POOLS);
    const first = buildSnapshot({ version: 1, hosts: ['a.test', 'b.test', 'c.test'].map((host) => ({ host, routes: [routeSpec(host, 'Prefix', '/', `k-${host}`)] })), defaultRoute: null, backends: Object.fromEntries(['a.test', 'b.test', 'c.test'].map((h) => [`k-${h}`, backend(`k-${h}`, '10.0.0.1')])), certificates: [] }, registry);
    const runtime = first.match('a.test', '/')!.ext.backend!;
    const endpoints = runtime.endpoints;

    const second = patchSnapshot(first, { base: 1, version: 2, hosts: [], removedHosts: [], backends: [backend('k-a.test', '10.0.0.2')], removedBackends: [] }, registry);
    assert.equal(second.compiledHosts, 0);
    for (const host of ['a.test', 'b.test', 'c.test']) assert.equal(second.host(host), first.host(host), `${host}: the same compiled host`);
    assert.equal(second.match('a.test', '/')!.ext.backend, runtime, 'the same backend runtime');
    assert.deepEqual(runtime.endpoints.map((e) => e.spec.address), ['10.0.0.2'], 'with the new endpoints');
    assert.deepEqual(endpoints.map((e) => e.spec.address), ['10.0.0.1'], 'the old list is left as it was');

    const third = patchSnapshot(second, { base: 2, version: 3, hosts: [{ host: 'b.test', routes: [routeSpec('b.test', 'Prefix', '/b', 'k-b.test')] }], removedHosts: ['c.test'], backends: [], removedBackends: ['k-c.test'] }, registry);
    assert.equal(third.compiledHosts, 1);
    assert.equal(third.host('a.test'), second.host('a.test'));
    assert.notEqual(third.host('b.test'), second.host('b.test'));
    assert.equal(third.match('c.test', '/'), null);
    assert.equal(second.match('c.test', '/')?.spec.id, 'c.test|Prefix|/', 'the previous version still serves what it served');
    assert.equal(second.match('b.test', '/')?.spec.id, 'b.test|Prefix|/');
  });
});
