// gRPC through the gateway with real @grpc/grpc-js peers: the four call kinds, metadata and trailers
// end to end, statuses from the server, deadlines, and the statuses Tideway answers itself
// (UNIMPLEMENTED without route, UNAVAILABLE without endpoint or with a dead one), over h2c and TLS, to
// plaintext (grpc) and TLS (grpcs) upstreams.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { closedPort } from '../support/ports.ts';
import { CertificateFactory, type KeyPair } from '../translate/certs.ts';
import { tlsSecretYaml } from './support/tls.ts';
import { EchoClient, startEchoServer, type EchoReply, type EchoRequest, type EchoServer } from './support/grpc.ts';
import { h2Connect, h2Request } from './support/h2.ts';

type Client = InstanceType<typeof EchoClient>;

interface UnaryResult {
  reply: EchoReply | null;
  error: grpc.ServiceError | null;
  headers: grpc.Metadata | null;
  status: grpc.StatusObject;
}

function unary(client: Client, request: EchoRequest, metadata = new grpc.Metadata(), options: grpc.CallOptions = {}): Promise<UnaryResult> {
  return new Promise((resolve) => {
    let headers: grpc.Metadata | null = null;
    let outcome: { reply: EchoReply | null; error: grpc.ServiceError | null } | null = null;
    let status: grpc.StatusObject | null = null;
    const settle = (): void => {
      if (outcome !== null && status !== null) resolve({ ...outcome, headers, status });
    };
    const call = (client.Unary as (r: EchoRequest, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: EchoReply) => void) => grpc.ClientUnaryCall)(
      request, metadata, options, (error, reply) => {
        outcome = { reply: error ? null : reply, error };
        settle();
      });
    call.on('metadata', (m: grpc.Metadata) => (headers = m));
    call.on('status', (s: grpc.StatusObject) => {
      status = s;
      settle();
    });
  });
}

function collect<T>(stream: NodeJS.EventEmitter): Promise<{ items: T[]; status: grpc.StatusObject }> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    stream.on('data', (item: T) => items.push(item));
    stream.on('error', reject);
    stream.on('status', (status: grpc.StatusObject) => resolve({ items, status }));
  });
}

