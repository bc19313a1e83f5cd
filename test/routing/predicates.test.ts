// Gateway API predicates in the one compiled table: method, headers and query parameters after host and
// path, HTTPRoute precedence between routes of the same path (tie-breaks included), and the fall back to
// a shorter prefix when every predicate of a longer one fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRouteTable } from '../../src/routing/index.ts';
import type { GatewayRouteInfo, PathKind, RouteSpec, RouteTableSpec } from '../../src/routing/spec.ts';
import { routeSpec } from './spec-builders.ts';

function gatewayRoute(id: string, kind: PathKind, path: string, info: Partial<GatewayRouteInfo>): RouteSpec {
  return {
    ...routeSpec('a.test', kind, path),
    id,
    gateway: { kind: 'HTTPRoute', rule: 0, match: 0, method: '', headers: [], queryParams: [], order: 0, ...info },
  };
}

function table(routes: RouteSpec[]) {
  const spec: RouteTableSpec = { version: 1, hosts: [{ host: 'a.test', routes }], defaultRoute: null, backends: {}, certificates: [] };
  return compileRouteTable(spec);
}

const h = (name: string, value: string, type: 'Exact' | 'RegularExpression' = 'Exact') => ({ name, value, type });

describe('route predicates', () => {
  it('checks method, headers (case-insensitive names, first value) and query parameters (decoded)', () => {
    const t = table([
      gatewayRoute('plain', 'Prefix', '/', {}),
      gatewayRoute('post', 'Prefix', '/', { method: 'POST', order: 1 }),
      gatewayRoute('header', 'Prefix', '/', { headers: [h('x-env', 'canary')], order: 2 }),
      gatewayRoute('regex', 'Prefix', '/', { headers: [h('x-id', '[0-9]+', 'RegularExpression')], order: 3 }),
      gatewayRoute('query', 'Prefix', '/', { queryParams: [h('q', 'a b')], order: 4 }),
    ]);
    const id = (path: string, method = 'GET', headers: string[] = []) => t.match('a.test', path, method, headers)?.spec.id;
    assert.equal(id('/'), 'plain');
    assert.equal(id('/', 'POST'), 'post');
    assert.equal(id('/', 'GET', ['X-Env', 'canary']), 'header');
    assert.equal(id('/', 'GET', ['x-env', 'other', 'x-env', 'canary']), 'plain', 'the first value counts');
    assert.equal(id('/', 'GET', ['x-id', '123']), 'regex');
    assert.equal(id('/', 'GET', ['x-id', '123a']), 'plain', 'a regex must match the whole value');
    assert.equal(id('/x?q=a%20b'), 'query');
    assert.equal(id('/x?z=1&q=a+b'), 'query');
    assert.equal(id('/x?q=ab'), 'plain');
    assert.equal(id('/x?q=%zz'), 'plain', 'a malformed escape is compared as written');
  });

  it('orders routes of one path by method, then header count, then query count, then translate order', () => {
    const routes = [
      gatewayRoute('query2', 'Prefix', '/', { queryParams: [h('a', '1'), h('b', '1')], order: 0 }),
      gatewayRoute('header1-late', 'Prefix', '/', { headers: [h('x', '1')], order: 9 }),
      gatewayRoute('header1-early', 'Prefix', '/', { headers: [h('x', '1')], order: 3 }),
      gatewayRoute('header2', 'Prefix', '/', { headers: [h('x', '1'), h('y', '1')], order: 5 }),
      gatewayRoute('method', 'Prefix', '/', { method: 'GET', order: 8 }),
    ];
    // Insertion order must not matter.
    for (const order of [routes, [...routes].reverse()]) {
      const t = table(order);
      const id = (path: string, headers: string[] = [], method = 'PUT') => t.match('a.test', path, method, headers)?.spec.id;
      assert.equal(id('/?a=1&b=1', ['x', '1', 'y', '1'], 'GET'), 'method');
      assert.equal(id('/?a=1&b=1', ['x', '1', 'y', '1']), 'header2');
      assert.equal(id('/?a=1&b=1', ['x', '1']), 'header1-early', 'equal specificity: the older route');
      assert.equal(id('/?a=1&b=1'), 'query2');
      assert.equal(id('/?a=1'), undefined, 'no route without predicates on this path');
    }
  });

  it('puts Exact before Prefix and the longest prefix first, falling back to shorter prefixes when predicates fail', () => {
    const t = table([
      gatewayRoute('root', 'Prefix', '/', {}),
      gatewayRoute('api-header', 'Prefix', '/api', { headers: [h('x', '1')] }),
      gatewayRoute('api-v1-header', 'Prefix', '/api/v1', { headers: [h('y', '1')] }),
      gatewayRoute('exact-header', 'Exact', '/api/v1/x', { headers: [h('z', '1')] }),
    ]);
    const id = (path: string, headers: string[] = []) => t.match('a.test', path, 'GET', headers)?.spec.id;
    assert.equal(id('/api/v1/x', ['x', '1', 'y', '1', 'z', '1']), 'exact-header');
    assert.equal(id('/api/v1/x', ['x', '1', 'y', '1']), 'api-v1-header');
    assert.equal(id('/api/v1/x', ['x', '1']), 'api-header', 'two levels up');
    assert.equal(id('/api/v1/x'), 'root');
    assert.equal(id('/apix', ['x', '1']), 'root', 'prefixes match whole segments');
  });

  it('keeps routes without predicates as they were: one route per path, the first one wins', () => {
    const t = table([routeSpec('a.test', 'Prefix', '/'), { ...routeSpec('a.test', 'Prefix', '/'), id: 'second' }]);
    assert.equal(t.match('a.test', '/x')?.spec.id, 'a.test|Prefix|/');
    assert.equal(t.match('a.test', '/x')?.guard, null);
  });

  it('applies predicates to regular-expression paths too', () => {
    const t = table([
      gatewayRoute('regex-header', 'Regex', '/items/[0-9]+$', { headers: [h('x', '1')] }),
      gatewayRoute('regex', 'Regex', '/items/[0-9]+$', { order: 1 }),
    ]);
    assert.equal(t.match('a.test', '/items/12', 'GET', ['x', '1'])?.spec.id, 'regex-header');
    assert.equal(t.match('a.test', '/items/12')?.spec.id, 'regex');
  });
});

