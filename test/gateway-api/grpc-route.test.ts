// GRPCRoute through the gateway with real @grpc/grpc-js peers: service/method matches (Exact and
// RegularExpression), header matches ahead of method-only ones, filters, a Service without appProtocol
// reached as gRPC, and bad input reported while the good rules keep serving.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, GW, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';
import { EchoClient, startEchoServer, type EchoReply, type EchoRequest, type EchoServer } from '../protocols/support/grpc.ts';

type Client = InstanceType<typeof EchoClient>;

function unary(client: Client, request: EchoRequest, metadata = new grpc.Metadata()): Promise<{ reply: EchoReply | null; error: grpc.ServiceError | null }> {
  return new Promise((resolve) => {
    (client.Unary as (r: EchoRequest, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: EchoReply) => void) => void)(request, metadata, (error, reply) => resolve({ reply: error ? null : reply, error }));
  });
}

function serverStream(client: Client, request: EchoRequest): Promise<EchoReply[]> {
  return new Promise((resolve, reject) => {
    const items: EchoReply[] = [];
    const call = (client.ServerStream as (r: EchoRequest) => grpc.ClientReadableStream<EchoReply>)(request);
    call.on('data', (item: EchoReply) => items.push(item));
    call.on('error', reject);
    call.on('end', () => resolve(items));
  });
}

const tag = (value: string) => [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-route', value }] } }];
const echoRef = [{ name: 'echo', port: 50051 }];

describe('GRPCRoute through the gateway (files)', () => {
  let gw: RunningGateway;
  let echo: EchoServer;
  let client: Client;

  before(async () => {
    echo = await startEchoServer();
    gw = await startGateway({
      'svc.yaml': serviceYaml({ name: 'echo', port: 50051, endpoints: [['127.0.0.1', echo.port]] }),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'h', hostname: 'grpc.test' }])),
      'route.yaml': yamlDocs({
        apiVersion: `${GW}/v1`, kind: 'GRPCRoute', metadata: { name: 'echo', namespace: 'default' },
        spec: {
          parentRefs: [{ name: 'gw' }],
          hostnames: ['grpc.test'],
          rules: [
            { matches: [{ method: { service: 'tideway.test.Echo', method: 'Unary' }, headers: [{ name: 'x-tenant', value: 'b' }] }], filters: tag('tenant-b'), backendRefs: echoRef },
            { matches: [{ method: { service: 'tideway.test.Echo', method: 'Unary' } }], filters: tag('unary'), backendRefs: echoRef },
            { matches: [{ method: { type: 'RegularExpression', service: 'tideway\\.test\\.E.*', method: 'Server.*' } }], filters: tag('regex'), backendRefs: echoRef },
            { matches: [{ method: { type: 'RegularExpression', method: '(' } }], backendRefs: echoRef },
          ],
        },
      }),
    });
    client = new EchoClient(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'grpc.test' });
  });
  after(async () => {
    client?.close();
    await gw?.close();
    await echo?.close();
  });

  it('routes by exact service and method, a header match first', async () => {
    const plain = await unary(client, { message: 'hi' });
    assert.equal(plain.error, null);
    assert.equal(plain.reply!.metadata['x-route'], 'unary');
    const tenant = new grpc.Metadata();
    tenant.set('x-tenant', 'b');
    assert.equal((await unary(client, { message: 'hi' }, tenant)).reply!.metadata['x-route'], 'tenant-b');
  });

  it('routes by regular expression, and a method no rule matches gets UNIMPLEMENTED', async () => {
    const items = await serverStream(client, { message: 's', count: 2 });
    assert.deepEqual(items.map((i) => [i.index, i.metadata['x-route']]), [[0, 'regex'], [1, 'regex']]);
    const bidi = await new Promise<grpc.StatusObject>((resolve) => {
      const call = (client.Bidi as () => grpc.ClientDuplexStream<EchoRequest, EchoReply>)();
      call.on('error', () => undefined);
      call.on('status', resolve);
      call.end();
    });
    assert.equal(bidi.code, grpc.status.UNIMPLEMENTED);
  });

  it('reports the invalid regular expression', () => {
    assert.ok(gw.gateway.currentDiagnostics.some((d) => d.kind === 'GRPCRoute' && d.object === 'default/echo' && d.field === 'spec.rules[3].matches[0].method' && d.reason === 'UnsupportedValue'));
  });
});
