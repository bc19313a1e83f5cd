// BackendTLSPolicy in cluster mode: the CA ConfigMaps its caCertificateRefs name are read one by one, by
// name (never a list of every ConfigMap), a CA changed through the API reaches the data plane, and the
// Lease leader writes status.ancestors (one entry per Gateway the policy's Service is reached through)
// with Accepted and ResolvedRefs and the spec's reasons: InvalidCACertificateRef, InvalidKind,
// NoValidCACertificate, Conflicted. A Gateway's backend client certificate (spec.tls.backend) follows
// its Secret: ResolvedRefs False (InvalidClientCertificateRef) and 500 while it is missing, served once
// it is created.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { kube, startClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';
import { gateway, gatewayClass, GW, httpRoute } from '../support/gateway-api.ts';
import { KubeApiServer, type JsonObject } from '../support/kube-api/index.ts';
import { CertificateFactory, type KeyPair } from '../translate/certs.ts';

const NS = 'shop';
const CONTROLLER = 'tideway.dev/gateway-controller';

type Condition = { type: string; status: string; reason: string; message: string; observedGeneration: number };
type Ancestor = { ancestorRef: { group: string; kind: string; namespace: string; name: string }; controllerName: string; conditions: Condition[] };

const caMap = (name: string, pem: string | null): JsonObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: pem === null ? {} : { 'ca.crt': pem } });

function policy(name: string, service: string, caRefs: { group?: string; kind: string; name: string }[], sectionName?: string): JsonObject {
  return {
    apiVersion: `${GW}/v1`, kind: 'BackendTLSPolicy', metadata: { name, namespace: NS },
    spec: {
      targetRefs: [{ group: '', kind: 'Service', name: service, ...(sectionName === undefined ? {} : { sectionName }) }],
      validation: { hostname: 'backend.internal', caCertificateRefs: caRefs.map((r) => ({ group: r.group ?? '', ...r })) },
    },
  };
}

/** A Service whose port is named "https", with one endpoint at the TLS backend. */
function tlsService(name: string, port: number): JsonObject[] {
  const service = kube.service(NS, name, 443) as JsonObject & { spec: { ports: Record<string, unknown>[] } };
  service.spec.ports[0]!.name = 'https';
  const slice = kube.endpointSlice(NS, `${name}-1`, name, port, ['127.0.0.1']) as JsonObject & { ports: Record<string, unknown>[] };
  slice.ports[0]!.name = 'https';
  return [service, slice];
}

