import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ingress } from '../../src/kube/types.ts';
import { compileRouteTable } from '../../src/routing/index.ts';
import { translate } from '../../src/translate/index.ts';
import { backend, clusterState, ingress, path, rule, service, webBackend, type Meta } from './builders.ts';

const HOST = 'app.example.com';

function at(name: string, p: string, kind: string, meta: Meta = {}, service = 'web'): Ingress {
  return ingress(name, { rules: [rule(HOST, path(p, kind, service))] }, meta);
}

function servedBy(ingresses: Ingress[], request = '/x'): { ingress: string | undefined; diagnostics: ReturnType<typeof translate>['diagnostics'] } {
  const namespaces = [...new Set(ingresses.map((i) => i.metadata.namespace ?? 'default'))];
  const backends = namespaces.flatMap((ns) => [...webBackend('web', ns), ...webBackend('other', ns)]);
  const { table, diagnostics } = translate(clusterState([...ingresses, ...backends]));
  const route = compileRouteTable(table).match(HOST, request);
  return { ingress: route ? `${route.spec.namespace}/${route.spec.ingress}` : undefined, diagnostics };
}

describe('path conflicts between Ingresses', () => {
  const cases: { name: string; ingresses: Ingress[]; winner: string; loser: string }[] = [
    {
      name: 'the oldest Ingress wins',
      ingresses: [at('new', '/x', 'Prefix', { created: '2024-05-01T00:00:00Z' }), at('old', '/x', 'Prefix', { created: '2023-01-01T00:00:00Z' })],
      winner: 'default/old',
      loser: 'default/new',
    },
    {
      name: 'timestamps compare as times, not as strings',
      ingresses: [at('a', '/x', 'Prefix', { created: '2024-01-01T01:00:00+02:00' }), at('b', '/x', 'Prefix', { created: '2024-01-01T00:00:00Z' })],
      winner: 'default/a',
      loser: 'default/b',
    },
    {
      name: 'equal timestamps: namespace, then name',
      ingresses: [at('a', '/x', 'Prefix', { namespace: 'zeta', created: '2024-01-01T00:00:00Z' }), at('b', '/x', 'Prefix', { namespace: 'alpha', created: '2024-01-01T00:00:00Z' })],
      winner: 'alpha/b',
      loser: 'zeta/a',
    },
    {
      name: 'no timestamps (manifest files): namespace/name order',
      ingresses: [at('b', '/x', 'Prefix'), at('a', '/x', 'Prefix')],
      winner: 'default/a',
      loser: 'default/b',
    },
    {
      name: 'an Ingress with a timestamp beats one without',
      ingresses: [at('a', '/x', 'Prefix'), at('b', '/x', 'Prefix', { created: '2030-01-01T00:00:00Z' })],
      winner: 'default/b',
      loser: 'default/a',
    },
    {
      name: 'Prefix "/x" and "/x/" are the same path',
      ingresses: [at('a', '/x/', 'Prefix'), at('b', '/x', 'Prefix')],
      winner: 'default/a',
      loser: 'default/b',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { ingress: served, diagnostics } = servedBy(c.ingresses);
      assert.equal(served, c.winner);
      assert.equal(diagnostics.length, 1);
      const d = diagnostics[0]!;
      assert.deepEqual([d.severity, d.reason, d.object, d.field], ['warning', 'PathConflict', c.loser, 'spec.rules[0].http.paths[0]']);
      assert.match(d.message, new RegExp(`already served by Ingress ${c.winner} spec\\.rules\\[0\\]\\.http\\.paths\\[0\\]`));
    });
  }

  it('accepts Date timestamps (as the API client delivers them)', () => {
    const newer = at('a', '/x', 'Prefix');
    const older = at('b', '/x', 'Prefix');
    (newer.metadata as { creationTimestamp?: unknown }).creationTimestamp = new Date('2024-02-01T00:00:00Z');
    (older.metadata as { creationTimestamp?: unknown }).creationTimestamp = new Date('2024-01-01T00:00:00Z');
    assert.equal(servedBy([newer, older]).ingress, 'default/b');
  });

  it('Exact and Prefix of the same path do not conflict', () => {
    const { table, diagnostics } = translate(clusterState([at('a', '/x', 'Prefix'), at('b', '/x', 'Exact', {}, 'other'), ...webBackend(), ...webBackend('other')]));
    assert.deepEqual(diagnostics, []);
    const compiled = compileRouteTable(table);
    assert.equal(compiled.match(HOST, '/x')?.spec.ingress, 'b');
    assert.equal(compiled.match(HOST, '/x/y')?.spec.ingress, 'a');
  });

  it('merges different paths of several Ingresses for one host', () => {
    const { table, diagnostics } = translate(clusterState([at('a', '/a', 'Prefix'), at('b', '/b', 'Prefix', {}, 'other'), ingress('c', { rules: [rule('APP.example.com', path('/c', 'Exact'))] }), ...webBackend(), ...webBackend('other')]));
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(table.hosts.map((h) => [h.host, h.routes.map((r) => r.id)]), [[HOST, ['default/a#0.0', 'default/b#0.0', 'default/c#0.0']]]);
    assert.equal(table.hosts[0]!.routes[1]!.backend, 'default/other:80');
  });

  it('the same path on different hosts does not conflict', () => {
    const other = ingress('b', { rules: [rule('other.example.com', path('/x', 'Prefix'))] });
    assert.deepEqual(translate(clusterState([at('a', '/x', 'Prefix'), other, ...webBackend()])).diagnostics, []);
  });

  it('two rules of one Ingress: the first wins', () => {
    const both = ingress('web', { rules: [rule(HOST, path('/x', 'Prefix', 'web')), rule(HOST, path('/y', 'Prefix'), path('/x', 'Prefix', 'other'))] });
    const { table, diagnostics } = translate(clusterState([both, ...webBackend(), ...webBackend('other')]));
    assert.deepEqual(table.hosts[0]!.routes.map((r) => r.id), ['default/web#0.0', 'default/web#1.0']);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.field, 'spec.rules[1].http.paths[1]');
    assert.match(diagnostics[0]!.message, /already served by Ingress default\/web spec\.rules\[0\]\.http\.paths\[0\]/);
  });

  it("does not resolve the loser's backend", () => {
    const { table, diagnostics } = translate(clusterState([at('a', '/x', 'Prefix'), at('b', '/x', 'Prefix', {}, 'missing'), ...webBackend()]));
    assert.deepEqual(diagnostics.map((d) => d.reason), ['PathConflict']);
    assert.deepEqual(Object.keys(table.backends), ['default/web:80']);
  });

  it('an invalid path does not take the slot from a later valid one', () => {
    const broken = ingress('a', { rules: [rule(HOST, { path: '/x', pathType: 'Prefix', backend: { service: { name: 'web', port: {} } } })] });
    const { ingress: served, diagnostics } = servedBy([broken, at('b', '/x', 'Prefix')]);
    assert.equal(served, 'default/b');
    assert.deepEqual(diagnostics.map((d) => d.reason), ['InvalidBackend']);
  });
});

