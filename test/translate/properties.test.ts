// Property-based tests (fast-check): generated Ingress sets and generated requests are checked against
// a small reference model of the Ingress matching rules, written as plainly as the Kubernetes API
// documentation states them; and any generated object set, however malformed, translates to a table
// plus diagnostics without throwing. Runs are bounded (numRuns) so the suite stays fast; a failure
// prints its seed and shrunk counterexample for replay.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRouteTable } from '../../src/routing/index.ts';
import { translate } from '../../src/translate/index.ts';
import type { AnyKubeObject } from '../../src/kube/types.ts';
import { clusterState, endpoint, ingress, path, rule, service, slice } from './builders.ts';

// ---- The reference model -------------------------------------------------------------------------

interface RefRule {
  host: string | undefined;
  path: string;
  type: 'Exact' | 'Prefix';
  service: string;
}

/** Request host as matched: lower case, no port, no trailing dot. */
function normalizeHost(host: string): string {
  const colon = host.indexOf(':');
  const name = (colon < 0 ? host : host.slice(0, colon)).toLowerCase();
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** "*.a.test" covers exactly one more label: "x.a.test", not "a.test" or "y.x.a.test". */
function wildcardCovers(wildcard: string, host: string): boolean {
  const suffix = wildcard.slice(1); // ".a.test"
  return host.endsWith(suffix) && host.length > suffix.length && !host.slice(0, host.length - suffix.length).includes('.');
}

const elements = (p: string): string[] => p.split('/').filter((e) => e !== '');

/** Prefix matching is element-wise: "/a" matches "/a", "/a/", "/a/b", never "/ab" (Kubernetes docs). */
function prefixMatches(prefix: string, requestPath: string): boolean {
  const want = elements(prefix);
  const have = elements(requestPath);
  return want.length <= have.length && want.every((e, i) => e === have[i]);
}

/** The service a request reaches, or null (404), by the rules of the Ingress API. */
function referenceMatch(rules: readonly RefRule[], requestHost: string, requestPath: string): string | null {
  const host = normalizeHost(requestHost);
  // The host table: exact host, else a wildcard covering it, else the rules without host.
  let table = rules.filter((r) => r.host === host);
  if (table.length === 0) table = rules.filter((r) => r.host?.startsWith('*.') === true && wildcardCovers(r.host, host));
  if (table.length === 0) table = rules.filter((r) => r.host === undefined);
  const matching = table.filter((r) => (r.type === 'Exact' ? r.path === requestPath : prefixMatches(r.path, requestPath)));
  if (matching.length === 0) return null;
  // The longest path wins; at equal length Exact wins over Prefix.
  matching.sort((a, b) => b.path.length - a.path.length || (a.type === 'Exact' ? -1 : 0) - (b.type === 'Exact' ? -1 : 0));
  return matching[0]!.service;
}

// ---- Generators ----------------------------------------------------------------------------------

const HOSTS = [undefined, 'a.test', 'b.test', 'x.a.test', '*.a.test'] as const;
const segment = fc.constantFrom('a', 'b', 'ab', 'c');
/** Paths as rules write them: Prefix paths without a trailing slash (but "/"), Exact ones either way. */
const rulePath = fc.array(segment, { maxLength: 3 }).map((segments) => '/' + segments.join('/'));
const ruleArb = fc.record({
  host: fc.constantFrom(...HOSTS),
  path: rulePath,
  type: fc.constantFrom('Exact' as const, 'Prefix' as const),
  trailingSlash: fc.boolean(),
}).map(({ host, path: p, type, trailingSlash }) => ({ host, type, path: type === 'Exact' && trailingSlash && p !== '/' ? p + '/' : p }));
/** Rule sets without two rules for the same host, path and type (a conflict the API leaves to controllers). */
const ruleSetArb = fc.uniqueArray(ruleArb, { minLength: 1, maxLength: 12, selector: (r) => `${r.host}|${r.path}|${r.type}` });

const requestHostArb = fc.constantFrom('a.test', 'A.Test:8080', 'a.test.', 'b.test', 'x.a.test', 'y.a.test', 'z.y.a.test', 'other.test', '127.0.0.1');
const requestPathArb = fc.tuple(fc.array(segment, { maxLength: 4 }), fc.boolean()).map(([segments, slash]) => '/' + segments.join('/') + (slash && segments.length > 0 ? '/' : ''));

/** Spreads the rules over a few Ingresses (by index), each path to its own Service. */
function objectsFor(rules: readonly { host: string | undefined; path: string; type: string }[], ingressCount: number): { objects: AnyKubeObject[]; refRules: RefRule[] } {
  const objects: AnyKubeObject[] = [];
  const refRules: RefRule[] = [];
  const perIngress = new Map<number, { host: string | undefined; paths: ReturnType<typeof path>[] }[]>();
  rules.forEach((r, i) => {
    const svc = `svc-${i}`;
    objects.push(service(svc), slice(`${svc}-1`, svc, [{ port: 8080 }], [endpoint(`10.0.${i >> 8}.${i & 255}`)]));
    refRules.push({ host: r.host, path: r.path, type: r.type as RefRule['type'], service: svc });
    const owner = i % ingressCount;
    const list = perIngress.get(owner) ?? [];
    let group = list.find((g) => g.host === r.host);
    if (group === undefined) list.push((group = { host: r.host, paths: [] }));
    group.paths.push(path(r.path, r.type, svc, 80));
    perIngress.set(owner, list);
  });
  for (const [owner, groups] of perIngress) {
    objects.push(ingress(`ing-${owner}`, { rules: groups.map((g) => rule(g.host, ...g.paths)) }, { created: `2024-01-0${owner + 1}T00:00:00Z` }));
  }
  return { objects, refRules };
}

const RUNS = 300;

describe('Ingress matching against a reference model (property-based)', () => {
  test('every generated request reaches the service the reference model names', () => {
    fc.assert(fc.property(ruleSetArb, fc.integer({ min: 1, max: 3 }), fc.array(fc.tuple(requestHostArb, requestPathArb), { minLength: 1, maxLength: 20 }), (rules, ingressCount, requests) => {
      const { objects, refRules } = objectsFor(rules, ingressCount);
      const { table, diagnostics } = translate(clusterState(objects));
      assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), [], 'valid objects must translate without errors');
      const compiled = compileRouteTable(table);
      for (const [host, requestPath] of requests) {
        const route = compiled.match(host, requestPath);
        const got = route === null ? null : /\/(svc-\d+):/.exec(route.spec.backend ?? '')?.[1] ?? null;
        assert.equal(got, referenceMatch(refRules, host, requestPath), `${host} ${requestPath}`);
      }
    }), { numRuns: RUNS });
  });
});

