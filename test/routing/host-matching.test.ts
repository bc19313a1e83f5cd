import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRouteTable } from '../../src/routing/index.ts';
import { DEFAULT_ROUTE, tableSpec, type RouteDef } from './spec-builders.ts';

function idOf(hosts: Record<string, RouteDef[]>, withDefault = false): (host: string | undefined, path?: string) => string | null {
  const table = compileRouteTable(tableSpec(hosts, withDefault ? DEFAULT_ROUTE : null));
  return (host, path = '/') => table.match(host, path)?.spec.id ?? null;
}

describe('host matching', () => {
  const match = idOf({
    'app.example.com': [['Prefix', '/']],
    '*.example.com': [['Prefix', '/']],
    '*.b.example.com': [['Prefix', '/']],
    '': [['Prefix', '/']],
  });

  const cases: [host: string | undefined, expected: string][] = [
    ['app.example.com', 'app.example.com|Prefix|/'],
    ['APP.Example.COM', 'app.example.com|Prefix|/'],
    ['app.example.com:8080', 'app.example.com|Prefix|/'],
    ['app.example.com.', 'app.example.com|Prefix|/'],
    ['App.Example.Com.:443', 'app.example.com|Prefix|/'],
    ['x.example.com', '*.example.com|Prefix|/'],
    ['X.EXAMPLE.COM:80', '*.example.com|Prefix|/'],
    ['a.b.example.com', '*.b.example.com|Prefix|/'],
    ['a.c.example.com', '|Prefix|/'], // a wildcard covers exactly one label
    ['example.com', '|Prefix|/'], // "*.example.com" does not cover the bare domain
    ['.example.com', '|Prefix|/'], // an empty first label is not a label
    ['app.example.com.evil.test', '|Prefix|/'],
    ['[::1]:8080', '|Prefix|/'],
    ['[::1]', '|Prefix|/'],
    ['127.0.0.1:8080', '|Prefix|/'],
    [':8080', '|Prefix|/'],
    ['', '|Prefix|/'],
    [undefined, '|Prefix|/'],
  ];
  for (const [host, expected] of cases) {
    it(`${JSON.stringify(host)} -> ${expected}`, () => assert.equal(match(host), expected));
  }
});

describe('host fall-through', () => {
  it('an exact host without a matching path goes to the default route, not to the wildcard or host-less rules', () => {
    const hosts: Record<string, RouteDef[]> = {
      'app.example.com': [['Prefix', '/app']],
      '*.example.com': [['Prefix', '/']],
      '': [['Prefix', '/']],
    };
    assert.equal(idOf(hosts, true)('app.example.com', '/other'), 'default');
    assert.equal(idOf(hosts, false)('app.example.com', '/other'), null);
    assert.equal(idOf(hosts, true)('app.example.com', '/app/x'), 'app.example.com|Prefix|/app');
  });

  it('a wildcard host without a matching path does not fall through to host-less rules', () => {
    const match = idOf({ '*.example.com': [['Exact', '/x']], '': [['Prefix', '/']] }, true);
    assert.equal(match('a.example.com', '/y'), 'default');
    assert.equal(match('a.example.com', '/x'), '*.example.com|Exact|/x');
  });

  it('an unknown host uses the host-less rules, then the default route', () => {
    const match = idOf({ 'app.example.com': [['Prefix', '/']], '': [['Prefix', '/public']] }, true);
    assert.equal(match('other.test', '/public/a'), '|Prefix|/public');
    assert.equal(match('other.test', '/private'), 'default');
  });

  it('without host-less rules or default route, an unknown host has no route', () => {
    assert.equal(idOf({ 'app.example.com': [['Prefix', '/']] })('other.test', '/'), null);
  });

  it('merges two spec entries for the same host', () => {
    const table = compileRouteTable({
      ...tableSpec({ 'app.example.com': [['Prefix', '/a']] }),
      hosts: [...tableSpec({ 'app.example.com': [['Prefix', '/a']] }).hosts, ...tableSpec({ 'App.example.com': [['Prefix', '/b']] }).hosts],
    });
    assert.equal(table.match('app.example.com', '/a')?.spec.path, '/a');
    assert.equal(table.match('app.example.com', '/b')?.spec.path, '/b');
  });
});
