// A listener that admits routes from namespaces chosen by label (allowedRoutes.namespaces.from:
// Selector), through the gateway with real requests: Namespace objects from manifest files, a route
// attaching and detaching as its Namespace's labels change, and a namespace without an object.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, namespace, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';

const routeIn = (ns: string, host: string) => httpRoute('app', {
  parentRefs: [{ name: 'gw', namespace: 'infra' }], hostnames: [host], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
}, { namespace: ns });

describe('allowedRoutes namespace selector through the gateway (files)', () => {
  let gw: RunningGateway;
  let web: TestBackend;

  before(async () => {
    web = await startBackend('web');
    gw = await startGateway({
      'svc.yaml': ['team-a', 'team-b', 'loose'].map((ns) => serviceYaml({ name: 'web', namespace: ns, endpoints: [['127.0.0.1', web.port]] })).join('---\n'),
      'namespaces.yaml': yamlDocs(namespace('team-a', { gateway: 'shared' }), namespace('team-b', { gateway: 'private' })),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [
        { name: 'http', from: 'Selector', selector: { matchExpressions: [{ key: 'gateway', operator: 'In', values: ['shared'] }] } },
      ], { namespace: 'infra' })),
      'routes.yaml': yamlDocs(routeIn('team-a', 'a.test'), routeIn('team-b', 'b.test'), routeIn('loose', 'loose.test')),
    });
  });
  after(async () => {
    await gw?.close();
    await web?.close();
  });

  const status = async (host: string) => (await request(gw.port, { path: '/', headers: { host } })).status;

  it('serves the routes of namespaces whose labels match the selector, and no other', async () => {
    assert.equal(await status('a.test'), 200);
    assert.equal(await status('b.test'), 404);
    assert.equal(await status('loose.test'), 404, 'a namespace without a Namespace object has no "gateway" label');
  });

  it('attaches and detaches routes when a Namespace\'s labels change', async () => {
    await gw.writeManifest('namespaces.yaml', yamlDocs(namespace('team-a', { gateway: 'private' }), namespace('team-b', { gateway: 'shared' })));
    assert.equal(await status('a.test'), 404);
    assert.equal(await status('b.test'), 200);
  });

  it('fails closed on a malformed selector, with a diagnostic naming the field', async () => {
    await gw.writeManifest('gw.yaml', yamlDocs(gatewayClass(), gateway('gw', [
      { name: 'http', from: 'Selector', selector: { matchExpressions: [{ key: 'gateway', operator: 'In' }] } },
    ], { namespace: 'infra' })));
    assert.equal(await status('b.test'), 404, 'a selector that cannot be read admits no namespace');
    const { diagnostics } = await fetch(`http://127.0.0.1:${gw.adminPort}/api/diagnostics`).then((r) => r.json()) as { diagnostics: { object: string; field: string; message: string }[] };
    const found = diagnostics.find((d) => d.object === 'infra/gw');
    assert.equal(found?.field, 'spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].values');
    assert.match(found.message, /operator In needs at least one value/);
  });
});