// ---- Any object set translates -------------------------------------------------------------------

/** JSON-ish values of every shape, for fields that should hold something else. */
const junk = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }));
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> => fc.oneof({ weight: 3, arbitrary: arb }, { weight: 1, arbitrary: junk });
const annotationArb = fc.dictionary(
  fc.constantFrom('tideway.dev/rate-limit-rps', 'tideway.dev/rate-limit-store', 'tideway.dev/use-regex', 'tideway.dev/rewrite-target', 'tideway.dev/proxy-read-timeout', 'tideway.dev/auth-basic-secret', 'tideway.dev/middlewares', 'tideway.dev/allow-source-range', 'nginx.ingress.kubernetes.io/configuration-snippet', 'tideway.dev/cors-allow-origin', 'tideway.dev/canary-weight'),
  fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('10', '0', '-1', 'cluster', 'true', '1s', 'x/y', '10.0.0.0/8', '/$1', '(.*')),
  { maxKeys: 4 },
);
const looseIngress = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
  namespace: fc.constantFrom('default', 'other'),
  annotations: annotationArb,
  host: maybe(fc.constantFrom('a.test', '*.a.test', 'A.TEST', '*', 'foo.*.com', '', '1.2.3.4', 'a_b.test')),
  path: maybe(fc.constantFrom('/', '/a', '/a/(.*)', '', 'relative', '/a b', '/%2e%2e')),
  pathType: maybe(fc.constantFrom('Prefix', 'Exact', 'ImplementationSpecific', 'Weird')),
  service: maybe(fc.constantFrom('svc-a', 'missing', '')),
  port: maybe(fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.constantFrom('http', 'nope'))),
  className: maybe(fc.constantFrom('tideway', 'nginx')),
}).map((g) => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
  metadata: { name: g.name, namespace: g.namespace, annotations: g.annotations },
  spec: {
    ingressClassName: g.className,
    rules: [{ host: g.host, http: { paths: [{ path: g.path, pathType: g.pathType, backend: { service: { name: g.service, port: typeof g.port === 'number' ? { number: g.port } : { name: g.port } } } }] } }],
  },
}) as unknown as AnyKubeObject);

describe('any generated object set translates (property-based)', () => {
  test('malformed and well-formed objects alike: a table and diagnostics, never a throw', () => {
    fc.assert(fc.property(fc.array(looseIngress, { maxLength: 6 }), fc.boolean(), (ingresses, withService) => {
      const objects: AnyKubeObject[] = [...ingresses];
      if (withService) objects.push(service('svc-a', [{ port: 80, name: 'http' }]), slice('svc-a-1', 'svc-a', [{ port: 8080, name: 'http' }], [endpoint('10.0.0.1')]));
      const result = translate(clusterState(objects));
      assert.ok(Array.isArray(result.diagnostics));
      assert.deepEqual(result.diagnostics.filter((d) => d.reason === 'InternalError'), [], 'a field read without a guard');
      compileRouteTable(result.table); // the table it produced compiles too
    }), { numRuns: RUNS });
  });
});
