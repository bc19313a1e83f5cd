// explain() on hand-built tables: the decision, the host table chosen, the routes it beat and why,
// and that it always agrees with RouteTable.match(). Also the query parsing and the /api/routes view.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable, type RouteSpec, type RouteTableSpec } from '../../src/routing/index.ts';
import { explain, parseExplainQuery, routesView } from '../../src/admin/index.ts';
import type { Diagnostic } from '../../src/kube/diagnostic.ts';
import { routeSpec, tableSpec, DEFAULT_ROUTE, type RouteDef } from '../routing/spec-builders.ts';

const BACKENDS: RouteTableSpec['backends'] = {
  'shop/web:80': { key: 'shop/web:80', namespace: 'shop', service: 'web', servicePort: 80, protocol: 'http', endpoints: [{ address: '10.0.0.1', port: 8080, ready: true }, { address: 'fd00::7', port: 8080, ready: true }] },
  'shop/empty:80': { key: 'shop/empty:80', namespace: 'shop', service: 'empty', servicePort: 80, protocol: 'h2c', endpoints: [] },
};

function explainOn(spec: RouteTableSpec, host: string, path: string, diagnostics: Diagnostic[] = []) {
  return explain(spec, diagnostics, { host, path, method: 'GET' });
}

function ids(list: { route: string }[]): string[] {
  return list.map((c) => c.route).sort();
}

describe('explain: precedence within a host', () => {
  const spec = tableSpec({
    'shop.test': [['Exact', '/api/v1', 'shop/web:80'], ['Prefix', '/api', 'shop/web:80'], ['Prefix', '/'], ['Regex', '/api/v[0-9]+'], ['Regex', '/.*'], ['Regex', '/a.*']],
  }, null, BACKENDS);

  test('an Exact path wins over every Prefix and regex that also matches', () => {
    const result = explainOn(spec, 'shop.test', '/api/v1');
    assert.equal(result.matched, true);
    assert.equal(result.route, 'shop.test|Exact|/api/v1');
    assert.equal(result.pathType, 'Exact');
    assert.equal(result.path, '/api/v1');
    assert.match(result.reason, /Exact path "\/api\/v1" equals the request path/);
    assert.deepEqual(ids(result.beat), ['shop.test|Prefix|/', 'shop.test|Prefix|/api', 'shop.test|Regex|/.*', 'shop.test|Regex|/a.*', 'shop.test|Regex|/api/v[0-9]+']);
    for (const loser of result.beat) assert.match(loser.reason, /an Exact path equal to the request path beats every (Prefix|Regex) path/);
  });

  test('a longer regex beats a shorter Prefix; regexes are tried longest first', () => {
    const result = explainOn(spec, 'shop.test', '/api/v2/x');
    assert.equal(result.route, 'shop.test|Regex|/api/v[0-9]+');
    const reasons = Object.fromEntries(result.beat.map((c) => [c.route, c.reason]));
    assert.match(reasons['shop.test|Prefix|/api']!, /regex "\/api\/v\[0-9\]\+" \(12 characters\) is longer than Prefix "\/api" \(4\)/);
    assert.match(reasons['shop.test|Regex|/.*']!, /tried longest source first/);
    assert.ok(!('shop.test|Exact|/api/v1' in reasons), 'a route that does not match is not listed');
  });

  test('a Prefix at least as long as every matching regex wins, and says so', () => {
    const result = explainOn(spec, 'shop.test', '/api/vx');
    assert.equal(result.route, 'shop.test|Prefix|/api');
    const reasons = Object.fromEntries(result.beat.map((c) => [c.route, c.reason]));
    assert.match(reasons['shop.test|Prefix|/']!, /longer Prefix wins: "\/api" over "\/"/);
    assert.match(reasons['shop.test|Regex|/a.*']!, /Prefix "\/api" \(4 characters\) is at least as long as regex "\/a\.\*" \(4\)/);
  });

  test('Prefix matching is element-wise, as in the data plane', () => {
    assert.equal(explainOn(spec, 'shop.test', '/apix').route, 'shop.test|Regex|/a.*');
  });

  test('the query string takes no part; host case, port and trailing dot are ignored', () => {
    const result = explainOn(spec, 'SHOP.test.:8443', '/api/v1?debug=1');
    assert.equal(result.route, 'shop.test|Exact|/api/v1');
    assert.equal(result.hostTable, 'shop.test');
  });
});

