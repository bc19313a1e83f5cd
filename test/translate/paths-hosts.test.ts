import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDiagnostic } from '../../src/kube/diagnostic.ts';
import { compileRouteTable } from '../../src/routing/index.ts';
import { translate } from '../../src/translate/index.ts';
import { K8S_PATH_TABLE } from '../routing/k8s-path-table.ts';
import { backend, clusterState, findDiagnostic, ingress, path, reasons, rule, service, webBackend } from './builders.ts';

describe('the Kubernetes path table, through translate()', () => {
  for (const [n, row] of K8S_PATH_TABLE.entries()) {
    it(`row ${n + 1}: ${row.paths.map((p) => `${p.kind} ${p.path}`).join(', ')}`, () => {
      const paths = row.paths.map((p) => path(p.path, p.kind));
      const state = clusterState([
        ingress('web', { rules: [rule('app.example.com', ...paths)] }),
        ingress('fallback', { defaultBackend: backend('web', 80) }),
        ...webBackend(),
      ]);
      const { table, diagnostics } = translate(state);
      assert.deepEqual(diagnostics, []);
      const compiled = compileRouteTable(table);
      for (const request of row.requests) {
        const route = compiled.match('app.example.com', request);
        if (row.expect === null) assert.equal(route?.spec.id, 'default/fallback#default', request);
        else assert.deepEqual({ kind: route?.spec.kind, path: route?.spec.path }, row.expect, request);
      }
    });
  }
});

interface PathCase {
  pathType: unknown;
  path: unknown;
  regex?: boolean;
  expect: { kind: string; path: string } | { reason: string; field: 'path' | 'pathType'; message?: RegExp };
}

const pathCases: PathCase[] = [
  { pathType: 'Exact', path: '/foo', expect: { kind: 'Exact', path: '/foo' } },
  { pathType: 'Prefix', path: '/foo/', expect: { kind: 'Prefix', path: '/foo/' } },
  { pathType: 'Prefix', path: '/', expect: { kind: 'Prefix', path: '/' } },
  { pathType: undefined, path: '/foo', expect: { reason: 'MissingPathType', field: 'pathType', message: /pathType is required/ } },
  { pathType: '', path: '/foo', expect: { reason: 'MissingPathType', field: 'pathType' } },
  { pathType: 'Glob', path: '/foo', expect: { reason: 'InvalidPathType', field: 'pathType', message: /unsupported pathType "Glob"/ } },
  { pathType: 'prefix', path: '/foo', expect: { reason: 'InvalidPathType', field: 'pathType' } },
  { pathType: 'Exact', path: 'foo', expect: { reason: 'InvalidPath', field: 'path', message: /must be an absolute path/ } },
  { pathType: 'Prefix', path: '', expect: { reason: 'InvalidPath', field: 'path', message: /path is required with pathType Prefix/ } },
  { pathType: 'Exact', path: undefined, expect: { reason: 'InvalidPath', field: 'path' } },
  { pathType: 'Prefix', path: 42, expect: { reason: 'InvalidPath', field: 'path', message: /must be a string/ } },
  { pathType: 'Prefix', path: '/a//b', expect: { reason: 'InvalidPath', field: 'path', message: /must not contain "\/\/"/ } },
  { pathType: 'Prefix', path: '/a/./b', expect: { reason: 'InvalidPath', field: 'path' } },
  { pathType: 'Exact', path: '/a/../b', expect: { reason: 'InvalidPath', field: 'path' } },
  { pathType: 'Prefix', path: '/a%2Fb', expect: { reason: 'InvalidPath', field: 'path' } },
  { pathType: 'Prefix', path: '/a%2fb', expect: { reason: 'InvalidPath', field: 'path' } },
  { pathType: 'Prefix', path: '/a/..', expect: { reason: 'InvalidPath', field: 'path', message: /must not end with "\/.."/ } },
  { pathType: 'Exact', path: '/a/.', expect: { reason: 'InvalidPath', field: 'path' } },
  { pathType: 'Prefix', path: '/a.b/c..d', expect: { kind: 'Prefix', path: '/a.b/c..d' } },
  { pathType: 'ImplementationSpecific', path: '/foo', expect: { kind: 'Prefix', path: '/foo' } },
  { pathType: 'ImplementationSpecific', path: '', expect: { kind: 'Prefix', path: '/' } },
  { pathType: 'ImplementationSpecific', path: undefined, expect: { kind: 'Prefix', path: '/' } },
  { pathType: 'ImplementationSpecific', path: 'foo', expect: { reason: 'InvalidPath', field: 'path' } },
  { pathType: 'ImplementationSpecific', path: '/a//b', expect: { kind: 'Prefix', path: '/a//b' } },
  { pathType: 'ImplementationSpecific', path: '/api/(v1|v2)/.*', regex: true, expect: { kind: 'Regex', path: '/api/(v1|v2)/.*' } },
  { pathType: 'ImplementationSpecific', path: '(/a|/b)/x', regex: true, expect: { kind: 'Regex', path: '(/a|/b)/x' } },
  { pathType: 'ImplementationSpecific', path: '', regex: true, expect: { kind: 'Prefix', path: '/' } },
  { pathType: 'ImplementationSpecific', path: '/a(', regex: true, expect: { reason: 'InvalidRegex', field: 'path', message: /invalid regular expression "\/a\("/ } },
  { pathType: 'ImplementationSpecific', path: '/a)|(.*', regex: true, expect: { reason: 'InvalidRegex', field: 'path' } },
  { pathType: 'Prefix', path: '/api', regex: true, expect: { kind: 'Prefix', path: '/api' } },
  { pathType: 'Exact', path: '/api/v[0-9]', regex: true, expect: { kind: 'Exact', path: '/api/v[0-9]' } },
];

