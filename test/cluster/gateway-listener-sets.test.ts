// Cluster mode: ListenerSets read from the API test server, served, and their status written by the
// leader (Accepted/Programmed, listeners with attachedRoutes and conflicts), with the Gateway's
// attachedListenerSets, through a transition: the Gateway opening allowedListeners to every namespace.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { kube, startServedClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';
import { gateway, gatewayClass, GW, httpRoute, listenerSet } from '../support/gateway-api.ts';
import { KubeApiServer, type JsonObject } from '../support/kube-api/index.ts';

type Condition = { type: string; status: string; reason: string; observedGeneration: number };
type ListenerStatus = { name: string; attachedRoutes: number; conditions: Condition[] };

const summary = (conditions: Condition[] | undefined) => (conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);

describe('cluster mode: ListenerSets and their status', () => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  let gw: ClusterGateway;
  let web: TestBackend;

  const read = (kind: string, name: string, namespace: string): JsonObject => api.get({ apiVersion: `${GW}/v1`, kind, name, namespace })!;
  const setStatus = (name: string, namespace: string) => read('ListenerSet', name, namespace).status as { conditions?: Condition[]; listeners?: ListenerStatus[] } | undefined;

  before(async () => {
    web = await startBackend('web');
    await api.start();
    for (const ns of ['infra', 'team']) {
      api.create(kube.service(ns, 'web'));
      api.create(kube.endpointSlice(ns, 'web-1', 'web', web.port, ['127.0.0.1']));
    }
    api.create(gatewayClass());
    api.create(gateway('gw', [{ name: 'own', hostname: 'own.test' }], { namespace: 'infra', allowedListeners: { from: 'Same' } }));
    api.create(listenerSet('near', { name: 'gw' }, [{ name: 'a', hostname: 'near.test' }, { name: 'b', hostname: 'own.test' }], { namespace: 'infra' }));
    api.create(listenerSet('far', { name: 'gw', namespace: 'infra' }, [{ name: 'a', hostname: 'far.test' }], { namespace: 'team' }));
    const toSet = (name: string, namespace: string) => ({ group: GW, kind: 'ListenerSet', name, namespace });
    api.create(httpRoute('near', { parentRefs: [toSet('near', 'infra')], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }, { namespace: 'infra' }));
    api.create(httpRoute('far', { parentRefs: [toSet('far', 'team')], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }, { namespace: 'team' }));
    gw = await startServedClusterGateway(api, ['--publish-address', '203.0.113.9']);
  });
  after(async () => {
    await gw?.close();
    await api.close();
    await web?.close();
  });

  test('a ListenerSet of the Gateway\'s namespace is attached and served; its conflicting listener is not', async () => {
    await gw.until('near.test served', async () => (await gw.get('near.test')).status === 200);
    assert.equal((await gw.get('far.test')).status, 404);
    await gw.until('ListenerSet status', () => setStatus('near', 'infra')?.listeners?.length === 2);
    const near = setStatus('near', 'infra')!;
    assert.deepEqual(summary(near.conditions), ['Accepted=True/Accepted', 'Programmed=True/Programmed']);
    assert.equal(near.conditions![0]!.observedGeneration, 1);
    const [a, b] = near.listeners!;
    assert.equal(a!.attachedRoutes, 1);
    assert.deepEqual(summary(b!.conditions), ['Accepted=False/HostnameConflict', 'Programmed=False/HostnameConflict', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=True/HostnameConflict']);
    await gw.until('far NotAllowed', () => summary(setStatus('far', 'team')?.conditions)[0] === 'Accepted=False/NotAllowed');
    await gw.until('attachedListenerSets 1', () => read('Gateway', 'gw', 'infra').status?.attachedListenerSets === 1);
    const farRoute = read('HTTPRoute', 'far', 'team').status?.parents?.[0];
    assert.equal(farRoute?.parentRef.kind, 'ListenerSet');
    assert.deepEqual(summary(farRoute?.conditions)[0], 'Accepted=False/NoMatchingParent');
  });

  test('the Gateway allowing every namespace: the other ListenerSet attaches, served and in status', async () => {
    const current = read('Gateway', 'gw', 'infra');
    api.update({ ...current, spec: { ...current.spec, allowedListeners: { namespaces: { from: 'All' } } } });
    await gw.until('far.test served', async () => (await gw.get('far.test')).status === 200);
    await gw.until('far Accepted', () => summary(setStatus('far', 'team')?.conditions)[0] === 'Accepted=True/Accepted');
    await gw.until('attachedListenerSets 2', () => read('Gateway', 'gw', 'infra').status?.attachedListenerSets === 2);
    await gw.until('far route Accepted', () => summary(read('HTTPRoute', 'far', 'team').status?.parents?.[0]?.conditions)[0] === 'Accepted=True/Accepted');
    assert.equal(setStatus('far', 'team')!.listeners![0]!.attachedRoutes, 1);
  });
});