describe('explain: host tables', () => {
  const spec = tableSpec({
    'a.example.com': [['Prefix', '/a']],
    '*.example.com': [['Prefix', '/']],
    '': [['Prefix', '/'], ['Exact', '/health']],
  });

  test('an exact host table is used alone: the wildcard and host-less rules are not consulted', () => {
    const result = explainOn(spec, 'a.example.com', '/health');
    assert.equal(result.matched, false);
    assert.equal(result.hostTable, 'a.example.com');
    assert.match(result.hostSelection, /rules for "a.example.com" exist/);
    assert.match(result.reason, /no path of host "a.example.com" matches and no Ingress has a default backend: 404/);
    const notConsulted = Object.fromEntries(result.notConsulted.map((c) => [c.route, c.reason]));
    assert.deepEqual(Object.keys(notConsulted).sort(), ['*.example.com|Prefix|/', '|Exact|/health', '|Prefix|/']);
    assert.match(notConsulted['*.example.com|Prefix|/']!, /"\*.example.com" is not merged with it/);
    assert.match(notConsulted['|Prefix|/']!, /rules without host apply only to a Host no rule names/);
  });

  test('a wildcard covers one more label', () => {
    const one = explainOn(spec, 'b.example.com', '/x');
    assert.equal(one.hostTable, '*.example.com');
    assert.match(one.hostSelection, /wildcard "\*.example.com" covers it/);
    assert.equal(one.route, '*.example.com|Prefix|/');
    const two = explainOn(spec, 'c.b.example.com', '/x');
    assert.equal(two.hostTable, '');
    assert.equal(two.route, '|Prefix|/');
  });

  test('a request without Host uses the rules without host', () => {
    const result = explainOn(spec, '', '/health');
    assert.equal(result.hostTable, '');
    assert.match(result.hostSelection, /Host \(none\)/);
    assert.equal(result.route, '|Exact|/health');
    assert.deepEqual(ids(result.beat), ['|Prefix|/']);
  });

  test('no host table and no default backend: not matched, and nothing listed', () => {
    const result = explainOn(tableSpec({ 'a.test': [['Prefix', '/']] }), 'b.test', '/');
    assert.equal(result.matched, false);
    assert.equal(result.hostTable, null);
    assert.match(result.reason, /no host table for this Host and no default backend: 404/);
    assert.deepEqual(result.notConsulted, []);
    assert.equal(result.route, undefined);
  });

  test('the default backend serves what no rule matched, and says whose it is', () => {
    const fallback = { ...DEFAULT_ROUTE, namespace: 'shop', ingress: 'fallback', backend: 'shop/web:80' };
    const result = explainOn(tableSpec({ 'a.test': [['Exact', '/only']] }, fallback, BACKENDS), 'a.test', '/other');
    assert.equal(result.matched, true);
    assert.equal(result.defaultBackend, true);
    assert.equal(result.ingress, 'shop/fallback');
    assert.match(result.reason, /no path of host "a.test" matches; spec.defaultBackend of Ingress shop\/fallback serves it/);
  });
});