async function tlsBackend(pair: KeyPair, clientCa?: string): Promise<https.Server> {
  const verify = clientCa === undefined ? {} : { requestCert: true, rejectUnauthorized: true, ca: clientCa };
  const server = https.createServer({ cert: pair.certPem, key: pair.keyPem, ...verify }, (req, res) => {
    const socket = req.socket as tls.TLSSocket;
    res.end(clientCa === undefined ? `tls ${socket.servername}` : `client ${String(socket.getPeerCertificate().subject?.CN)}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('cluster mode: BackendTLSPolicy CA ConfigMaps read by name, and the policy status', () => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  const certs = new CertificateFactory();
  let gw: ClusterGateway;
  let backend: https.Server;
  let mtlsBackend: https.Server;
  let good: KeyPair;
  let other: KeyPair;
  let client: KeyPair;

  const ancestors = (name: string): Ancestor[] => (api.get({ apiVersion: `${GW}/v1`, kind: 'BackendTLSPolicy', namespace: NS, name })?.status?.ancestors ?? []) as Ancestor[];
  const ours = (name: string) => ancestors(name).find((a) => a.controllerName === CONTROLLER);
  const conditionsOf = (name: string) => ours(name)?.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`).join(' ') ?? '';
  const get = (path: string) => gw.get('tls.example.com', path);

  before(async () => {
    good = certs.create('backend.internal');
    other = certs.create('backend.internal');
    client = certs.create('gateway-client.internal');
    backend = await tlsBackend(good);
    mtlsBackend = await tlsBackend(good, client.certPem);
    const port = (backend.address() as net.AddressInfo).port;
    await api.start();
    for (const name of ['secure', 'broken', 'wrong-kind', 'shared']) for (const object of tlsService(name, port)) api.create(object);
    api.create(caMap('backend-ca', good.certPem));
    api.create(caMap('never-named', good.certPem));
    api.create(policy('secure', 'secure', [{ kind: 'ConfigMap', name: 'backend-ca' }]));
    api.create(policy('broken', 'broken', [{ kind: 'ConfigMap', name: 'missing-ca' }]));
    api.create(policy('wrong-kind', 'wrong-kind', [{ group: 'example.com', kind: 'Bundle', name: 'backend-ca' }]));
    // Two policies for one Service: the older one (then by name) applies, the other is Conflicted.
    api.create(policy('shared-a', 'shared', [{ kind: 'ConfigMap', name: 'backend-ca' }]));
    api.create(policy('shared-b', 'shared', [{ kind: 'ConfigMap', name: 'missing-ca' }]));
    // A policy for a Service no route reaches: no status is written for it.
    api.create(policy('unused', 'nobody', [{ kind: 'ConfigMap', name: 'backend-ca' }]));
    // A Gateway presenting a client certificate (its Secret not created yet) to a backend requiring one.
    for (const object of tlsService('mtls', (mtlsBackend.address() as net.AddressInfo).port)) api.create(object);
    api.create(policy('mtls', 'mtls', [{ kind: 'ConfigMap', name: 'backend-ca' }]));
    const mtlsGateway = gateway('mtls-gw', [{ name: 'http', hostname: 'mtls.example.org' }], { namespace: NS }) as JsonObject & { spec: Record<string, unknown> };
    mtlsGateway.spec.tls = { backend: { clientCertificateRef: { name: 'gateway-client' } } };
    api.create(mtlsGateway);
    api.create(httpRoute('mtls', { parentRefs: [{ name: 'mtls-gw' }], hostnames: ['mtls.example.org'], rules: [{ backendRefs: [{ name: 'mtls', port: 443 }] }] }, { namespace: NS }));
    api.create(gatewayClass());
    api.create(gateway('gw', [{ name: 'http', hostname: '*.example.com' }], { namespace: NS }));
    api.create(httpRoute('tls', {
      parentRefs: [{ name: 'gw' }], hostnames: ['tls.example.com'],
      rules: ['secure', 'broken', 'wrong-kind', 'shared'].map((name) => ({ matches: [{ path: { type: 'PathPrefix', value: `/${name}` } }], backendRefs: [{ name, port: 443 }] })),
    }, { namespace: NS }));
    gw = await startClusterGateway(api);
    await gw.until('first snapshot served', () => gw.gateway.control.ready);
  });
  after(async () => {
    await gw?.close();
    await api.close();
    backend?.close();
    mtlsBackend?.close();
    certs.dispose();
  });

  test('the CA ConfigMap is read by name and the backend reached over verified TLS, from the first table', async () => {
    const res = await get('/secure');
    assert.equal(res.status, 200, res.body);
    assert.equal(res.body, 'tls backend.internal');
    const calls = api.requestsMatching({ resource: 'configmaps' });
    assert.ok(calls.some((r) => r.verb === 'list') && calls.some((r) => r.verb === 'watch'));
    for (const call of calls) {
      assert.equal(call.namespace, NS);
      assert.match(call.query.get('fieldSelector') ?? '', /^metadata\.name=(backend-ca|missing-ca)$/, 'only the named ConfigMaps, each by name');
    }
  });

  test('status.ancestors: the Gateway, Accepted and ResolvedRefs, with observedGeneration', async () => {
    await gw.until('policy status', () => conditionsOf('secure') === 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs');
    const ancestor = ours('secure')!;
    assert.deepEqual(ancestor.ancestorRef, { group: GW, kind: 'Gateway', namespace: NS, name: 'gw' });
    assert.ok(ancestor.conditions.every((c) => c.observedGeneration === 1));
  });

  test('bad references: InvalidCACertificateRef and InvalidKind, NoValidCACertificate, and 500 for their backends', async () => {
    await gw.until('broken status', () => conditionsOf('broken') === 'Accepted=False/NoValidCACertificate ResolvedRefs=False/InvalidCACertificateRef');
    await gw.until('wrong-kind status', () => conditionsOf('wrong-kind') === 'Accepted=False/NoValidCACertificate ResolvedRefs=False/InvalidKind');
    assert.match(ours('broken')!.conditions[1]!.message, /caCertificateRefs\[0\]: ConfigMap shop\/missing-ca not found/);
    assert.equal((await get('/broken')).status, 500);
    assert.equal((await get('/wrong-kind')).status, 500);
    assert.equal(ours('unused'), undefined, 'no route reaches its Service');
  });

  test('two policies for one Service: the older applies, the other is Conflicted', async () => {
    await gw.until('conflict status', () => conditionsOf('shared-b').startsWith('Accepted=False/Conflicted'));
    assert.equal(conditionsOf('shared-a'), 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs');
    assert.equal((await get('/shared')).status, 200);
  });

  test('a CA changed through the API reaches the data plane: another CA fails the handshake (502), the right one serves again', async () => {
    api.update(caMap('backend-ca', other.certPem));
    await gw.until('the new CA refuses the backend', async () => (await get('/secure')).status === 502);
    api.update(caMap('backend-ca', good.certPem));
    await gw.until('served again', async () => (await get('/secure')).status === 200);
  });

  test('the CA ConfigMap deleted: 500 and InvalidCACertificateRef; created again: served and ResolvedRefs again', async () => {
    api.delete(caMap('backend-ca', null));
    await gw.until('fails closed', async () => (await get('/secure')).status === 500);
    await gw.until('status follows', () => conditionsOf('secure') === 'Accepted=False/NoValidCACertificate ResolvedRefs=False/InvalidCACertificateRef');
    api.create(caMap('missing-ca', 'not a certificate'));
    await gw.until('a ConfigMap without a PEM certificate is InvalidCACertificateRef too', () => /not a PEM certificate/.test(ours('broken')?.conditions[1]?.message ?? ''));
    api.create(caMap('backend-ca', good.certPem));
    await gw.until('served again', async () => (await get('/secure')).status === 200);
    await gw.until('status follows', () => conditionsOf('secure') === 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs');
  });

  test('a policy no longer applying to a reached Service loses our ancestors entry; others\' entries are kept', async () => {
    const current = api.get({ apiVersion: `${GW}/v1`, kind: 'BackendTLSPolicy', namespace: NS, name: 'wrong-kind' })!;
    const foreign = { ancestorRef: { group: GW, kind: 'Gateway', namespace: NS, name: 'theirs' }, controllerName: 'example.com/other', conditions: [] };
    api.update({ ...current, status: { ancestors: [...(current.status?.ancestors ?? []), foreign] } });
    const route = api.get({ apiVersion: `${GW}/v1`, kind: 'HTTPRoute', namespace: NS, name: 'tls' })!;
    const spec = structuredClone(route.spec);
    spec.rules = spec.rules.filter((r: { backendRefs: { name: string }[] }) => r.backendRefs[0]!.name !== 'wrong-kind');
    api.update({ ...route, spec });
    await gw.until('our entry removed', () => ours('wrong-kind') === undefined && ancestors('wrong-kind').length === 1);
    assert.equal(ancestors('wrong-kind')[0]!.controllerName, 'example.com/other');
  });

  test('a Gateway\'s backend client certificate: ResolvedRefs False and 500 while its Secret is missing, presented once it exists', async () => {
    const gatewayResolvedRefs = () => {
      const conditions = (api.get({ apiVersion: `${GW}/v1`, kind: 'Gateway', namespace: NS, name: 'mtls-gw' })?.status?.conditions ?? []) as Condition[];
      const c = conditions.find((x) => x.type === 'ResolvedRefs');
      return c === undefined ? '' : `${c.status}/${c.reason}`;
    };
    await gw.until('InvalidClientCertificateRef', () => gatewayResolvedRefs() === 'False/InvalidClientCertificateRef');
    assert.equal((await gw.get('mtls.example.org')).status, 500);
    await gw.until('the mtls policy status', () => conditionsOf('mtls') === 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs');
    assert.deepEqual(ours('mtls')!.ancestorRef.name, 'mtls-gw');
    api.create(kube.tlsSecret(NS, 'gateway-client', client.certPem, client.keyPem));
    await gw.until('served with the client certificate', async () => (await gw.get('mtls.example.org')).body === 'client gateway-client.internal');
    await gw.until('ResolvedRefs True', () => gatewayResolvedRefs() === 'True/ResolvedRefs');
  });
});
