// Cluster mode: Namespaces listed and watched from the API test server, and a listener admitting routes
// by namespace selector. A route attaches and detaches, served and in its status (Accepted /
// NotAllowedByListeners, the listener's attachedRoutes), as its Namespace's labels change.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { kube, startServedClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';
import { gateway, gatewayClass, GW, httpRoute, namespace } from '../support/gateway-api.ts';
import { KubeApiServer, type JsonObject } from '../support/kube-api/index.ts';

type Condition = { type: string; status: string; reason: string };

describe('cluster mode: allowedRoutes namespace selector', () => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  let gw: ClusterGateway;
  let web: TestBackend;

  const read = (kind: string, name: string, namespace?: string): JsonObject => api.get({ apiVersion: `${GW}/v1`, kind, name, ...(namespace ? { namespace } : {}) })!;
  const accepted = (ns: string) => {
    const parents = (read('HTTPRoute', 'app', ns).status?.parents ?? []) as { conditions: Condition[] }[];
    return parents[0]?.conditions.find((c) => c.type === 'Accepted');
  };
  const attached = () => read('Gateway', 'gw', 'infra').status?.listeners?.[0]?.attachedRoutes as number | undefined;

  before(async () => {
    web = await startBackend('web');
    await api.start();
    for (const ns of ['infra', 'team-a', 'team-b']) api.create(namespace(ns, ns === 'team-a' ? { gateway: 'shared' } : {}));
    for (const ns of ['team-a', 'team-b']) {
      api.create(kube.service(ns, 'web'));
      api.create(kube.endpointSlice(ns, 'web-1', 'web', web.port, ['127.0.0.1']));
      api.create(httpRoute('app', { parentRefs: [{ name: 'gw', namespace: 'infra' }], hostnames: [`${ns}.test`], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }, { namespace: ns }));
    }
    api.create(gatewayClass());
    api.create(gateway('gw', [{ name: 'http', from: 'Selector', selector: { matchLabels: { gateway: 'shared' } } }], { namespace: 'infra' }));
    gw = await startServedClusterGateway(api, ['--publish-address', '203.0.113.9']);
  });
  after(async () => {
    await gw?.close();
    await api.close();
    await web?.close();
  });

  test('the route of the labelled namespace is served and Accepted, the other NotAllowedByListeners', async () => {
    await gw.until('team-a served', async () => (await gw.get('team-a.test')).status === 200);
    assert.equal((await gw.get('team-b.test')).status, 404);
    await gw.until('route status', () => accepted('team-a')?.status === 'True' && accepted('team-b')?.reason === 'NotAllowedByListeners');
    await gw.until('attachedRoutes 1', () => attached() === 1);
  });

  test('a Namespace relabelled: routes attach and detach, status follows', async () => {
    const relabel = (name: string, labels: Record<string, string>) => {
      const current = api.get({ apiVersion: 'v1', kind: 'Namespace', name })!;
      api.update({ ...current, metadata: { ...current.metadata, labels: { ...labels, 'kubernetes.io/metadata.name': name } } });
    };
    relabel('team-b', { gateway: 'shared' });
    await gw.until('team-b served', async () => (await gw.get('team-b.test')).status === 200);
    await gw.until('team-b Accepted, 2 attached', () => accepted('team-b')?.status === 'True' && attached() === 2);
    relabel('team-a', {});
    await gw.until('team-a gone', async () => (await gw.get('team-a.test')).status === 404);
    await gw.until('team-a NotAllowedByListeners, 1 attached', () => accepted('team-a')?.reason === 'NotAllowedByListeners' && attached() === 1);
  });
});
