// Cluster mode with the Gateway API: objects read from the API test server through the real client,
// served to real requests, and the status the Lease leader writes (GatewayClass, Gateway, listeners,
// route parents) with observedGeneration, through the transitions: a ReferenceGrant added and removed,
// a listener changed, and a route of another controller's Gateway left alone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { kube, startClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';
import { gateway, gatewayClass, GW, httpRoute, referenceGrant } from '../support/gateway-api.ts';
import { KubeApiServer, type JsonObject } from '../support/kube-api/index.ts';

const NS = 'shop';
const PUBLISHED = '203.0.113.9';

type Condition = { type: string; status: string; reason: string; observedGeneration: number; lastTransitionTime: string };

function conditionOf(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

describe('cluster mode: Gateway API objects and their status', () => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  let gw: ClusterGateway;
  let web: TestBackend;
  let other: TestBackend;

  const read = (kind: string, name: string, namespace?: string): JsonObject => api.get({ apiVersion: `${GW}/v1`, kind, name, ...(namespace ? { namespace } : {}) })!;
  const routeParents = (name: string) => (read('HTTPRoute', name, NS).status?.parents ?? []) as { parentRef: { name: string }; controllerName: string; conditions: Condition[] }[];
  const ourParent = (name: string) => routeParents(name).find((p) => p.controllerName === 'tideway.dev/gateway-controller');

  before(async () => {
    web = await startBackend('web');
    other = await startBackend('other');
    await api.start();
    api.create(kube.service(NS, 'web'));
    api.create(kube.endpointSlice(NS, 'web-1', 'web', web.port, ['127.0.0.1']));
    api.create(kube.service('backends', 'other'));
    api.create(kube.endpointSlice('backends', 'other-1', 'other', other.port, ['127.0.0.1']));
    api.create(gatewayClass());
    api.create(gatewayClass('theirs', 'example.com/other'));
    api.create(gateway('gw', [
      { name: 'http', hostname: '*.example.com' },
      { name: 'dup', hostname: '*.example.com' },
      { name: 'secure', port: 443, protocol: 'HTTPS', hostname: 'secure.example.com', certificateRefs: [{ name: 'missing' }] },
    ], { namespace: NS }));
    api.create(gateway('foreign', [{ name: 'http' }], { namespace: NS, className: 'theirs' }));
    api.create(httpRoute('web', {
      parentRefs: [{ name: 'gw', sectionName: 'http' }],
      hostnames: ['shop.example.com'],
      rules: [
        { backendRefs: [{ name: 'web', port: 80 }] },
        { matches: [{ path: { type: 'PathPrefix', value: '/other' } }], backendRefs: [{ name: 'other', namespace: 'backends', port: 80 }] },
      ],
    }, { namespace: NS }));
    const foreign = httpRoute('foreign', { parentRefs: [{ name: 'foreign' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }, { namespace: NS });
    api.create({ ...foreign, status: { parents: [{ parentRef: { name: 'foreign' }, controllerName: 'example.com/other', conditions: [] }] } });
    gw = await startClusterGateway(api, ['--publish-address', PUBLISHED]);
    await gw.until('first snapshot served', () => gw.gateway.control.ready);
  });
  after(async () => {
    await gw?.close();
    await api.close();
    await web?.close();
    await other?.close();
  });

  test('serves the HTTPRoute read from the API', async () => {
    await gw.until('the route', async () => (await gw.get('shop.example.com', '/')).status === 200);
    assert.equal((await gw.get('shop.example.com', '/')).headers['x-backend'], 'web');
    assert.equal((await gw.get('shop.example.com', '/other')).status, 500, 'no ReferenceGrant yet');
  });

  test('GatewayClass: Accepted and supportedFeatures; another controller\'s class is left alone', async () => {
    await gw.until('class status', () => conditionOf(read('GatewayClass', 'tideway').status?.conditions, 'Accepted')?.status === 'True');
    const status = read('GatewayClass', 'tideway').status;
    assert.equal(conditionOf(status.conditions, 'Accepted')!.observedGeneration, 1);
    assert.ok((status.supportedFeatures as { name: string }[]).some((f) => f.name === 'HTTPRouteQueryParamMatching'));
    assert.equal(read('GatewayClass', 'theirs').status, undefined);
  });

  test('Gateway: conditions, the publish address, and each listener with attachedRoutes and its conditions', async () => {
    await gw.until('gateway status', () => read('Gateway', 'gw', NS).status?.listeners?.length === 3);
    const status = read('Gateway', 'gw', NS).status;
    assert.equal(conditionOf(status.conditions, 'Accepted')!.status, 'True');
    assert.equal(conditionOf(status.conditions, 'Programmed')!.status, 'True');
    assert.deepEqual(status.addresses, [{ type: 'IPAddress', value: PUBLISHED }]);
    const [http, dup, secure] = status.listeners as { name: string; attachedRoutes: number; conditions: Condition[]; supportedKinds: unknown[] }[];
    assert.equal(http!.attachedRoutes, 1);
    assert.deepEqual(http!.supportedKinds, [{ group: GW, kind: 'HTTPRoute' }, { group: GW, kind: 'GRPCRoute' }]);
    assert.deepEqual(http!.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`), ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts']);
    assert.equal(conditionOf(dup!.conditions, 'Conflicted')!.reason, 'HostnameConflict');
    assert.equal(conditionOf(dup!.conditions, 'Programmed')!.status, 'False');
    assert.equal(conditionOf(secure!.conditions, 'ResolvedRefs')!.reason, 'InvalidCertificateRef');
    assert.equal(read('Gateway', 'foreign', NS).status, undefined, 'another controller\'s Gateway');
  });

  test('route parents: ResolvedRefs follows a ReferenceGrant added and removed', async () => {
    await gw.until('route status', () => conditionOf(ourParent('web')?.conditions, 'ResolvedRefs')?.reason === 'RefNotPermitted');
    assert.equal(conditionOf(ourParent('web')!.conditions, 'Accepted')!.status, 'True');
    const grant = api.create(referenceGrant('allow-shop', 'backends', { kind: 'HTTPRoute', namespace: NS }, { kind: 'Service' }));
    await gw.until('ResolvedRefs True', () => conditionOf(ourParent('web')?.conditions, 'ResolvedRefs')?.status === 'True');
    await gw.until('the cross-namespace backend served', async () => (await gw.get('shop.example.com', '/other')).headers['x-backend'] === 'other');
    api.delete(grant);
    await gw.until('RefNotPermitted again', () => conditionOf(ourParent('web')?.conditions, 'ResolvedRefs')?.reason === 'RefNotPermitted');
    assert.equal((await gw.get('shop.example.com', '/other')).status, 500);
  });

  test('a listener changed: the route no longer attaches, with the new observedGeneration', async () => {
    const current = read('Gateway', 'gw', NS);
    const spec = structuredClone(current.spec);
    spec.listeners[0].hostname = '*.example.org';
    api.update({ ...current, spec });
    await gw.until('NoMatchingListenerHostname', () => conditionOf(ourParent('web')?.conditions, 'Accepted')?.reason === 'NoMatchingListenerHostname');
    const accepted = conditionOf(ourParent('web')!.conditions, 'Accepted')!;
    assert.equal(accepted.status, 'False');
    await gw.until('attachedRoutes 0 at generation 2', () => {
      const status = read('Gateway', 'gw', NS).status;
      return status.listeners[0].attachedRoutes === 0 && conditionOf(status.conditions, 'Accepted')?.observedGeneration === 2;
    });
    await gw.until('the route gone', async () => (await gw.get('shop.example.com', '/')).status === 404);
  });

  test('a parentRef port no listener declares: NoMatchingParent, ResolvedRefs still True', async () => {
    api.create(httpRoute('wrong-port', { parentRefs: [{ name: 'gw', port: 81 }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }, { namespace: NS }));
    const parent = () => (read('HTTPRoute', 'wrong-port', NS).status?.parents ?? [])[0] as { conditions: Condition[] } | undefined;
    await gw.until('NoMatchingParent', () => conditionOf(parent()?.conditions, 'Accepted')?.reason === 'NoMatchingParent');
    assert.equal(conditionOf(parent()!.conditions, 'Accepted')!.status, 'False');
    assert.equal(conditionOf(parent()!.conditions, 'ResolvedRefs')!.status, 'True');
  });

  test('a route of another controller\'s Gateway keeps its status untouched', () => {
    assert.deepEqual(routeParents('foreign').map((p) => p.controllerName), ['example.com/other']);
  });
});
