// BackendTLSPolicy for a GRPCRoute's backend (after the conformance test BackendTLSPolicyGRPCRoute), with
// the Gateway's backend client certificate: real @grpc/grpc-js peers, the server speaking TLS and
// requiring a client certificate. A call through the Gateway that presents the certificate succeeds;
// one through a Gateway without it, or to a backend whose policy names another hostname, fails.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EchoClient, startEchoServer, type EchoReply, type EchoRequest, type EchoServer } from '../protocols/support/grpc.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, GW, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';
import { CertificateFactory } from '../translate/certs.ts';

type Client = InstanceType<typeof EchoClient>;

function unary(client: Client, request: EchoRequest): Promise<{ reply: EchoReply | null; error: grpc.ServiceError | null }> {
  return new Promise((resolve) => {
    (client.Unary as (r: EchoRequest, cb: (e: grpc.ServiceError | null, r: EchoReply) => void) => void)(request, (error, reply) => resolve({ reply: error ? null : reply, error }));
  });
}

const policy = (name: string, hostname: string) => ({
  apiVersion: `${GW}/v1`, kind: 'BackendTLSPolicy', metadata: { name, namespace: 'default' },
  spec: { targetRefs: [{ group: '', kind: 'Service', name }], validation: { hostname, caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'echo-ca' }] } },
});

const grpcRoute = (name: string, parent: string, host: string, service: string) => ({
  apiVersion: `${GW}/v1`, kind: 'GRPCRoute', metadata: { name, namespace: 'default' },
  spec: { parentRefs: [{ name: parent }], hostnames: [host], rules: [{ backendRefs: [{ name: service, port: 50051 }] }] },
});

describe('BackendTLSPolicy and a backend client certificate for a GRPCRoute (files)', () => {
  const certs = new CertificateFactory();
  let gw: RunningGateway;
  let echo: EchoServer;
  const clients: Client[] = [];

  before(async () => {
    const server = certs.create('echo.internal');
    const client = certs.create('gateway-client.internal');
    echo = await startEchoServer({ ...server, clientCa: client.certPem });
    const withCert = gateway('with-cert', [{ name: 'h', hostname: '*.cert.test' }]) as { spec: Record<string, unknown> };
    withCert.spec.tls = { backend: { clientCertificateRef: { name: 'gateway-client' } } };
    gw = await startGateway({
      'svc.yaml': ['echo', 'echo-mismatch'].map((name) => serviceYaml({ name, port: 50051, portName: 'grpc', endpoints: [['127.0.0.1', echo.port]] })).join('---\n'),
      'tls.yaml': yamlDocs(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'echo-ca', namespace: 'default' }, data: { 'ca.crt': server.certPem } },
        policy('echo', 'echo.internal'),
        policy('echo-mismatch', 'other.internal'),
        { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'gateway-client', namespace: 'default' },
          data: { 'tls.crt': Buffer.from(client.certPem).toString('base64'), 'tls.key': Buffer.from(client.keyPem).toString('base64') } },
      ),
      'gw.yaml': yamlDocs(gatewayClass(), withCert as Record<string, unknown>, gateway('without-cert', [{ name: 'h', hostname: 'without-cert.test' }])),
      'routes.yaml': yamlDocs(
        grpcRoute('echo', 'with-cert', 'echo.cert.test', 'echo'),
        grpcRoute('mismatch', 'with-cert', 'mismatch.cert.test', 'echo-mismatch'),
        grpcRoute('anonymous', 'without-cert', 'without-cert.test', 'echo'),
      ),
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    await gw?.close();
    await echo?.close();
    certs.dispose();
  });

  const clientFor = (authority: string): Client => {
    const c = new EchoClient(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': authority });
    clients.push(c);
    return c;
  };

  it('reaches the gRPC backend over verified TLS, presenting the Gateway\'s client certificate', async () => {
    const { reply, error } = await unary(clientFor('echo.cert.test'), { message: 'hello' });
    assert.equal(error, null, error?.details);
    assert.equal(reply!.message, 'hello');
  });

  it('fails when the policy\'s hostname is not the backend\'s certificate\'s', async () => {
    const { error } = await unary(clientFor('mismatch.cert.test'), { message: 'hello' });
    assert.equal(error?.code, grpc.status.UNAVAILABLE);
  });

  it('fails through a Gateway without a backend client certificate: the backend refuses the handshake', async () => {
    const { error } = await unary(clientFor('without-cert.test'), { message: 'hello' });
    assert.equal(error?.code, grpc.status.UNAVAILABLE);
    assert.equal((await unary(clientFor('echo.cert.test'), { message: 'again' })).reply?.message, 'again', 'the other Gateway keeps working');
  });
});