describe('path validation', () => {
  for (const c of pathCases) {
    const label = `${String(c.pathType)} ${JSON.stringify(c.path)}${c.regex ? ' (use-regex)' : ''}`;
    it(`${label} -> ${'reason' in c.expect ? c.expect.reason : `${c.expect.kind} ${c.expect.path}`}`, () => {
      const bad = { path: c.path, pathType: c.pathType, backend: backend('web', 80) };
      const other = path('/other', 'Exact');
      const annotations: Record<string, string> = c.regex ? { 'tideway.dev/use-regex': 'true' } : {};
      const state = clusterState([ingress('web', { rules: [rule('a.test', other, bad as never)] }, { annotations }), ...webBackend()]);
      const { table, diagnostics } = translate(state);
      const routes = table.hosts[0]!.routes;
      if ('reason' in c.expect) {
        assert.deepEqual(routes.map((r) => r.path), ['/other'], 'the other path still serves');
        assert.equal(diagnostics.length, 1);
        const d = diagnostics[0]!;
        assert.equal(d.severity, 'error');
        assert.equal(d.reason, c.expect.reason);
        assert.equal(d.field, `spec.rules[0].http.paths[1].${c.expect.field}`);
        if (c.expect.message) assert.match(d.message, c.expect.message);
      } else {
        assert.deepEqual(diagnostics, []);
        const route = routes.find((r) => r.id === 'default/web#0.1');
        assert.deepEqual({ kind: route?.kind, path: route?.path }, c.expect);
      }
    });
  }
});

describe('rule hosts', () => {
  const hostCases: [raw: string, expected: string | RegExp][] = [
    ['app.example.com', 'app.example.com'],
    ['App.Example.COM', 'app.example.com'],
    ['*.example.com', '*.example.com'],
    ['*.Example.com', '*.example.com'],
    ['localhost', 'localhost'],
    ['xn--caf-dma.example', 'xn--caf-dma.example'],
    ['foo.*.com', /wildcard must be the whole first label/],
    ['*', /wildcard must be the whole first label/],
    ['*.', /wildcard/],
    ['**.example.com', /wildcard/],
    ['a*.example.com', /wildcard/],
    ['1.2.3.4', /not an IP address/],
    ['01.02.03.004', /not an IP address/],
    ['::1', /not an IP address/],
    ['2001:db8::1', /not an IP address/],
    ['example.com:8080', /RFC 1123/],
    ['a_b.example.com', /RFC 1123/],
    ['-a.example.com', /RFC 1123/],
    ['a..example.com', /RFC 1123/],
    ['café.example', /RFC 1123/],
    [`${'a'.repeat(250)}.com`, /longer than 253/],
  ];
  for (const [raw, expected] of hostCases) {
    it(`${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 20)}...` : raw)} -> ${String(expected)}`, () => {
      const state = clusterState([ingress('web', { rules: [rule(raw, path('/', 'Prefix')), rule('ok.test', path('/', 'Prefix'))] }), ...webBackend()]);
      const { table, diagnostics } = translate(state);
      const hosts = table.hosts.map((h) => h.host);
      if (typeof expected === 'string') {
        assert.deepEqual(diagnostics, []);
        assert.deepEqual(hosts, [expected, 'ok.test'].sort());
      } else {
        assert.deepEqual(hosts, ['ok.test'], 'the valid rule still serves');
        const d = findDiagnostic(diagnostics, 'InvalidHost');
        assert.equal(d.field, 'spec.rules[0].host');
        assert.match(d.message, expected);
      }
    });
  }

  it('a rule without host goes to the host-less table', () => {
    const { table } = translate(clusterState([ingress('web', { rules: [rule(undefined, path('/', 'Prefix'))] }), ...webBackend()]));
    assert.deepEqual(table.hosts.map((h) => h.host), ['']);
  });

  it('a rule without http routes nothing and is not an error', () => {
    const { table, diagnostics } = translate(clusterState([ingress('web', { rules: [{ host: 'a.test' }, rule('b.test', path('/', 'Prefix'))] }), ...webBackend()]));
    assert.deepEqual(table.hosts.map((h) => h.host), ['b.test']);
    assert.deepEqual(diagnostics, []);
  });
});

describe('diagnostic wording', () => {
  it('formats a missing Service as the object, the field and the problem', () => {
    const state = clusterState([ingress('web', { rules: [rule('a.test', path('/', 'Prefix'), path('/x', 'Prefix', 'x'))] }, { namespace: 'shop' }), service('web', [{ port: 80 }], { namespace: 'shop' })]);
    const { diagnostics } = translate(state);
    assert.deepEqual(diagnostics.map(formatDiagnostic), ['Ingress shop/web: spec.rules[0].http.paths[1].backend.service.name: Service shop/x not found']);
    assert.equal(reasons(diagnostics)[0], 'ServiceNotFound');
  });
});
