// Gateway fields through the gateway (files), with real requests and the status translation computes:
// - HTTPRouteDestinationPortMatching, as the conformance test checks it: a parentRef whose port no
//   listener declares attaches nowhere (Accepted=False, NoMatchingParent; ResolvedRefs stays True; the
//   listener counts no route); the listener's port attaches.
// - spec.addresses: IPAddress and Hostname entries are requests checked against Tideway's own address
//   when status is written (cluster/gateway-static-addresses.test.ts); another type is
//   UnsupportedAddress. Either way the listeners keep serving.
// - spec.infrastructure: labels and annotations apply to nothing (Tideway creates no per-Gateway
//   resources); a parametersRef is InvalidParameters.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';

const route = (port: number) => yamlDocs(httpRoute('web', { parentRefs: [{ name: 'gw', port }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }));

function gatewayWith(addresses: { type?: string; value: string }[], infrastructure?: Record<string, unknown>): string {
  const object = gateway('gw', [{ name: 'http' }]);
  (object.spec as Record<string, unknown>).addresses = addresses;
  if (infrastructure) (object.spec as Record<string, unknown>).infrastructure = infrastructure;
  return yamlDocs(gatewayClass(), object);
}

describe('Gateway parentRef ports, spec.addresses and spec.infrastructure (files)', () => {
  let gw: RunningGateway;
  let web: TestBackend;

  before(async () => {
    web = await startBackend('web');
    gw = await startGateway({
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
      'gw.yaml': gatewayWith([]),
      'route.yaml': route(81),
    });
  });
  after(async () => {
    await gw?.close();
    await web?.close();
  });

  const gatewayEntry = () => {
    const entry = gw.gateway.control.currentGatewayStatus.entries.find((e) => e.kind === 'Gateway');
    assert.ok(entry?.kind === 'Gateway');
    return entry;
  };

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

  it('accepts IPAddress (the default type) and Hostname requests, and serves', async () => {
    await gw.writeManifest('gw.yaml', gatewayWith([{ value: '192.0.2.10' }, { type: 'Hostname', value: 'gw.example.com' }]));
    assert.equal((await request(gw.port, { path: '/', headers: { host: 'any.test' } })).status, 200);
    assert.equal(gatewayEntry().conditions[0]!.status, 'True');
    assert.deepEqual(gatewayEntry().requestedAddresses, [{ type: 'IPAddress', value: '192.0.2.10' }, { type: 'Hostname', value: 'gw.example.com' }]);
  });

  it('does not accept another address type, and still serves', async () => {
    await gw.writeManifest('gw.yaml', gatewayWith([{ type: 'NamedAddress', value: 'pool-a' }]));
    assert.deepEqual([gatewayEntry().conditions[0]!.reason, gatewayEntry().conditions[0]!.message], ['UnsupportedAddress', 'spec.addresses[0]: address type "NamedAddress" is not supported (IPAddress and Hostname are)']);
    assert.equal((await request(gw.port, { path: '/', headers: { host: 'any.test' } })).status, 200);
  });

  it('accepts infrastructure labels and annotations; a parametersRef is InvalidParameters, with a diagnostic', async () => {
    await gw.writeManifest('gw.yaml', gatewayWith([], { labels: { team: 'shop' }, annotations: { note: 'x' } }));
    assert.equal(gatewayEntry().conditions[0]!.reason, 'Accepted');
    await gw.writeManifest('gw.yaml', gatewayWith([], { parametersRef: { group: 'example.com', kind: 'Params', name: 'big' } }));
    assert.equal(gatewayEntry().conditions[0]!.reason, 'InvalidParameters');
    const diagnostic = gw.gateway.control.currentDiagnostics.find((d) => d.object === 'default/gw');
    assert.deepEqual([diagnostic?.field, diagnostic?.reason], ['spec.infrastructure.parametersRef', 'InvalidParameters']);
    assert.equal((await request(gw.port, { path: '/', headers: { host: 'any.test' } })).status, 200);
  });
});
