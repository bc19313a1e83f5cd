import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRouteTable, RouteCompileError } from '../../src/routing/index.ts';
import type { PathKind } from '../../src/routing/spec.ts';
import { K8S_PATH_TABLE } from './k8s-path-table.ts';
import { tableSpec, type RouteDef } from './spec-builders.ts';

const HOST = 'app.example.com';

/** The id ("kind path") of the route that serves `request` on HOST, or null. */
function matcher(defs: RouteDef[]): (request: string) => string | null {
  const table = compileRouteTable(tableSpec({ [HOST]: defs }));
  return (request) => {
    const route = table.match(HOST, request);
    return route ? `${route.spec.kind} ${route.spec.path}` : null;
  };
}

describe('path matching: the Kubernetes documentation table', () => {
  for (const row of K8S_PATH_TABLE) {
    const paths = row.paths.map((p) => `${p.kind} ${p.path}`).join(', ');
    for (const request of row.requests) {
      it(`${paths} | ${request} -> ${row.expect ? `${row.expect.kind} ${row.expect.path}` : 'no match'}`, () => {
        const match = matcher(row.paths.map((p) => [p.kind, p.path]));
        assert.equal(match(request), row.expect ? `${row.expect.kind} ${row.expect.path}` : null);
      });
    }
  }
});

describe('path matching: details', () => {
  it('ignores the query string, and a "/" inside it', () => {
    const match = matcher([['Exact', '/foo'], ['Prefix', '/a/b']]);
    assert.equal(match('/foo?x=1'), 'Exact /foo');
    assert.equal(match('/foo?'), 'Exact /foo');
    assert.equal(match('/a/b?next=/c'), 'Prefix /a/b');
    assert.equal(match('/a?/b'), null);
  });

  it('matches percent-encoded paths as received, without decoding', () => {
    const match = matcher([['Prefix', '/foo/bar'], ['Exact', '/caf%C3%A9']]);
    assert.equal(match('/foo%2Fbar'), null);
    assert.equal(match('/foo/bar%20baz'), null, 'the last element must match whole');
    assert.equal(match('/foo/bar/%20'), 'Prefix /foo/bar');
    assert.equal(match('/caf%C3%A9'), 'Exact /caf%C3%A9');
    assert.equal(match('/café'), null);
  });

  it('is case-sensitive for Exact and Prefix', () => {
    const match = matcher([['Prefix', '/Foo'], ['Exact', '/bar']]);
    assert.equal(match('/foo'), null);
    assert.equal(match('/Foo/x'), 'Prefix /Foo');
    assert.equal(match('/BAR'), null);
  });

  it('finds the longest prefix among paths that share characters', () => {
    const match = matcher([['Prefix', '/a'], ['Prefix', '/ap'], ['Prefix', '/api'], ['Prefix', '/apis'], ['Prefix', '/api/v1'], ['Exact', '/api/v1/x']]);
    assert.equal(match('/apis/x'), 'Prefix /apis');
    assert.equal(match('/api/v1/users'), 'Prefix /api/v1');
    assert.equal(match('/api/v1/x'), 'Exact /api/v1/x');
    assert.equal(match('/api/v1/x/y'), 'Prefix /api/v1');
    assert.equal(match('/api/v2'), 'Prefix /api');
    assert.equal(match('/apx'), null);
    assert.equal(match('/a/b'), 'Prefix /a');
    assert.equal(match('/ap'), 'Prefix /ap');
    assert.equal(match('/'), null);
  });

  it('keeps the first of two equivalent paths ("/foo" and "/foo/" as Prefix)', () => {
    const match = matcher([['Prefix', '/foo/'], ['Prefix', '/foo']]);
    assert.equal(match('/foo/x'), 'Prefix /foo/');
  });

  it('agrees with a reference implementation of the Kubernetes definition on random tables', () => {
    // The reference splits paths into elements and compares them, as the API documentation words
    // it; the matcher uses a character radix tree. They must agree everywhere.
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const segments = ['a', 'b', 'ab', 'ba', 'aa'];
    const randomPath = (): string => {
      const depth = random(4);
      let p = '';
      for (let i = 0; i < depth; i++) p += `/${segments[random(segments.length)]}`;
      return p === '' || random(3) === 0 ? `${p}/` : p;
    };
    const elements = (p: string): string[] => p.split('/').filter(Boolean);
    const reference = (defs: [PathKind, string][], request: string): string | null => {
      const exact = defs.find(([kind, p]) => kind === 'Exact' && p === request);
      if (exact) return `Exact ${exact[1]}`;
      const req = elements(request);
      let best: [PathKind, string] | null = null;
      for (const def of defs) {
        const pe = elements(def[1]);
        if (def[0] !== 'Prefix' || pe.length > req.length || !pe.every((e, i) => e === req[i])) continue;
        if (best === null || pe.length > elements(best[1]).length) best = def;
      }
      return best ? `Prefix ${best[1]}` : null;
    };
    for (let round = 0; round < 200; round++) {
      const defs: [PathKind, string][] = [];
      const seenPrefix = new Set<string>();
      const seenExact = new Set<string>();
      for (let i = 0, n = 1 + random(8); i < n; i++) {
        const kind: PathKind = random(2) === 0 ? 'Exact' : 'Prefix';
        const p = randomPath();
        const key = kind === 'Prefix' ? elements(p).join('/') : p;
        const seen = kind === 'Prefix' ? seenPrefix : seenExact;
        if (seen.has(key)) continue;
        seen.add(key);
        defs.push([kind, p]);
      }
      const match = matcher(defs);
      for (let i = 0; i < 20; i++) {
        const request = randomPath();
        assert.equal(match(request), reference(defs, request), `table ${JSON.stringify(defs)} request ${request}`);
      }
    }
  });
});

