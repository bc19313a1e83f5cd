// GatewayStaticAddresses, as the conformance test runs it, against the API test server: a Gateway asking
// for an address of an unsupported type is not accepted; without it, one asking for an address that is
// not Tideway's is accepted but not programmed (AddressNotUsable); asking only for Tideway's own
// (--publish-address) it is programmed with that one address in status. Its listener serves throughout.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { kube, startServedClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';
import { gateway, gatewayClass, GW, httpRoute } from '../support/gateway-api.ts';
import { KubeApiServer, type JsonObject } from '../support/kube-api/index.ts';

const PUBLISHED = '203.0.113.9';
type Condition = { type: string; status: string; reason: string; observedGeneration: number };

describe('cluster mode: Gateway spec.addresses', () => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  let gw: ClusterGateway;
  let web: TestBackend;

  const read = (): JsonObject => api.get({ apiVersion: `${GW}/v1`, kind: 'Gateway', name: 'gw', namespace: 'shop' })!;
  const condition = (type: string) => (read().status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);
  const setAddresses = (addresses: { type?: string; value: string }[]) => {
    const current = read();
    api.update({ ...current, spec: { ...current.spec, addresses } });
  };

  before(async () => {
    web = await startBackend('web');
    await api.start();
    api.create(kube.service('shop', 'web'));
    api.create(kube.endpointSlice('shop', 'web-1', 'web', web.port, ['127.0.0.1']));
    api.create(gatewayClass());
    const object = gateway('gw', [{ name: 'http' }], { namespace: 'shop' });
    (object.spec as Record<string, unknown>).addresses = [{ type: 'test/fake-invalid-type', value: 'fake' }, { type: 'IPAddress', value: '198.51.100.1' }, { type: 'IPAddress', value: PUBLISHED }];
    api.create(object);
    api.create(httpRoute('web', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }, { namespace: 'shop' }));
    gw = await startServedClusterGateway(api, ['--publish-address', PUBLISHED]);
  });
  after(async () => {
    await gw?.close();
    await api.close();
    await web?.close();
  });

  test('an address of an unsupported type: Accepted=False, UnsupportedAddress', async () => {
    await gw.until('UnsupportedAddress', () => condition('Accepted')?.reason === 'UnsupportedAddress');
    assert.equal(condition('Accepted')!.status, 'False');
    assert.equal((await gw.get('any.test')).status, 200, 'the listener keeps serving');
  });

  test('an address that is not Tideway\'s: Accepted, Programmed=False with AddressNotUsable', async () => {
    setAddresses([{ type: 'IPAddress', value: '198.51.100.1' }, { type: 'IPAddress', value: PUBLISHED }]);
    await gw.until('AddressNotUsable at generation 2', () => condition('Programmed')?.reason === 'AddressNotUsable' && condition('Programmed')?.observedGeneration === 2);
    assert.equal(condition('Accepted')!.status, 'True');
    assert.deepEqual(read().status.addresses, [{ type: 'IPAddress', value: PUBLISHED }]);
  });

  test('only Tideway\'s address: Programmed, and that address in status', async () => {
    setAddresses([{ type: 'IPAddress', value: PUBLISHED }]);
    await gw.until('Programmed', () => condition('Programmed')?.status === 'True' && condition('Programmed')?.observedGeneration === 3);
    assert.deepEqual(read().status.addresses, [{ type: 'IPAddress', value: PUBLISHED }]);
    assert.equal(read().status.listeners[0].attachedRoutes, 1);
    assert.equal((await gw.get('any.test')).status, 200);
  });
});
