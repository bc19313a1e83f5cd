// HTTPRouteDestinationPortMatching, as the conformance test checks it: a parentRef whose port no
// listener of the Gateway declares attaches nowhere (Accepted=False, NoMatchingParent; ResolvedRefs
// stays True; the listener counts no route), while the same route naming the listener's port is served.
// Real requests through the gateway (files); the status as translation computes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';

const route = (port: number) => yamlDocs(httpRoute('web', { parentRefs: [{ name: 'gw', port }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }));

describe('parentRef port matching the listener port (files)', () => {
  let gw: RunningGateway;
  let web: TestBackend;

  before(async () => {
    web = await startBackend('web');
    gw = await startGateway({
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'http', port: 80 }])),
      'route.yaml': route(81),
    });
  });
  after(async () => {
    await gw?.close();
    await web?.close();
  });

  const status = () => gw.gateway.control.currentGatewayStatus.entries;

  it('does not attach a route whose parentRef port no listener declares', async () => {
    assert.equal((await request(gw.port, { path: '/', headers: { host: 'any.test' } })).status, 404);
    const entry = status().find((e) => e.kind === 'HTTPRoute');
    assert.ok(entry?.kind === 'HTTPRoute');
    assert.deepEqual(entry.parents[0]!.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`), ['Accepted=False/NoMatchingParent', 'ResolvedRefs=True/ResolvedRefs']);
    const gateway = status().find((e) => e.kind === 'Gateway');
    assert.ok(gateway?.kind === 'Gateway');
    assert.equal(gateway.listeners[0]!.attachedRoutes, 0);
  });

  it('attaches it once the port is the listener\'s', async () => {
    await gw.writeManifest('route.yaml', route(80));
    const res = await request(gw.port, { path: '/', headers: { host: 'any.test' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-backend'], 'web');
  });
});