describe('default backends', () => {
  const withDefault = (name: string, svc: string, meta: Meta = {}) => ingress(name, { defaultBackend: backend(svc, 80) }, meta);

  it('the oldest Ingress provides the default route; the others are told', () => {
    const state = clusterState([
      withDefault('a', 'other', { created: '2024-03-01T00:00:00Z' }),
      withDefault('b', 'web', { created: '2024-01-01T00:00:00Z' }),
      withDefault('c', 'other', { created: '2024-02-01T00:00:00Z' }),
      ...webBackend(),
      ...webBackend('other'),
    ]);
    const { table, diagnostics } = translate(state);
    assert.equal(table.defaultRoute?.id, 'default/b#default');
    assert.equal(table.defaultRoute?.backend, 'default/web:80');
    assert.deepEqual(table.defaultRoute && [table.defaultRoute.host, table.defaultRoute.path, table.defaultRoute.kind], ['', '', 'Prefix']);
    assert.deepEqual(
      diagnostics.map((d) => [d.object, d.reason, d.field]),
      [
        ['default/a', 'DefaultBackendConflict', 'spec.defaultBackend'],
        ['default/c', 'DefaultBackendConflict', 'spec.defaultBackend'],
      ],
    );
    assert.match(diagnostics[0]!.message, /already set by Ingress default\/b spec\.defaultBackend/);
    assert.equal(compileRouteTable(table).match('anything.test', '/')?.spec.id, 'default/b#default');
  });

  it('an unusable default backend (resource) lets the next Ingress provide it', () => {
    const resource = ingress('a', { defaultBackend: { resource: { apiGroup: 'example.com', kind: 'Bucket', name: 'static' } } });
    const { table, diagnostics } = translate(clusterState([resource, withDefault('b', 'web'), ...webBackend()]));
    assert.equal(table.defaultRoute?.id, 'default/b#default');
    assert.deepEqual(diagnostics.map((d) => [d.reason, d.field]), [['UnsupportedBackend', 'spec.defaultBackend.resource']]);
  });

  it('a default backend whose Service is missing still wins, and answers 503', () => {
    const { table, diagnostics } = translate(clusterState([withDefault('a', 'missing'), withDefault('b', 'web'), service('web')]));
    assert.equal(table.defaultRoute?.id, 'default/a#default');
    assert.equal(table.defaultRoute?.backend, null);
    assert.deepEqual(diagnostics.map((d) => d.reason), ['ServiceNotFound', 'DefaultBackendConflict']);
  });
});
