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
  let sanBackend: https.Server;
  const SPIFFE = 'spiffe://cluster.local/ns/default/sa/web';
  const ca = (name: string) => ({ caCertificateRefs: [{ group: '', kind: 'ConfigMap', name }] });
  // Service -> its policy's validation, for the subjectAltNames cases (all reach sanBackend).
  const sanCases: Record<string, Record<string, unknown>> = {
    'san-uri': { hostname: 'sni.internal', subjectAltNames: [{ type: 'URI', uri: SPIFFE }], ...ca('san-ca') },
    'san-host': { hostname: 'sni.internal', subjectAltNames: [{ type: 'URI', uri: 'spiffe://cluster.local/ns/default/sa/other' }, { type: 'Hostname', hostname: 'san-backend.internal' }], ...ca('san-ca') },
    'san-wildcard': { hostname: 'sni.internal', subjectAltNames: [{ type: 'Hostname', hostname: 'api.wild.internal' }], ...ca('san-ca') },
    // The hostname is in the certificate, but with subjectAltNames it no longer authenticates it.
    'san-mismatch': { hostname: 'san-backend.internal', subjectAltNames: [{ type: 'URI', uri: 'spiffe://cluster.local/ns/default/sa/other' }], ...ca('san-ca') },
    'san-bad-type': { hostname: 'sni.internal', subjectAltNames: [{ type: 'IPAddress', hostname: '10.0.0.1' }], ...ca('san-ca') },
    'san-bad-uri': { hostname: 'sni.internal', subjectAltNames: [{ type: 'URI', uri: 'no scheme here' }], ...ca('san-ca') },
    'san-bad-host': { hostname: 'sni.internal', subjectAltNames: [{ type: 'Hostname', hostname: 'not_a host' }], ...ca('san-ca') },
  };

  const sectioned = (name: string, creationTimestamp: string) => ({
    apiVersion: `${GW}/v1`, kind: 'BackendTLSPolicy', metadata: { name, namespace: 'default', creationTimestamp },
    spec: { targetRefs: [{ group: '', kind: 'Service', name: 'sectioned', sectionName: 'http' }], validation: { hostname: 'backend.internal', ...ca('backend-ca') } },
  });

  before(async () => {
    const pair = certs.create('backend.internal');
    backend = https.createServer({ cert: pair.certPem, key: pair.keyPem }, (req, res) => res.end(JSON.stringify({ tls: true, servername: (req.socket as import('node:tls').TLSSocket).servername })));
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const port = (backend.address() as net.AddressInfo).port;
    const sanPair = certs.create('san-backend.internal', `URI:${SPIFFE}`, '*.wild.internal');
    sanBackend = https.createServer({ cert: sanPair.certPem, key: sanPair.keyPem }, (req, res) => res.end(JSON.stringify({ san: true, servername: (req.socket as import('node:tls').TLSSocket).servername })));
    sanBackend.listen(0, '127.0.0.1');
    await once(sanBackend, 'listening');
    const sanPort = (sanBackend.address() as net.AddressInfo).port;
    const sanServices = Object.keys(sanCases);
    gw = await startGateway({
      'svc.yaml': [
        ...['good', 'wrong-name', 'no-ca', 'sectioned'].map((name) => serviceYaml({ name, endpoints: [['127.0.0.1', port]] })),
        ...sanServices.map((name) => serviceYaml({ name, endpoints: [['127.0.0.1', sanPort]] })),
      ].join('---\n'),
      'ca.yaml': yamlDocs(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'backend-ca', namespace: 'default' }, data: { 'ca.crt': pair.certPem } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'san-ca', namespace: 'default' }, data: { 'ca.crt': sanPair.certPem } },
      ),
      'policies.yaml': yamlDocs(
        policy('good', 'good', { hostname: 'backend.internal', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'backend-ca' }] }),
        policy('wrong-name', 'wrong-name', { hostname: 'other.internal', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'backend-ca' }] }),
        policy('no-ca', 'no-ca', { hostname: 'backend.internal', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'missing' }] }),
        ...sanServices.map((name) => policy(name, name, sanCases[name]!)),
        // The whole Service (older, wrong hostname), its port by sectionName (right one), and a later
        // duplicate of the latter: the sectionName policy applies, the duplicate is Conflicted.
        { ...policy('a-whole', 'sectioned', { hostname: 'other.internal', ...ca('backend-ca') }), metadata: { name: 'a-whole', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' } },
        sectioned('b-port', '2026-01-02T00:00:00Z'),
        sectioned('c-duplicate', '2026-01-03T00:00:00Z'),
      ),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'http' }])),
      'routes.yaml': yamlDocs(httpRoute('r', {
        parentRefs: [{ name: 'gw' }], hostnames: ['tls.test'],
        rules: ['good', 'wrong-name', 'no-ca', 'sectioned', ...sanServices].map((name) => ({ matches: [{ path: { value: `/${name}` } }], backendRefs: [{ name, port: 80 }] })),
      })),
    });
  });
  after(async () => {
    await gw?.close();
    backend?.close();
    sanBackend?.close();
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
    assert.ok(gw.gateway.currentDiagnostics.some((d) => d.kind === 'BackendTLSPolicy' && d.object === 'default/no-ca' && d.field === 'spec.validation.caCertificateRefs[0]' && d.reason === 'InvalidCACertificateRef'), 'reported on the policy too');
  });

  it('a policy naming the port in sectionName wins over one for the whole Service; a duplicate is Conflicted', async () => {
    const res = await get('/sectioned');
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(JSON.parse(res.body), { tls: true, servername: 'backend.internal' });
    const entries = gw.gateway.control.currentGatewayStatus.entries;
    const accepted = (name: string) => {
      const entry = entries.find((e) => e.kind === 'BackendTLSPolicy' && e.name === name);
      const c = entry !== undefined && 'ancestors' in entry ? entry.ancestors[0]!.conditions[0]! : undefined;
      return c === undefined ? '' : `${c.status}/${c.reason}`;
    };
    assert.deepEqual(['a-whole', 'b-port', 'c-duplicate'].map(accepted), ['True/Accepted', 'True/Accepted', 'False/Conflicted']);
    assert.ok(gw.gateway.currentDiagnostics.some((d) => d.kind === 'BackendTLSPolicy' && d.object === 'default/c-duplicate' && d.severity === 'warning' && d.reason === 'Conflicted' && /older BackendTLSPolicy default\/b-port/.test(d.message)));
  });

  it('checks the certificate against subjectAltNames (URI or Hostname, a wildcard entry too), the hostname being only the SNI', async () => {
    for (const name of ['san-uri', 'san-host', 'san-wildcard']) {
      const res = await get(`/${name}`);
      assert.equal(res.status, 200, `${name}: ${res.body}`);
      assert.deepEqual(JSON.parse(res.body), { san: true, servername: 'sni.internal' });
    }
  });

  it('refuses a backend whose certificate carries none of the subjectAltNames, even when it names the hostname (502)', async () => {
    assert.equal((await get('/san-mismatch')).status, 502);
    assert.equal((await get('/san-uri')).status, 200, 'the other policies keep serving');
  });

  it('answers 500 and reports an unreadable subjectAltNames entry', async () => {
    const expected: Record<string, RegExp> = {
      'san-bad-type': /subjectAltNames\[0\]\.type: "IPAddress" must be Hostname or URI/,
      'san-bad-uri': /subjectAltNames\[0\]\.uri: "no scheme here" must be an absolute URI/,
      'san-bad-host': /subjectAltNames\[0\]\.hostname: "not_a host" is not a host name/,
    };
    for (const [name, message] of Object.entries(expected)) {
      assert.equal((await get(`/${name}`)).status, 500, name);
      assert.ok(gw.gateway.currentDiagnostics.some((d) => d.reason === 'InvalidBackendTLSPolicy' && d.message.includes(`BackendTLSPolicy default/${name}`) && message.test(d.message)), name);
    }
  });
});
