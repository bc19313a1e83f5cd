// Client certificate validation of HTTPS listeners (Gateway spec.tls.frontend), with real TLS clients
// (node:https, http2) in files mode: a valid certificate is served, none or one of another CA is
// refused in the handshake, AllowInsecureFallback on another port serves them all, a host without
// validation on the same port is not reachable past the check (421, HTTP/1.1 and HTTP/2), and a CA
// reference that cannot be resolved fails closed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs, type ListenerInput } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';
import { closedPort } from '../support/ports.ts';
import { CertificateFactory, type KeyPair } from '../translate/certs.ts';
import { httpsGet, tlsSecretYaml } from '../protocols/support/tls.ts';
import { h2Connect, h2Request } from '../protocols/support/h2.ts';

const configMap = (name: string, pem: string) => yamlDocs({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { 'ca.crt': pem } });

describe('Gateway frontend client certificate validation (files)', () => {
  const certs = new CertificateFactory();
  let server: KeyPair;
  let clientCa: KeyPair;
  let otherCa: KeyPair;
  let client: KeyPair;
  let stranger: KeyPair;
  let gw: RunningGateway;
  let web: TestBackend;
  let httpsPort: number;
  let altPort: number;

  const gatewaysYaml = (caName: string) => {
    const listeners: ListenerInput[] = [
      { name: 'secure', port: 443, protocol: 'HTTPS', hostname: 'secure.test', certificateRefs: [{ name: 'server' }] },
      { name: 'alt', port: altPort, protocol: 'HTTPS', hostname: 'alt.test', certificateRefs: [{ name: 'server' }] },
    ];
    const validating = gateway('gw', listeners);
    (validating.spec as Record<string, unknown>).tls = { frontend: {
      default: { validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: caName }] } },
      perPort: [{ port: altPort, tls: { validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: caName }], mode: 'AllowInsecureFallback' } } }],
    } };
    return yamlDocs(gatewayClass(), validating, gateway('open', [{ name: 'open', port: 443, protocol: 'HTTPS', hostname: 'open.test', certificateRefs: [{ name: 'server' }] }]));
  };

  before(async () => {
    web = await startBackend('web');
    server = certs.create('secure.test', 'alt.test', 'open.test');
    clientCa = certs.create('Client CA');
    otherCa = certs.create('Other CA');
    client = certs.signedBy(clientCa, 'client.test');
    stranger = certs.signedBy(otherCa, 'stranger.test');
    altPort = await closedPort();
    const route = (name: string, parent: string) => httpRoute(name, { parentRefs: [{ name: parent }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] });
    gw = await startGateway({
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
      'secret.yaml': tlsSecretYaml('server', server),
      'ca.yaml': configMap('client-ca', clientCa.certPem),
      'gw.yaml': gatewaysYaml('client-ca'),
      'routes.yaml': yamlDocs(route('secure', 'gw'), route('open', 'open')),
    }, ['--https-port', '0']);
    httpsPort = gw.gateway.ports!.https!;
  });
  after(async () => {
    await gw?.close();
    await web?.close();
    certs.dispose();
  });

  const get = (host: string, who: KeyPair | null, port = httpsPort, servername?: string) =>
    httpsGet(port, host, server.certPem, '/', { ...(who === null ? {} : { cert: who.certPem, key: who.keyPem }), ...(servername === undefined ? {} : { servername }) });

  it('serves a client with a certificate of the CA', async () => {
    const res = await get('secure.test', client);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).backend, 'web');
  });

  it('refuses a client without a certificate, or with one of another CA', async () => {
    await assert.rejects(get('secure.test', null), /socket hang up|ECONNRESET|certificate required|alert/);
    await assert.rejects(get('secure.test', stranger), /socket hang up|ECONNRESET|unknown ca|alert/);
  });

  it('asks nothing of a host without validation on the same port, and does not let it reach the validated host', async () => {
    assert.equal((await get('open.test', null)).status, 200);
    assert.equal((await get('secure.test', null, httpsPort, 'open.test')).status, 421, 'HTTP/1.1: Host names the validated host');
    const session = await h2Connect(httpsPort, { ca: server.certPem, servername: 'open.test' });
    try {
      assert.equal((await h2Request(session, { ':path': '/', ':authority': 'open.test' })).status, 200);
      assert.equal((await h2Request(session, { ':path': '/', ':authority': 'secure.test' })).status, 421, 'HTTP/2: reused for the validated host');
    } finally {
      session.close();
    }
  });

  it('serves every client on the port whose validation falls back to insecure', async () => {
    assert.equal((await get('alt.test', null, altPort)).status, 200);
    assert.equal((await get('alt.test', stranger, altPort)).status, 200);
    assert.equal((await get('alt.test', client, altPort)).status, 200);
  });

  it('fails closed when the CA reference cannot be resolved, and recovers with it', async () => {
    await gw.writeManifest('gw.yaml', gatewaysYaml('missing'));
    assert.equal((await get('secure.test', client)).status, 404, 'the listener takes no routes');
    await gw.writeManifest('gw.yaml', gatewaysYaml('client-ca'));
    assert.equal((await get('secure.test', client)).status, 200);
    await assert.rejects(get('secure.test', null));
  });
});
