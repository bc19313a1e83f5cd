// GatewayBackendClientCertificate: a Gateway's spec.tls.backend.clientCertificateRef is presented on the
// TLS connections to the backends of its routes. A real HTTPS backend that requires a client certificate
// serves requests that come through that Gateway and refuses the handshake for another Gateway's (502);
// an unusable reference (missing Secret, another namespace without a ReferenceGrant, a non-TLS Secret)
// makes the Gateway's ResolvedRefs False and its TLS backends answer 500, never an anonymous call.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, GW, httpRoute, referenceGrant, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';
import { CertificateFactory, type KeyPair } from '../translate/certs.ts';

const tlsSecret = (name: string, pair: KeyPair, namespace = 'default', type = 'kubernetes.io/tls') => ({
  apiVersion: 'v1', kind: 'Secret', type, metadata: { name, namespace },
  data: { 'tls.crt': Buffer.from(pair.certPem).toString('base64'), 'tls.key': Buffer.from(pair.keyPem).toString('base64') },
});

/** A Gateway with one HTTP listener for `host`, presenting `ref` (if any) to TLS backends. */
function gatewayWithClientCert(name: string, host: string, ref: Record<string, unknown> | null): Record<string, unknown> {
  const gw = gateway(name, [{ name: 'http', hostname: host }]) as { spec: Record<string, unknown> };
  if (ref !== null) gw.spec.tls = { backend: { clientCertificateRef: ref } };
  return gw as Record<string, unknown>;
}

describe('Gateway spec.tls.backend.clientCertificateRef (files)', () => {
  const certs = new CertificateFactory();
  let gw: RunningGateway;
  let backend: https.Server;
  const seen: string[] = [];
  const gateways: Record<string, Record<string, unknown> | null> = {
    'with-cert': { kind: 'Secret', name: 'client' },
    'without-cert': null,
    'missing-secret': { name: 'nope' },
    'other-namespace': { name: 'client', namespace: 'certs' },
    'granted-namespace': { name: 'granted', namespace: 'certs' },
    'opaque-secret': { name: 'opaque' },
  };

  before(async () => {
    const server = certs.create('backend.internal');
    const client = certs.create('gateway-client.internal');
    backend = https.createServer({ cert: server.certPem, key: server.keyPem, requestCert: true, rejectUnauthorized: true, ca: client.certPem }, (req, res) => {
      const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
      const cn = String(peer?.subject?.CN);
      seen.push(cn);
      res.end(`client ${cn}`);
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const port = (backend.address() as net.AddressInfo).port;
    const names = Object.keys(gateways);
    gw = await startGateway({
      'svc.yaml': serviceYaml({ name: 'mtls', port: 443, portName: 'https', endpoints: [['127.0.0.1', port]] }),
      'tls.yaml': yamlDocs(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'backend-ca', namespace: 'default' }, data: { 'ca.crt': server.certPem } },
        { apiVersion: `${GW}/v1`, kind: 'BackendTLSPolicy', metadata: { name: 'mtls', namespace: 'default' },
          spec: { targetRefs: [{ group: '', kind: 'Service', name: 'mtls' }], validation: { hostname: 'backend.internal', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'backend-ca' }] } } },
        tlsSecret('client', client),
        tlsSecret('client', client, 'certs'),
        tlsSecret('granted', client, 'certs'),
        tlsSecret('opaque', client, 'default', 'Opaque'),
        referenceGrant('gateways-may-use-granted', 'certs', { kind: 'Gateway', namespace: 'default' }, { kind: 'Secret', name: 'granted' }),
      ),
      'gw.yaml': yamlDocs(gatewayClass(), ...names.map((name) => gatewayWithClientCert(name, `${name}.test`, gateways[name]!))),
      'routes.yaml': yamlDocs(...names.map((name) => httpRoute(name, { parentRefs: [{ name }], rules: [{ backendRefs: [{ name: 'mtls', port: 443 }] }] }))),
    });
  });
  after(async () => {
    await gw?.close();
    backend?.close();
    certs.dispose();
  });

  const get = (gateway: string) => request(gw.port, { path: '/', headers: { host: `${gateway}.test` } });
  const gatewayConditions = (name: string) => {
    const entry = gw.gateway.control.currentGatewayStatus.entries.find((e) => e.kind === 'Gateway' && e.name === name);
    return entry !== undefined && 'conditions' in entry ? entry.conditions : [];
  };

  it('presents the Gateway\'s client certificate to a backend that requires one', async () => {
    const res = await get('with-cert');
    assert.equal(res.status, 200, res.body);
    assert.equal(res.body, 'client gateway-client.internal');
    assert.deepEqual(gatewayConditions('with-cert').map((c) => `${c.type}=${c.status}/${c.reason}`), ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs']);
  });

  it('a Gateway without one: the backend refuses the handshake (502)', async () => {
    const before = seen.length;
    assert.equal((await get('without-cert')).status, 502);
    assert.equal(seen.length, before, 'the backend never answered an anonymous request');
    assert.equal((await get('with-cert')).status, 200, 'the connection pools of the two are apart');
  });

  it('a Secret of another namespace with a ReferenceGrant is used', async () => {
    assert.equal((await get('granted-namespace')).status, 200);
  });

  it('unusable references: ResolvedRefs False with the spec\'s reason, 500 for TLS backends, a diagnostic naming the field', async () => {
    const expected: Record<string, [string, RegExp]> = {
      'missing-secret': ['InvalidClientCertificateRef', /Secret default\/nope not found/],
      'other-namespace': ['RefNotPermitted', /no ReferenceGrant/],
      'opaque-secret': ['InvalidClientCertificateRef', /type "Opaque"/],
    };
    for (const [name, [reason, message]] of Object.entries(expected)) {
      assert.equal((await get(name)).status, 500, name);
      const resolved = gatewayConditions(name).find((c) => c.type === 'ResolvedRefs')!;
      assert.equal(`${resolved.status}/${resolved.reason}`, `False/${reason}`, name);
      assert.ok(gw.gateway.currentDiagnostics.some((d) => d.kind === 'Gateway' && d.object === `default/${name}` && d.field.startsWith('spec.tls.backend.clientCertificateRef') && message.test(d.message)), name);
    }
    assert.equal((await get('with-cert')).status, 200, 'the other Gateways keep serving');
  });
});