describe('explain: backend, middlewares and diagnostics', () => {
  const withMiddlewares: RouteSpec = {
    ...routeSpec('shop.test', 'Prefix', '/', 'shop/web:80'),
    id: 'shop/web#0.0',
    namespace: 'shop',
    ingress: 'web',
    middlewares: [{ type: 'rate-limit', source: 'annotations', config: { rps: 5 } }, { type: 'basic-auth', source: 'shop/auth', config: {} }],
  };
  const spec: RouteTableSpec = { ...tableSpec({}, null, BACKENDS), hosts: [{ host: 'shop.test', routes: [withMiddlewares, { ...routeSpec('shop.test', 'Prefix', '/grpc', 'shop/empty:80'), id: 'shop/web#0.1', namespace: 'shop', ingress: 'web' }] }] };
  const diagnostics: Diagnostic[] = [
    { severity: 'warning', kind: 'Ingress', object: 'shop/web', field: 'metadata.annotations', message: 'unknown annotation', reason: 'UnknownAnnotation' },
    { severity: 'error', kind: 'Middleware', object: 'shop/auth', field: 'spec', message: 'bad', reason: 'InvalidMiddleware' },
    { severity: 'error', kind: 'Ingress', object: 'shop/other', field: '', message: 'not mine', reason: 'X' },
    { severity: 'error', kind: 'Middleware', object: 'shop/unrelated', field: '', message: 'not mine', reason: 'X' },
  ];

  test('contract fields: ingress and service as namespace/name, endpoints as ip:port (IPv6 in brackets)', () => {
    const result = explainOn(spec, 'shop.test', '/cart', diagnostics);
    assert.equal(result.ingress, 'shop/web');
    assert.equal(result.service, 'shop/web');
    assert.equal(result.servicePort, 80);
    assert.equal(result.protocol, 'http');
    assert.deepEqual(result.endpoints, ['10.0.0.1:8080', '[fd00::7]:8080']);
  });

  test('middlewares in order, and the diagnostics of the Ingress and its Middleware objects only', () => {
    const result = explainOn(spec, 'shop.test', '/cart', diagnostics);
    assert.deepEqual(result.middlewares, [{ type: 'rate-limit', source: 'annotations' }, { type: 'basic-auth', source: 'shop/auth' }]);
    assert.deepEqual(result.diagnostics.map((d) => d.reason), ['UnknownAnnotation', 'InvalidMiddleware']);
  });

  test('a backend without endpoints, or without a Service, is explained as a 503', () => {
    const empty = explainOn(spec, 'shop.test', '/grpc/x');
    assert.deepEqual(empty.endpoints, []);
    assert.match(empty.reason, /no ready endpoints, so requests get 503/);
    const unresolved = explainOn(tableSpec({ 'x.test': [['Prefix', '/', null]] }), 'x.test', '/');
    assert.equal(unresolved.matched, true);
    assert.equal(unresolved.service, null);
    assert.match(unresolved.reason, /no usable backend, so requests get 503/);
  });
});

test('explain always agrees with RouteTable.match', () => {
  const spec = tableSpec({
    'a.test': [['Exact', '/'], ['Prefix', '/x'], ['Prefix', '/x/y/'], ['Regex', '/x/[a-z]+/z'], ['Regex', '/[0-9]+'], ['Exact', '/x/y']],
    '*.test': [['Prefix', '/w'], ['Regex', '.*q']],
    '': [['Prefix', '/h'], ['Exact', '/h/1']],
  }, { ...DEFAULT_ROUTE }, {});
  const table = compileRouteTable(spec);
  const hosts = ['a.test', 'A.TEST:80', 'b.test', 'b.c.test', 'other', ''];
  const segments = ['', 'x', 'y', 'z', 'h', '1', 'w', 'q', 'X', '42'];
  let random = 7;
  const next = (n: number): number => (random = (random * 1103515245 + 12345) % 2147483648) % n;
  for (let i = 0; i < 2000; i++) {
    const host = hosts[next(hosts.length)]!;
    const path = `/${Array.from({ length: next(4) }, () => segments[next(segments.length)]).join('/')}${next(3) === 0 ? '?q=/x' : ''}`;
    const expected = table.match(host === '' ? undefined : host, path);
    const result = explain(spec, [], { host, path, method: 'GET' });
    assert.equal(result.route, expected?.spec.id, `${host} ${path}`);
    for (const loser of result.beat) assert.notEqual(loser.route, result.route);
  }
});