describe('Gateway API wildcard hosts', () => {
  it('cover any number of labels, the most specific suffix first, while an Ingress wildcard covers one', () => {
    const gw = (host: string, id: string): RouteSpec => ({ ...gatewayRoute(id, 'Prefix', '/', {}), host });
    const spec: RouteTableSpec = {
      version: 1,
      hosts: [
        { host: '*.example.com', routes: [gw('*.example.com', 'gateway-wide')] },
        { host: '*.b.example.com', routes: [gw('*.b.example.com', 'gateway-narrow')] },
        { host: '*.ingress.test', routes: [{ ...routeSpec('*.ingress.test', 'Prefix', '/'), id: 'ingress' }] },
      ],
      defaultRoute: null, backends: {}, certificates: [],
    };
    const t = compileRouteTable(spec);
    assert.equal(t.match('a.example.com', '/')?.spec.id, 'gateway-wide');
    assert.equal(t.match('x.a.example.com', '/')?.spec.id, 'gateway-wide');
    assert.equal(t.match('x.b.example.com:8080', '/')?.spec.id, 'gateway-narrow');
    assert.equal(t.match('example.com', '/'), null);
    assert.equal(t.match('a.ingress.test', '/')?.spec.id, 'ingress');
    assert.equal(t.match('x.a.ingress.test', '/'), null, 'Ingress wildcards keep their one-label meaning');
  });
});