describe('gRPC through the gateway', () => {
  const certs = new CertificateFactory();
  let gw: RunningGateway;
  let echo: EchoServer;
  let echoTls: EchoServer;
  let httpsPort: number;
  let gatewayCert: KeyPair;
  const clients: Client[] = [];

  function h2cClient(authority: string): Client {
    const client = new EchoClient(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': authority });
    clients.push(client);
    return client;
  }

  function tlsClient(authority: string): Client {
    const client = new EchoClient(`127.0.0.1:${httpsPort}`, grpc.credentials.createSsl(Buffer.from(gatewayCert.certPem)), {
      'grpc.ssl_target_name_override': authority,
      'grpc.default_authority': authority,
    });
    clients.push(client);
    return client;
  }

  before(async () => {
    echo = await startEchoServer();
    echoTls = await startEchoServer(certs.create('echo.internal'));
    gatewayCert = certs.create('secure.test');
    const dead = await closedPort();
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': [
        serviceYaml({ name: 'echo', appProtocol: 'grpc', endpoints: [['127.0.0.1', echo.port]] }),
        serviceYaml({ name: 'echo-tls', endpoints: [['127.0.0.1', echoTls.port]] }),
        serviceYaml({ name: 'dead', appProtocol: 'grpc', endpoints: [['127.0.0.1', dead]] }),
        serviceYaml({ name: 'empty', appProtocol: 'grpc', endpoints: [] }),
      ].join('---\n'),
      'secret.yaml': tlsSecretYaml('secure', gatewayCert),
      'ing.yaml': [
        ingressYaml({ name: 'plain', host: 'grpc.test', paths: [{ path: '/', service: 'echo' }] }),
        ingressYaml({ name: 'secure', host: 'secure.test', paths: [{ path: '/', service: 'echo' }], tls: [{ hosts: ['secure.test'], secretName: 'secure' }] }),
        ingressYaml({ name: 'upstream-tls', host: 'grpcs.test', paths: [{ path: '/', service: 'echo-tls' }], annotations: { 'tideway.dev/backend-protocol': 'GRPCS' } }),
        ingressYaml({ name: 'dead', host: 'dead.test', paths: [{ path: '/', service: 'dead' }] }),
        ingressYaml({ name: 'empty', host: 'empty.test', paths: [{ path: '/', service: 'empty' }] }),
      ].join('---\n'),
    }, ['--https-port', '0']);
    httpsPort = gw.gateway.ports!.https!;
  });
  after(async () => {
    for (const client of clients) client.close();
    await gw.close();
    await echo.close();
    await echoTls.close();
    certs.dispose();
  });

  test('unary over h2c: message, metadata both ways, trailers', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('x-client-meta', 'hello');
    const result = await unary(h2cClient('grpc.test'), { message: 'ping', payload: Buffer.alloc(100_000, 7) }, metadata);
    assert.equal(result.error, null);
    assert.equal(result.reply!.message, 'ping');
    assert.equal(result.reply!.payload.length, 100_000);
    assert.equal(result.reply!.metadata['x-client-meta'], 'hello');
    assert.equal(result.reply!.metadata['x-forwarded-proto'], 'http');
    assert.ok(result.reply!.metadata['x-request-id']);
    assert.deepEqual(result.headers!.get('x-server-header'), ['initial']);
    assert.equal(result.status.code, grpc.status.OK);
    assert.deepEqual(result.status.metadata.get('x-server-trailer'), ['final']);
  });

  test('server streaming', async () => {
    const stream = (h2cClient('grpc.test').ServerStream as (r: EchoRequest) => grpc.ClientReadableStream<EchoReply>)({ message: 'tick', count: 5 });
    const { items, status } = await collect<EchoReply>(stream);
    assert.deepEqual(items.map((r) => r.index), [0, 1, 2, 3, 4]);
    assert.equal(status.code, grpc.status.OK);
    assert.deepEqual(status.metadata.get('x-server-trailer'), ['final']);
  });

  test('client streaming', async () => {
    const reply = await new Promise<EchoReply>((resolve, reject) => {
      const call = (h2cClient('grpc.test').ClientStream as (cb: (e: grpc.ServiceError | null, r: EchoReply) => void) => grpc.ClientWritableStream<EchoRequest>)((error, r) => (error ? reject(error) : resolve(r)));
      for (const message of ['a', 'b', 'c']) call.write({ message });
      call.end();
    });
    assert.equal(reply.message, 'a,b,c');
    assert.equal(reply.index, 3);
  });

  test('bidirectional streaming, one message at a time', async () => {
    const call = (h2cClient('grpc.test').Bidi as () => grpc.ClientDuplexStream<EchoRequest, EchoReply>)();
    const replies: string[] = [];
    for (const message of ['one', 'two', 'three']) {
      const reply = new Promise<EchoReply>((resolve) => call.once('data', resolve));
      call.write({ message });
      replies.push((await reply).message);
    }
    const done = collect<EchoReply>(call);
    call.end();
    assert.equal((await done).status.code, grpc.status.OK);
    assert.deepEqual(replies, ['echo:one', 'echo:two', 'echo:three']);
  });

  test("the server's error status, message and trailers reach the client", async () => {
    const result = await unary(h2cClient('grpc.test'), { failCode: grpc.status.NOT_FOUND });
    assert.equal(result.error!.code, grpc.status.NOT_FOUND);
    assert.equal(result.error!.details, 'failing with 5 as asked');
    assert.deepEqual(result.status.metadata.get('x-server-trailer'), ['final']);
  });

  test('a client deadline ends the call with DEADLINE_EXCEEDED', async () => {
    const started = Date.now();
    const result = await unary(h2cClient('grpc.test'), { delayMs: 3000 }, new grpc.Metadata(), { deadline: Date.now() + 300 });
    assert.equal(result.error!.code, grpc.status.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - started < 2000);
  });

  test('the gateway enforces grpc-timeout itself (trailers-only DEADLINE_EXCEEDED)', async () => {
    // A raw client sends grpc-timeout and keeps no timer of its own: the answer must come from Tideway.
    const session = await h2Connect(gw.port);
    try {
      // One length-prefixed message: EchoRequest with field 3 (delay_ms) = 3000, as protobuf varint.
      const body = Buffer.from([0x18, 0xb8, 0x17]);
      const frame = Buffer.alloc(5);
      frame.writeUInt32BE(body.length, 1);
      const started = Date.now();
      const res = await h2Request(session, {
        ':method': 'POST', ':path': '/tideway.test.Echo/Unary', ':authority': 'grpc.test',
        'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '200m',
      }, Buffer.concat([frame, body]));
      const elapsed = Date.now() - started;
      assert.equal(res.status, 200);
      const grpcStatus = res.headers['grpc-status'] ?? res.trailers?.['grpc-status'];
      assert.equal(grpcStatus, String(grpc.status.DEADLINE_EXCEEDED));
      assert.ok(elapsed >= 150 && elapsed < 2000, `answered after ${elapsed} ms`);
    } finally {
      session.close();
    }
  });

  test('no route: UNIMPLEMENTED as a trailers-only response, never an HTML body', async () => {
    const result = await unary(h2cClient('nowhere.test'), { message: 'x' });
    assert.equal(result.error!.code, grpc.status.UNIMPLEMENTED);
    const session = await h2Connect(gw.port);
    try {
      const res = await h2Request(session, { ':method': 'POST', ':path': '/tideway.test.Echo/Unary', ':authority': 'nowhere.test', 'content-type': 'application/grpc+proto', te: 'trailers' }, Buffer.alloc(5));
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/grpc');
      assert.equal(res.headers['grpc-status'], '12');
      assert.equal(res.body, '');
    } finally {
      session.close();
    }
  });

  test('a dead endpoint: UNAVAILABLE', async () => {
    const result = await unary(h2cClient('dead.test'), { message: 'x' });
    assert.equal(result.error!.code, grpc.status.UNAVAILABLE);
  });

  test('no endpoint at all: UNAVAILABLE', async () => {
    const result = await unary(h2cClient('empty.test'), { message: 'x' });
    assert.equal(result.error!.code, grpc.status.UNAVAILABLE);
  });

  test('over TLS: unary and bidirectional calls', async () => {
    const client = tlsClient('secure.test');
    const result = await unary(client, { message: 'secure' });
    assert.equal(result.reply!.message, 'secure');
    assert.equal(result.reply!.metadata['x-forwarded-proto'], 'https');
    const call = (client.Bidi as () => grpc.ClientDuplexStream<EchoRequest, EchoReply>)();
    const done = collect<EchoReply>(call);
    call.write({ message: 'x' });
    call.write({ message: 'y' });
    call.end();
    const { items, status } = await done;
    assert.deepEqual(items.map((r) => r.message), ['echo:x', 'echo:y']);
    assert.equal(status.code, grpc.status.OK);
  });

  test('to a TLS upstream (backend-protocol GRPCS)', async () => {
    const result = await unary(h2cClient('grpcs.test'), { message: 'to grpcs' });
    assert.equal(result.error, null);
    assert.equal(result.reply!.message, 'to grpcs');
  });

  test('calls share one upstream session per endpoint', () => {
    const runtime = gw.gateway.snapshot.table.routes().find((r) => r.spec.host === 'grpc.test')!.ext.backend!;
    assert.equal(runtime.endpoints[0]!.http2!.sessionCount, 1);
  });
});
