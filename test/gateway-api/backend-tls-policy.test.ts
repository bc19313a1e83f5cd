// BackendTLSPolicy through the gateway: a backend reached over TLS, verified against a CA from a
// ConfigMap for the policy's hostname; a wrong hostname fails the handshake (502), and a policy that
// cannot be honoured (missing ConfigMap) answers 500 with a diagnostic instead of an unverified call.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import https from 'node:https';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, GW, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';
import { CertificateFactory } from '../translate/certs.ts';

const policy = (name: string, service: string, validation: Record<string, unknown>) => ({
  apiVersion: `${GW}/v1`, kind: 'BackendTLSPolicy', metadata: { name, namespace: 'default' },
  spec: { targetRefs: [{ group: '', kind: 'Service', name: service }], validation },
});

describe('BackendTLSPolicy (files)', () => {
  const certs = new CertificateFactory();
  let gw: RunningGateway;
  let backend: https.Server;

  before(async () => {
    const pair = certs.create('backend.internal');
    backend = https.createServer({ cert: pair.certPem, key: pair.keyPem }, (req, res) => res.end(JSON.stringify({ tls: true, servername: (req.socket as import('node:tls').TLSSocket).servername })));
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const port = (backend.address() as net.AddressInfo).port;
    gw = await startGateway({
      'svc.yaml': ['good', 'wrong-name', 'no-ca'].map((name) => serviceYaml({ name, endpoints: [['127.0.0.1', port]] })).join('---\n'),
      'ca.yaml': yamlDocs({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'backend-ca', namespace: 'default' }, data: { 'ca.crt': pair.certPem } }),
      'policies.yaml': yamlDocs(
        policy('good', 'good', { hostname: 'backend.internal', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'backend-ca' }] }),
        policy('wrong-name', 'wrong-name', { hostname: 'other.internal', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'backend-ca' }] }),
        policy('no-ca', 'no-ca', { hostname: 'backend.internal', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'missing' }] }),
      ),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'http' }])),
      'routes.yaml': yamlDocs(httpRoute('r', {
        parentRefs: [{ name: 'gw' }], hostnames: ['tls.test'],
        rules: ['good', 'wrong-name', 'no-ca'].map((name) => ({ matches: [{ path: { value: `/${name}` } }], backendRefs: [{ name, port: 80 }] })),
      })),
    });
  });
  after(async () => {
    await gw?.close();
    backend?.close();
    certs.dispose();
  });

  const get = (path: string) => request(gw.port, { path, headers: { host: 'tls.test' } });

  it('reaches the backend over TLS, verified for the policy\'s hostname, sent as SNI', async () => {
    const res = await get('/good');
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(JSON.parse(res.body), { tls: true, servername: 'backend.internal' });
  });

  it('refuses a backend whose certificate does not name the hostname (502)', async () => {
    assert.equal((await get('/wrong-name')).status, 502);
  });

  it('answers 500 and reports a policy it cannot honour, never calling the backend unverified', async () => {
    assert.equal((await get('/no-ca')).status, 500);
    assert.ok(gw.gateway.currentDiagnostics.some((d) => d.kind === 'HTTPRoute' && d.reason === 'InvalidBackendTLSPolicy' && /ConfigMap default\/missing not found/.test(d.message)));
  });
});
