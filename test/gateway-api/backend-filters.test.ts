// Filters on a backendRef (HTTPRouteBackendURLRewrite, HTTPRouteBackendRequestRedirect), after the
// conformance tests of the same names: a URLRewrite on the backendRef rewrites what that backend
// receives (ReplaceFullPath, ReplacePrefixMatch, hostname); a RequestRedirect on it answers the
// redirect instead of calling the backend; with two weighted backendRefs each request gets the filters
// of the backend it was sent to. Bad filter values are reported and answered 500 for that backend's
// share only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';

const prefix = (value: string) => [{ path: { type: 'PathPrefix', value } }];
const rewrite = (path: Record<string, string>, hostname?: string) => ({ type: 'URLRewrite', urlRewrite: { path, ...(hostname ? { hostname } : {}) } });
const redirect = (path: Record<string, string>) => ({ type: 'RequestRedirect', requestRedirect: { path } });

describe('filters on backendRefs (files)', () => {
  let gw: RunningGateway;
  let v1: TestBackend;
  let v2: TestBackend;

  before(async () => {
    v1 = await startBackend('v1');
    v2 = await startBackend('v2');
    gw = await startGateway({
      'svc.yaml': [serviceYaml({ name: 'v1', endpoints: [['127.0.0.1', v1.port]] }), serviceYaml({ name: 'v2', endpoints: [['127.0.0.1', v2.port]] })].join('---\n'),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'http' }])),
      'routes.yaml': yamlDocs(httpRoute('backend-filters', {
        parentRefs: [{ name: 'gw' }], hostnames: ['filters.test'],
        rules: [
          { matches: prefix('/full'), backendRefs: [{ name: 'v1', port: 80, filters: [rewrite({ type: 'ReplaceFullPath', replaceFullPath: '/rewritten-full' })] }] },
          { matches: prefix('/prefix'), backendRefs: [{ name: 'v1', port: 80, filters: [rewrite({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/rewritten-prefix' }, 'inner.test')] }] },
          { matches: prefix('/redirect-full'), backendRefs: [{ name: 'v1', port: 80, filters: [redirect({ type: 'ReplaceFullPath', replaceFullPath: '/redirected-full' })] }] },
          { matches: prefix('/redirect-prefix'), backendRefs: [{ name: 'v1', port: 80, filters: [redirect({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/redirected-prefix' })] }] },
          // Half the requests each: v1's are rewritten, v2's redirected.
          { matches: prefix('/split'), backendRefs: [
            { name: 'v1', port: 80, weight: 1, filters: [rewrite({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/v1' })] },
            { name: 'v2', port: 80, weight: 1, filters: [redirect({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/elsewhere' })] },
          ] },
          // A bad filter fails its backend's share only.
          { matches: prefix('/half-bad'), backendRefs: [
            { name: 'v1', port: 80, weight: 1 },
            { name: 'v2', port: 80, weight: 1, filters: [rewrite({ type: 'ReplaceEverything', replaceFullPath: '/x' })] },
          ] },
        ],
      })),
    });
  });
  after(async () => {
    await gw?.close();
    await v1?.close();
    await v2?.close();
  });

  const get = (path: string) => request(gw.port, { path, headers: { host: 'filters.test' } });
  const seenBy = (res: { body: string }) => JSON.parse(res.body) as { backend: string; url: string; headers: Record<string, string> };

  it('URLRewrite on a backendRef: ReplaceFullPath, and ReplacePrefixMatch with a hostname', async () => {
    const full = await get('/full/original?q=1');
    assert.equal(full.status, 200);
    assert.equal(seenBy(full).url, '/rewritten-full?q=1');
    const pre = await get('/prefix/original');
    assert.equal(pre.status, 200);
    assert.equal(seenBy(pre).url, '/rewritten-prefix/original');
    assert.equal(seenBy(pre).headers.host, 'inner.test');
  });

  it('RequestRedirect on a backendRef: 302 with the new path, the backend never called', async () => {
    const before = v1.received.length;
    const full = await get('/redirect-full/original');
    assert.equal(full.status, 302);
    assert.equal(full.headers.location, 'http://filters.test/redirected-full');
    const pre = await get('/redirect-prefix/original?q=1');
    assert.equal(pre.status, 302);
    assert.equal(pre.headers.location, 'http://filters.test/redirected-prefix/original?q=1');
    assert.equal(v1.received.length, before);
  });

  it('weighted backendRefs: each request gets the filters of the backend it goes to', async () => {
    // The split is random: requests until both were seen (bounded; 2^-99 to miss one in 100).
    const outcomes = new Set<string>();
    for (let i = 0; i < 100 && outcomes.size < 2; i++) {
      const res = await get('/split/x');
      if (res.status === 200) outcomes.add(`${seenBy(res).backend} ${seenBy(res).url}`);
      else outcomes.add(`${res.status} ${res.headers.location}`);
    }
    assert.deepEqual([...outcomes].sort(), ['302 http://filters.test/elsewhere/x', 'v1 /v1/x']);
  });

  it('a backendRef filter that cannot be honoured: reported, 500 for its share, the other share served', async () => {
    assert.ok(gw.gateway.currentDiagnostics.some((d) => d.object === 'default/backend-filters' && d.field.startsWith('spec.rules[5].backendRefs[1].filters[0]')), JSON.stringify(gw.gateway.currentDiagnostics));
    const statuses = new Set<number>();
    for (let i = 0; i < 100 && statuses.size < 2; i++) statuses.add((await get('/half-bad')).status);
    assert.deepEqual([...statuses].sort(), [200, 500]);
  });
});