describe('path matching: Regex routes', () => {
  it('anchors at the start, not at the end, and ignores case', () => {
    const match = matcher([['Regex', '/api/v[0-9]+']]);
    assert.equal(match('/api/v2'), 'Regex /api/v[0-9]+');
    assert.equal(match('/api/v2/users'), 'Regex /api/v[0-9]+');
    assert.equal(match('/API/V2'), 'Regex /api/v[0-9]+');
    assert.equal(match('/x/api/v2'), null);
    assert.equal(match('/api/vx'), null);
  });

  it('does not let the query string take part in a regex match', () => {
    const match = matcher([['Regex', '/search.*q=1']]);
    assert.equal(match('/search?q=1'), null);
    assert.equal(match('/search/q=1?x'), 'Regex /search.*q=1');
  });

  it('tries longer sources first and takes the first that matches', () => {
    const match = matcher([['Regex', '/a.*'], ['Regex', '/a/b/.*'], ['Regex', '/a/[0-9]+']]);
    assert.equal(match('/a/b/c'), 'Regex /a/b/.*');
    assert.equal(match('/a/12'), 'Regex /a/[0-9]+');
    assert.equal(match('/abc'), 'Regex /a.*');
  });

  it('competes with Prefix by written length; the Prefix wins ties; Exact always wins', () => {
    const match = matcher([
      ['Prefix', '/api'],
      ['Regex', '/api/v[0-9]'],
      ['Prefix', '/api/v1/users/list'],
      ['Regex', '/.*'],
      ['Prefix', '/img'],
      ['Regex', '/im.'],
      ['Exact', '/api/v1'],
    ]);
    assert.equal(match('/api/v2/x'), 'Regex /api/v[0-9]', 'longer regex beats a shorter prefix');
    assert.equal(match('/api/v1/users/list/x'), 'Prefix /api/v1/users/list', 'longer prefix beats a shorter regex');
    assert.equal(match('/img/a.png'), 'Prefix /img', 'equal length: prefix wins');
    assert.equal(match('/imx'), 'Regex /im.', 'no prefix matches: the regex serves');
    assert.equal(match('/zz'), 'Regex /.*');
    assert.equal(match('/api/vx'), 'Prefix /api', '"/.*" (3) is shorter than "/api" (4)');
    assert.equal(match('/api/v1'), 'Exact /api/v1', 'Exact beats the longer regex');
  });

  it('rejects an invalid regex at compile time with the route id', () => {
    assert.throws(() => compileRouteTable(tableSpec({ [HOST]: [['Regex', '/a(']] })), (err: unknown) => {
      assert.ok(err instanceof RouteCompileError);
      assert.equal(err.routeId, `${HOST}|Regex|/a(`);
      return true;
    });
    assert.throws(() => compileRouteTable(tableSpec({ [HOST]: [['Regex', '/a)|(.*']] })), RouteCompileError, 'an unbalanced source cannot escape the anchor');
  });

  it('rejects an unknown path kind', () => {
    assert.throws(() => compileRouteTable(tableSpec({ [HOST]: [['Glob' as PathKind, '/a*']] })), /unknown path kind "Glob"/);
  });
});