describe('explain query parsing', () => {
  const parse = (query: string) => parseExplainQuery(new URLSearchParams(query));

  test('host and method are optional; method defaults to GET', () => {
    assert.deepEqual(parse('path=/a'), { host: '', path: '/a', method: 'GET' });
    assert.deepEqual(parse('host=shop.test:8080&path=/a?b=c&method=DELETE'), { host: 'shop.test:8080', path: '/a?b=c', method: 'DELETE' });
  });

  const bad: [string, RegExp][] = [
    ['', /"path" is required/],
    ['host=a.test', /"path" is required/],
    ['path=', /"path" is required/],
    ['path=api', /must start with "\/"/],
    ['path=/a&path=/b', /"path" is given more than once/],
    ['path=/a&host=a&host=b', /"host" is given more than once/],
    ['path=/a&method=GE T', /not an HTTP method token/],
    ['path=/a&method=', /not an HTTP method token/],
    ['path=/a&host=a.test/evil', /not a Host header value/],
    ['path=/a&host=user@a.test', /not a Host header value/],
  ];
  for (const [query, message] of bad) {
    test(`rejects "${query}"`, () => {
      const result = parse(query);
      assert.equal(typeof result, 'string');
      assert.match(result as string, message);
    });
  }
});

describe('/api/routes view', () => {
  test('services and endpoints are readable and private keys never appear', () => {
    const spec: RouteTableSpec = {
      ...tableSpec({ 'shop.test': [['Prefix', '/', 'shop/web:80'], ['Exact', '/x', 'shop/missing:80']] }, null, BACKENDS),
      certificates: [{ hosts: ['shop.test'], secret: 'shop/tls', certPem: '-----BEGIN CERTIFICATE-----', keyPem: '-----BEGIN PRIVATE KEY-----' }],
    };
    spec.backends['shop/web:80']!.endpoints[1] = { address: 'fd00::7', port: 8080, ready: false, target: 'shop/web-1' };
    const view = routesView(spec);
    assert.equal(view.version, 7);
    const [root, exact] = view.hosts[0]!.routes;
    assert.deepEqual(root!.backend, { key: 'shop/web:80', service: 'shop/web', endpoints: ['10.0.0.1:8080', '[fd00::7]:8080'] });
    assert.equal(root!.ingress, 'default/test');
    assert.equal(root!.pathType, 'Prefix');
    assert.equal(exact!.backend, null, 'a backend key missing from the table reads as unresolved');
    assert.deepEqual(view.backends.map((b) => b.key), ['shop/empty:80', 'shop/web:80']);
    assert.deepEqual(view.backends[1]!.endpoints, [{ address: '10.0.0.1:8080', ready: true, pod: null }, { address: '[fd00::7]:8080', ready: false, pod: 'shop/web-1' }]);
    assert.deepEqual(view.certificates, [{ secret: 'shop/tls', hosts: ['shop.test'] }]);
    assert.ok(!JSON.stringify(view).includes('PRIVATE KEY'));
    assert.ok(!JSON.stringify(view).includes('BEGIN CERTIFICATE'));
  });
});

describe('explain at scale (a primary holds 5,000 hosts as data)', () => {
  test('only the host groups a Host can select are compiled; the answer is the full table\'s', () => {
    const groups: Record<string, RouteDef[]> = {};
    for (let i = 0; i < 5000; i++) groups[`web-${i}.test`] = [['Prefix', '/', 'shop/web:80'], ['Exact', `/only-${i}`, 'shop/empty:80']];
    groups['*.wild.test'] = [['Prefix', '/', 'shop/web:80']];
    groups[''] = [['Prefix', '/fallback', 'shop/web:80']];
    const spec = tableSpec(groups, null, BACKENDS);
    const table = compileRouteTable(spec);
    for (const [host, path] of [['web-4711.test', '/only-4711'], ['WEB-17.test:8080', '/x'], ['a.wild.test', '/'], ['unknown.test', '/fallback/x'], ['unknown.test', '/nothing'], ['', '/fallback']]) {
      const result = explain(spec, [], { host: host!, path: path!, method: 'GET' });
      assert.equal(result.route, table.match(host === '' ? undefined : host, path!)?.spec.id, `${host} ${path}`);
    }
    const wild = explain(spec, [], { host: 'a.wild.test', path: '/fallback', method: 'GET' });
    assert.equal(wild.hostTable, '*.wild.test');
    assert.deepEqual(wild.notConsulted.map((c) => c.host), [''], 'the rules without host also match, but are not consulted');
  });
});
