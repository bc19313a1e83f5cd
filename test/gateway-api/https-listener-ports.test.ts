// HTTPS Gateway listeners on ports other than 443: bound as written, serving their certificateRefs by
// SNI, their routes there only; a port both HTTP and HTTPS listeners want is given to the first, the
// other is Conflicted; a listener whose certificate is unusable binds nothing. Real TLS clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';
import { closedPort } from '../support/ports.ts';
import { CertificateFactory, type KeyPair } from '../translate/certs.ts';
import { httpsGet, servedCertificate, tlsSecretYaml } from '../protocols/support/tls.ts';

describe('Gateway HTTPS listeners on other ports (files)', () => {
  const certs = new CertificateFactory();
  let secure: KeyPair;
  let gw: RunningGateway;
  let web: TestBackend;
  let tlsPort: number;
  let brokenPort: number;

  const bound = () => gw.gateway.data.gatewayPorts.boundPorts();
  const waitFor = async (what: string, check: (ports: number[]) => boolean) => {
    const deadline = Date.now() + 5000;
    while (!check(await bound())) {
      if (Date.now() > deadline) throw new Error(`${what} within 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  before(async () => {
    web = await startBackend('web');
    secure = certs.create('secure.test');
    tlsPort = await closedPort();
    brokenPort = await closedPort();
    gw = await startGateway({
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
      'secret.yaml': tlsSecretYaml('secure', secure),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [
        { name: 'main', port: 80, hostname: 'plain.test' },
        { name: 'tls', port: tlsPort, protocol: 'HTTPS', hostname: 'secure.test', certificateRefs: [{ name: 'secure' }] },
        { name: 'clash', port: tlsPort, hostname: 'clash.test' },
        { name: 'broken', port: brokenPort, protocol: 'HTTPS', hostname: 'broken.test', certificateRefs: [{ name: 'missing' }] },
      ])),
      'routes.yaml': yamlDocs(
        httpRoute('secure', { parentRefs: [{ name: 'gw', sectionName: 'tls' }], hostnames: ['secure.test'], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }),
        httpRoute('plain', { parentRefs: [{ name: 'gw', sectionName: 'main' }], hostnames: ['plain.test'], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }),
      ),
    });
    await waitFor(`port ${tlsPort} not bound`, (ports) => ports.includes(tlsPort));
  });
  after(async () => {
    await gw?.close();
    await web?.close();
    certs.dispose();
  });

  it('binds the HTTPS port as written and serves its certificateRef by SNI and its routes there', async () => {
    const served = await servedCertificate(tlsPort, 'secure.test');
    assert.equal(served.certificate.subject, 'CN=secure.test');
    const res = await httpsGet(tlsPort, 'secure.test', secure.certPem, '/page');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).backend, 'web');
    assert.equal(JSON.parse(res.body).headers['x-forwarded-proto'], 'https');
    assert.equal((await request(gw.port, { headers: { host: 'secure.test' } })).status, 404, 'not on the plain listener');
    assert.equal((await request(gw.port, { headers: { host: 'plain.test' } })).status, 200, 'the plain listener keeps serving');
  });

  it('gives a port to one protocol: the later listener is Conflicted; an unusable certificate binds nothing', async () => {
    const found = gw.gateway.currentDiagnostics.filter((d) => d.kind === 'Gateway').map((d) => `${d.field} ${d.reason}`);
    assert.ok(found.includes('spec.listeners[2].protocol ProtocolConflict'), found.join('\n'));
    assert.ok(found.includes('spec.listeners[3].tls.certificateRefs[0] InvalidCertificateRef'), found.join('\n'));
    assert.equal((await bound()).includes(brokenPort), false);
    assert.equal((await httpsGet(tlsPort, 'secure.test', secure.certPem)).status, 200, 'the HTTPS listener keeps its port');
  });

  it('releases the port when no Gateway declares it any more', async () => {
    await gw.writeManifest('gw.yaml', yamlDocs(gatewayClass(), gateway('gw', [{ name: 'main', port: 80, hostname: 'plain.test' }])));
    await waitFor('port still bound', (ports) => !ports.includes(tlsPort));
    await assert.rejects(httpsGet(tlsPort, 'secure.test', secure.certPem), /ECONNREFUSED/);
  });
});
