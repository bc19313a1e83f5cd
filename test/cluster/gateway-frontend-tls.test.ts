// Cluster mode: a Gateway validating client certificates with a CA ConfigMap read by name from the API
// test server. Missing at first (the listener NoValidCACertificate, nothing served), then created: the
// listener is accepted, a client with a certificate of the CA is served and one without is refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { kube, startServedClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';
import { gateway, gatewayClass, GW, httpRoute } from '../support/gateway-api.ts';
import { KubeApiServer } from '../support/kube-api/index.ts';
import { CertificateFactory, type KeyPair } from '../translate/certs.ts';
import { httpsGet } from '../protocols/support/tls.ts';

type Condition = { type: string; status: string; reason: string };

describe('cluster mode: Gateway frontend client certificate validation', () => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  const certs = new CertificateFactory();
  let server: KeyPair;
  let ca: KeyPair;
  let client: KeyPair;
  let gw: ClusterGateway;
  let web: TestBackend;

  const listener = () => (api.get({ apiVersion: `${GW}/v1`, kind: 'Gateway', name: 'gw', namespace: 'shop' })?.status?.listeners?.[0]?.conditions ?? []) as Condition[];
  const accepted = () => listener().find((c) => c.type === 'Accepted');

  before(async () => {
    web = await startBackend('web');
    server = certs.create('secure.test');
    ca = certs.create('Client CA');
    client = certs.signedBy(ca, 'client.test');
    await api.start();
    api.create(kube.service('shop', 'web'));
    api.create(kube.endpointSlice('shop', 'web-1', 'web', web.port, ['127.0.0.1']));
    api.create(kube.tlsSecret('shop', 'server', server.certPem, server.keyPem));
    api.create(gatewayClass());
    const gateway1 = gateway('gw', [{ name: 'https', port: 443, protocol: 'HTTPS', hostname: 'secure.test', certificateRefs: [{ name: 'server' }] }], { namespace: 'shop' });
    (gateway1.spec as Record<string, unknown>).tls = { frontend: { default: { validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'client-ca' }] } } } };
    api.create(gateway1);
    api.create(httpRoute('web', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }, { namespace: 'shop' }));
    gw = await startServedClusterGateway(api, ['--https-port', '0', '--publish-address', '203.0.113.9']);
  });
  after(async () => {
    await gw?.close();
    await api.close();
    await web?.close();
    certs.dispose();
  });

  const get = (who: KeyPair | null) => httpsGet(gw.httpsPort!, 'secure.test', server.certPem, '/', who === null ? {} : { cert: who.certPem, key: who.keyPem });

  test('a missing CA ConfigMap: the listener is not accepted and serves nothing', async () => {
    await gw.until('NoValidCACertificate', () => accepted()?.reason === 'NoValidCACertificate');
    assert.equal(listener().find((c) => c.type === 'ResolvedRefs')?.reason, 'InvalidCACertificateRef');
    assert.equal((await get(client)).status, 404);
  });

  test('the ConfigMap created: read by name, the listener accepted, clients checked against it', async () => {
    api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'client-ca', namespace: 'shop' }, data: { 'ca.crt': ca.certPem } });
    await gw.until('Accepted', () => accepted()?.status === 'True');
    await gw.until('served with a client certificate', async () => (await get(client)).status === 200);
    await assert.rejects(get(null));
  });
});
