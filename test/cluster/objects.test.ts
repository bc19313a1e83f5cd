// The gateway in cluster mode (--kubeconfig, no --manifests) against the Kubernetes API test server:
// every kind it reads, created, updated and deleted through the API, reaches the data plane, checked
// with real HTTP and TLS requests to real backends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { KubeApiServer } from '../support/kube-api/index.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { kube, startClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';
import { CertificateFactory } from '../translate/certs.ts';

const NS = 'shop';
const HOST = 'shop.example.com';

/** Which backend answered (the test backends say so in x-backend), or the status when none did. */
async function answeredBy(gw: ClusterGateway, host: string, path = '/'): Promise<string> {
  const res = await gw.get(host, path);
  return res.status === 200 ? String(res.headers['x-backend']) : String(res.status);
}

/** The certificate served for `serverName` on the TLS port. */
function servedFingerprint(port: number, serverName: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: serverName, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.destroy();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}

describe('cluster mode: objects created, updated and deleted through the API reach the data plane', () => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  const certs = new CertificateFactory();
  let gw: ClusterGateway;
  let web1: TestBackend;
  let web2: TestBackend;
  let apiBackend: TestBackend;

  before(async () => {
    await api.start();
    [web1, web2, apiBackend] = await Promise.all([startBackend('web-1'), startBackend('web-2'), startBackend('api-1')]);
    api.create(kube.ingressClass('tideway'));
    gw = await startClusterGateway(api, ['--https-port', '0']);
    await gw.until('first snapshot served', () => gw.gateway.control.ready);
  });
  after(async () => {
    await gw?.close();
    await Promise.all([web1, web2, apiBackend].map((b) => b?.close()));
    await api.close();
    certs.dispose();
  });

  test('an Ingress with its Service and EndpointSlice is served', async () => {
    assert.equal(await answeredBy(gw, HOST), '404');
    api.create(kube.service(NS, 'web'));
    api.create(kube.endpointSlice(NS, 'web-a', 'web', web1.port, ['127.0.0.1']));
    api.create(kube.ingress(NS, 'shop', HOST, [{ path: '/', service: 'web' }]));
    await gw.until('web-1 serves shop', async () => (await answeredBy(gw, HOST)) === 'web-1');
  });

  test('an Ingress update (a new path to another Service) is served', async () => {
    api.create(kube.service(NS, 'api'));
    api.create(kube.endpointSlice(NS, 'api-a', 'api', apiBackend.port, ['127.0.0.1']));
    api.update(kube.ingress(NS, 'shop', HOST, [{ path: '/', service: 'web' }, { path: '/api', service: 'api' }]));
    await gw.until('/api goes to api-1', async () => (await answeredBy(gw, HOST, '/api/orders')) === 'api-1');
    assert.equal(await answeredBy(gw, HOST, '/'), 'web-1');
  });

  test('an EndpointSlice update moves traffic to the new endpoint', async () => {
    api.update(kube.endpointSlice(NS, 'web-a', 'web', web2.port, ['127.0.0.1']));
    await gw.until('web-2 serves shop', async () => (await answeredBy(gw, HOST)) === 'web-2');
    const before = web1.received.length;
    for (let i = 0; i < 5; i++) assert.equal(await answeredBy(gw, HOST), 'web-2');
    assert.equal(web1.received.length, before, 'the old endpoint gets nothing more');
  });

  test('a Service update that breaks the backend reference gives 503; restoring it serves again', async () => {
    api.update(kube.service(NS, 'web', 8080)); // the Ingress points at port 80
    await gw.until('503 for the unresolved backend', async () => (await answeredBy(gw, HOST)) === '503');
    assert.ok(gw.gateway.currentDiagnostics.some((d) => d.object === `${NS}/shop` && /port/.test(d.message)), 'a diagnostic names the Ingress');
    api.update(kube.service(NS, 'web', 80));
    await gw.until('served again', async () => (await answeredBy(gw, HOST)) === 'web-2');
  });

  test('a TLS Secret created, rotated and deleted changes the certificate served for its host', async () => {
    const first = certs.create(HOST);
    const second = certs.create(HOST);
    const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
    const defaultFingerprint = await servedFingerprint(gw.httpsPort!, HOST);
    api.create(kube.tlsSecret(NS, 'shop-tls', first.certPem, first.keyPem));
    api.update(kube.ingress(NS, 'shop', HOST, [{ path: '/', service: 'web' }, { path: '/api', service: 'api' }], { tls: [{ hosts: [HOST], secretName: 'shop-tls' }] }));
    await gw.until('the Secret certificate served', async () => (await servedFingerprint(gw.httpsPort!, HOST)) === fingerprint(first.certPem));
    api.update(kube.tlsSecret(NS, 'shop-tls', second.certPem, second.keyPem));
    await gw.until('the rotated certificate served', async () => (await servedFingerprint(gw.httpsPort!, HOST)) === fingerprint(second.certPem));
    api.delete({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'shop-tls' });
    await gw.until('back to the default certificate', async () => (await servedFingerprint(gw.httpsPort!, HOST)) === defaultFingerprint);
    // An Opaque Secret of the same name is not a certificate and is never read (field selector).
    api.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-tls', namespace: NS }, type: 'Opaque', data: { 'tls.crt': Buffer.from(first.certPem).toString('base64'), 'tls.key': Buffer.from(first.keyPem).toString('base64') } });
    const version = gw.gateway.control.currentVersion;
    // Back to plain HTTP (hosts listed in spec.tls are redirected to HTTPS): a change that makes a new snapshot.
    api.update(kube.ingress(NS, 'shop', HOST, [{ path: '/', service: 'web' }, { path: '/api', service: 'api' }]));
    await gw.until('a newer snapshot', () => gw.gateway.control.currentVersion > version);
    assert.equal(await servedFingerprint(gw.httpsPort!, HOST), defaultFingerprint);
    assert.equal(gw.gateway.store.state().secrets.length, 0);
  });

  test('IngressClass: an Ingress without class is served only while the class is the default; another controller\'s class is ignored', async () => {
    const other = 'other.example.com';
    api.create(kube.ingress(NS, 'classless', other, [{ path: '/', service: 'web' }], { className: null }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await answeredBy(gw, other), '404', 'no default class: not ours');
    api.update(kube.ingressClass('tideway', true));
    await gw.until('served once tideway is the default class', async () => (await answeredBy(gw, other)) === 'web-2');
    api.update(kube.ingressClass('tideway', false));
    await gw.until('not served once it is not', async () => (await answeredBy(gw, other)) === '404');
    api.update(kube.ingressClass('tideway', false, 'example.com/other-controller'));
    await gw.until('shop no longer served: its class belongs to another controller', async () => (await answeredBy(gw, HOST)) === '404');
    api.update(kube.ingressClass('tideway'));
    await gw.until('shop served again', async () => (await answeredBy(gw, HOST)) === 'web-2');
  });

  test('deleting the EndpointSlice gives 503; deleting the Ingress gives 404', async () => {
    api.delete({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', namespace: NS, name: 'web-a' });
    await gw.until('503 without endpoints', async () => (await answeredBy(gw, HOST)) === '503');
    assert.equal(await answeredBy(gw, HOST, '/api/x'), 'api-1', 'the other backend is untouched');
    api.delete({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: NS, name: 'shop' });
    await gw.until('404 once the Ingress is gone', async () => (await answeredBy(gw, HOST, '/api/x')) === '404');
    const routes = gw.gateway.control.currentSpec;
    assert.deepEqual(routes.hosts.map((h) => h.host), [], `nothing left: ${JSON.stringify(routes.hosts)}`);
  });
});

