// The gateway in cluster mode writes Ingress status and Warning Events (as the Lease leader): the same
// process that serves, wired through its control plane, against the API test server.
import { after, before, describe, test } from 'node:test';
import { KubeApiServer } from '../support/kube-api/index.ts';
import { kube, startClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';

const NS = 'shop';
/** A documentation address (RFC 5737): written into status, never contacted. */
const PUBLISHED = '203.0.113.7';

describe('cluster mode: Ingress status and Events', () => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  let gw: ClusterGateway;

  before(async () => {
    await api.start();
    api.create(kube.ingressClass('tideway', true));
    gw = await startClusterGateway(api, ['--publish-address', PUBLISHED]);
    await gw.until('first snapshot served', () => gw.gateway.control.ready);
  });
  after(async () => {
    await gw?.close();
    await api.close();
  });

  test('a served Ingress gets the published address in status.loadBalancer', async () => {
    api.create(kube.ingress(NS, 'shop', 'shop.example.com', [{ path: '/', service: 'web' }]));
    await gw.until('status written', () => {
      const ingress = api.get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: NS, name: 'shop' }) as { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } } | undefined;
      return ingress?.status?.loadBalancer?.ingress?.[0]?.ip === PUBLISHED;
    });
  });

  test('a diagnostic on it becomes a Warning Event naming the field', async () => {
    // The Ingress above names Service web, which does not exist.
    await gw.until('event written', () =>
      api.list('v1', 'Event', NS).some((e) => {
        const event = e as { type?: string; reason?: string; message?: string; involvedObject?: { name?: string } };
        return event.type === 'Warning' && event.involvedObject?.name === 'shop' && /backend\.service\.name/.test(event.message ?? '');
      }));
  });
});
