// HTTPRoutes through the whole gateway, read from manifest files: attachment, hostnames, matching and
// precedence, weighted and broken backends, filters and references. Real client, real backends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, referenceGrant, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';

const ref = (name: string, extra: Record<string, unknown> = {}) => ({ name, port: 80, ...extra });

describe('HTTPRoute through the gateway (files)', () => {
  let gw: RunningGateway;
  let web: TestBackend;
  let v2: TestBackend;
  let other: TestBackend;

  before(async () => {
    web = await startBackend('web');
    v2 = await startBackend('v2');
    other = await startBackend('other');
    gw = await startGateway({
      'svc.yaml': [
        serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
        serviceYaml({ name: 'v2', endpoints: [['127.0.0.1', v2.port]] }),
        serviceYaml({ name: 'other', namespace: 'team', endpoints: [['127.0.0.1', other.port]] }),
      ].join('---\n'),
      'gw.yaml': yamlDocs(
        gatewayClass(),
        gatewayClass('theirs', 'example.com/other-controller'),
        gateway('gw', [{ name: 'http', hostname: '*.example.com' }, { name: 'plain', port: 80, hostname: 'plain.test', from: 'All' }]),
        gateway('foreign', [{ name: 'http', hostname: 'foreign.test' }], { className: 'theirs' }),
      ),
      'routes.yaml': yamlDocs(
        httpRoute('main', {
          parentRefs: [{ name: 'gw', sectionName: 'http' }],
          hostnames: ['shop.example.com', 'unrelated.org'],
          rules: [
            { backendRefs: [ref('web')] },
            { matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'X-Version', value: '2' }] }], backendRefs: [ref('v2')] },
            { matches: [{ path: { type: 'PathPrefix', value: '/api' }, queryParams: [{ name: 'v', type: 'RegularExpression', value: '2|two' }] }], backendRefs: [ref('v2')] },
            { matches: [{ path: { type: 'Exact', value: '/form' }, method: 'POST' }], backendRefs: [ref('v2')] },
            { matches: [{ path: { type: 'PathPrefix', value: '/split' } }], backendRefs: [ref('web', { weight: 1 }), ref('missing', { weight: 1 }), ref('v2', { weight: 0 })] },
            { matches: [{ path: { type: 'PathPrefix', value: '/broken' } }], backendRefs: [ref('missing')] },
            { matches: [{ path: { type: 'PathPrefix', value: '/team' } }], backendRefs: [ref('other', { namespace: 'team' })] },
            { matches: [{ path: { type: 'PathPrefix', value: '/bad' }, headers: [{ name: 'x', type: 'RegularExpression', value: '(' }] }], backendRefs: [ref('v2')] },
            { matches: [{ path: { type: 'PathPrefix', value: '/unknown-filter' } }], filters: [{ type: 'Teleport' }], backendRefs: [ref('web')] },
          ],
        }),
        httpRoute('filters', {
          parentRefs: [{ name: 'gw' }],
          hostnames: ['filters.example.com'],
          rules: [
            { matches: [{ path: { type: 'PathPrefix', value: '/headers' } }], backendRefs: [ref('web')], filters: [
              { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Set', value: 'yes' }], add: [{ name: 'X-Add', value: 'more' }], remove: ['X-Drop'] } },
              { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'X-Answer', value: '42' }], remove: ['X-Backend'] } },
            ] },
            { matches: [{ path: { type: 'PathPrefix', value: '/secure' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] },
            { matches: [{ path: { type: 'PathPrefix', value: '/moved' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'new.example.com', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } } }] },
            { matches: [{ path: { type: 'PathPrefix', value: '/port' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { port: 8443, statusCode: 307 } }] },
            { matches: [{ path: { type: 'Exact', value: '/see-other' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplaceFullPath', replaceFullPath: '/elsewhere' }, statusCode: 303 } }] },
            { matches: [{ path: { type: 'Exact', value: '/permanent' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', port: 8443, statusCode: 308 } }] },
            { matches: [{ path: { type: 'PathPrefix', value: '/old' } }], backendRefs: [ref('web')], filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'rewritten.test', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }] },
            { matches: [{ path: { type: 'PathPrefix', value: '/full' } }], backendRefs: [ref('web')], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/replaced' } } }] },
          ],
        }),
        // A route of another namespace: the "http" listener allows only its own namespace, "plain" allows all.
        httpRoute('cross', { parentRefs: [{ name: 'gw', namespace: 'default' }], hostnames: ['team.example.com', 'plain.test'], rules: [{ backendRefs: [ref('other')] }] }, { namespace: 'team' }),
        httpRoute('foreign', { parentRefs: [{ name: 'foreign' }], rules: [{ backendRefs: [ref('web')] }] }),
        httpRoute('wrong-section', { parentRefs: [{ name: 'gw', sectionName: 'nope' }], rules: [{ backendRefs: [ref('web')] }] }),
      ),
    });
  });
  after(async () => {
    await gw?.close();
    await web?.close();
    await v2?.close();
    await other?.close();
  });

  const get = (host: string, path = '/', headers: Record<string, string> = {}, method = 'GET') => request(gw.port, { method, path, headers: { host, ...headers } });
  const backendOf = async (...args: Parameters<typeof get>) => {
    const res = await get(...args);
    return res.status === 200 ? String(res.headers['x-backend']) : res.status;
  };
  const diagnostics = () => gw.gateway.currentDiagnostics;

  it('serves the hostnames the route shares with its listener, and nothing else', async () => {
    assert.equal(await backendOf('shop.example.com', '/'), 'web');
    assert.equal(await backendOf('SHOP.example.com:80', '/anything'), 'web');
    assert.equal(await backendOf('unrelated.org', '/'), 404, 'outside the listener hostname');
    assert.equal(await backendOf('foreign.test', '/'), 404, 'a Gateway of another controller is not served');
  });

  it('orders header, query and method predicates before the plain rule, and falls back when they fail', async () => {
    assert.equal(await backendOf('shop.example.com', '/api/x', { 'x-version': '2' }), 'v2');
    assert.equal(await backendOf('shop.example.com', '/api/x', { 'x-version': '3' }), 'web', 'header differs: the "/" rule');
    assert.equal(await backendOf('shop.example.com', '/api/x?v=two'), 'v2');
    assert.equal(await backendOf('shop.example.com', '/api/x?v=three'), 'web', 'regex must match the whole value');
    assert.equal(await backendOf('shop.example.com', '/form', {}, 'POST'), 'v2');
    assert.equal(await backendOf('shop.example.com', '/form', {}, 'GET'), 'web');
  });

  it('splits by weight, answers 500 for the share of an unresolvable backendRef and never uses weight 0', async () => {
    const seen = new Map<string | number, number>();
    for (let i = 0; i < 60; i++) {
      const result = await backendOf('shop.example.com', '/split');
      seen.set(result, (seen.get(result) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), [500, 'web'].sort(), `got ${JSON.stringify([...seen])}`);
    assert.ok(seen.get('web')! > 10 && seen.get(500)! > 10, 'both halves get a share');
    assert.equal(await backendOf('shop.example.com', '/broken'), 500);
    assert.ok(diagnostics().some((d) => d.kind === 'HTTPRoute' && d.object === 'default/main' && d.field === 'spec.rules[5].backendRefs[0].name' && d.reason === 'BackendNotFound'));
  });

  it('refuses a cross-namespace backendRef until a ReferenceGrant allows it', async () => {
    assert.equal(await backendOf('shop.example.com', '/team'), 500);
    assert.ok(diagnostics().some((d) => d.reason === 'RefNotPermitted' && d.field === 'spec.rules[6].backendRefs[0].namespace'));
    await gw.writeManifest('grant.yaml', yamlDocs(referenceGrant('allow-default', 'team', { kind: 'HTTPRoute', namespace: 'default' }, { kind: 'Service' })));
    assert.equal(await backendOf('shop.example.com', '/team'), 'other');
    await gw.removeManifest('grant.yaml');
    assert.equal(await backendOf('shop.example.com', '/team'), 500, 'the grant removed: refused again');
  });

  it('reports bad input and keeps the good rules serving', async () => {
    const reasons = diagnostics().filter((d) => d.kind === 'HTTPRoute').map((d) => `${d.object} ${d.field} ${d.reason}`);
    assert.ok(reasons.includes('default/main spec.rules[7].matches[0].headers[0].value UnsupportedValue'), reasons.join('\n'));
    assert.ok(reasons.includes('default/main spec.rules[8].filters[0].type UnsupportedValue'));
    assert.ok(reasons.includes('default/wrong-section spec.parentRefs[0] NoMatchingParent'));
    assert.ok(reasons.includes('team/cross spec.parentRefs[0] NotAllowedByListeners') === false, 'allowed by the "plain" listener');
    assert.equal(await backendOf('shop.example.com', '/bad', { x: '(' }), 'web', 'the invalid match is not served');
    assert.equal(await backendOf('shop.example.com', '/unknown-filter'), 500, 'an unknown filter fails closed');
  });

  it('attaches a route of another namespace only through a listener that allows it', async () => {
    assert.equal(await backendOf('plain.test', '/'), 'other');
    assert.equal(await backendOf('team.example.com', '/'), 404, 'the *.example.com listener allows its own namespace only');
  });

  it('applies header modifiers to the request and the response', async () => {
    const res = await get('filters.example.com', '/headers', { 'x-set': 'no', 'x-add': 'one', 'x-drop': 'gone' });
    assert.equal(res.status, 200);
    const seen = JSON.parse(res.body).headers as Record<string, string>;
    assert.equal(seen['x-set'], 'yes');
    assert.equal(seen['x-add'], 'one, more');
    assert.equal(seen['x-drop'], undefined);
    assert.equal(res.headers['x-answer'], '42');
    assert.equal(res.headers['x-backend'], undefined);
  });

  it('redirects with the status, scheme, hostname, port and path the filter sets', async () => {
    const secure = await get('filters.example.com', '/secure/page?q=1');
    assert.equal(secure.status, 301);
    assert.equal(secure.headers.location, 'https://filters.example.com/secure/page?q=1', 'the well-known port of the new scheme is left out');
    const moved = await get('filters.example.com:8080', '/moved/a/b');
    assert.equal(moved.status, 302, 'statusCode defaults to 302');
    assert.equal(moved.headers.location, 'http://new.example.com/new/a/b', 'the listener port as written (80), not the bound one');
    const port = await get('filters.example.com', '/port');
    assert.equal(port.status, 307);
    assert.equal(port.headers.location, 'http://filters.example.com:8443/port');
    const seeOther = await get('filters.example.com', '/see-other?x=1');
    assert.deepEqual([seeOther.status, seeOther.headers.location], [303, 'http://filters.example.com/elsewhere?x=1']);
    const permanent = await get('filters.example.com', '/permanent');
    assert.deepEqual([permanent.status, permanent.headers.location], [308, 'https://filters.example.com:8443/permanent']);
  });

  it('rewrites the host and the matched prefix, or the full path, keeping the query', async () => {
    const res = await get('filters.example.com', '/old/thing?x=1');
    const seen = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/thing?x=1');
    assert.equal(seen.headers.host, 'rewritten.test');
    assert.equal(JSON.parse((await get('filters.example.com', '/old')).body).url, '/');
    assert.equal(JSON.parse((await get('filters.example.com', '/full/a?y=2')).body).url, '/replaced?y=2');
  });

  it('explains which HTTPRoute rule and match serve a request, predicates included, and lists them in /api/routes', async () => {
    const explain = async (query: string) => JSON.parse((await request(gw.adminPort, { path: `/api/explain?${query}` })).body);
    const withHeader = await explain('host=shop.example.com&path=/api/x&header=X-Version:%202');
    assert.equal(withHeader.matched, true);
    assert.deepEqual(withHeader.gateway, { object: 'HTTPRoute default/main', rule: 1, match: 0, predicates: ['header x-version = "2"'] });
    assert.equal(withHeader.service, 'default/v2');
    assert.match(withHeader.reason, /HTTPRoute default\/main spec\.rules\[1\]\.matches\[0\]: Prefix path "\/api" matches and its predicates hold/);
    const without = await explain('host=shop.example.com&path=/api/x');
    assert.equal(without.gateway.rule, 0, 'without the header: the "/" rule');
    assert.equal((await explain('host=shop.example.com&path=/form&method=POST')).gateway.rule, 3);
    assert.equal((await explain('host=shop.example.com&path=/api/x&port=8080')).gateway.rule, 0, 'every listener is on port 80: no port predicate');
    assert.equal((await request(gw.adminPort, { path: '/api/explain?path=/&header=bad' })).status, 400);
    const routes = JSON.parse((await request(gw.adminPort, { path: '/api/routes' })).body) as { hosts: { host: string; routes: { gateway?: { object: string; rule: number } }[] }[] };
    const shop = routes.hosts.find((h) => h.host === 'shop.example.com')!;
    assert.ok(shop.routes.every((r) => r.gateway?.object === 'HTTPRoute default/main'));
  });
});
