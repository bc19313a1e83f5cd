// A real gRPC service (@grpc/grpc-js) implementing tests/protocols/fixtures/echo.proto, and a client
// constructor for it. The server echoes metadata, sends its own initial metadata and trailers, and
// can be told to delay or fail.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'echo.proto');

export interface EchoRequest { message?: string; count?: number; delayMs?: number; failCode?: number; payload?: Buffer }
export interface EchoReply { message: string; index: number; metadata: Record<string, string>; payload: Buffer }

type EchoClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => grpc.Client & Record<string, (...args: unknown[]) => unknown>;

const definition = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, defaults: true });
const loaded = grpc.loadPackageDefinition(definition) as unknown as { tideway: { test: { Echo: EchoClientConstructor & { service: grpc.ServiceDefinition } } } };
export const EchoClient = loaded.tideway.test.Echo;

function metadataOf(call: { metadata: grpc.Metadata }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(call.metadata.getMap())) out[key] = String(value);
  return out;
}

function replyMetadata(): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set('x-server-header', 'initial');
  return m;
}

function trailers(): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set('x-server-trailer', 'final');
  return m;
}

function failure(code: number): grpc.ServiceError {
  return Object.assign(new Error(`failing with ${code} as asked`), { code, details: `failing with ${code} as asked`, metadata: trailers() }) as grpc.ServiceError;
}

const handlers: grpc.UntypedServiceImplementation = {
  Unary(call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) {
    const req = call.request;
    call.sendMetadata(replyMetadata());
    setTimeout(() => {
      if (req.failCode) return callback(failure(req.failCode));
      callback(null, { message: req.message ?? '', index: 0, metadata: metadataOf(call), payload: req.payload ?? Buffer.alloc(0) }, trailers());
    }, req.delayMs ?? 0);
  },
  ServerStream(call: grpc.ServerWritableStream<EchoRequest, EchoReply>) {
    const req = call.request;
    call.sendMetadata(replyMetadata());
    let i = 0;
    const next = (): void => {
      if (call.cancelled) return;
      if (i >= (req.count ?? 0)) return void call.end(trailers());
      call.write({ message: req.message ?? '', index: i++, metadata: metadataOf(call), payload: Buffer.alloc(0) });
      setTimeout(next, req.delayMs ?? 0);
    };
    next();
  },
  ClientStream(call: grpc.ServerReadableStream<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) {
    const messages: string[] = [];
    call.on('data', (req: EchoRequest) => messages.push(req.message ?? ''));
    call.on('end', () => callback(null, { message: messages.join(','), index: messages.length, metadata: metadataOf(call), payload: Buffer.alloc(0) }, trailers()));
  },
  Bidi(call: grpc.ServerDuplexStream<EchoRequest, EchoReply>) {
    let index = 0;
    call.on('data', (req: EchoRequest) => call.write({ message: `echo:${req.message ?? ''}`, index: index++, metadata: {}, payload: Buffer.alloc(0) }));
    call.on('end', () => call.end(trailers()));
  },
};

export interface EchoServer {
  port: number;
  server: grpc.Server;
  close(): Promise<void>;
}

/**
 * Starts the service on a loopback port, plaintext or with the given TLS key pair; with `clientCa`,
 * clients must present a certificate that CA issued.
 */
export async function startEchoServer(tls?: { certPem: string; keyPem: string; clientCa?: string }): Promise<EchoServer> {
  const server = new grpc.Server();
  server.addService(EchoClient.service, handlers);
  const clientCa = tls?.clientCa === undefined ? null : Buffer.from(tls.clientCa);
  const credentials = tls === undefined
    ? grpc.ServerCredentials.createInsecure()
    : grpc.ServerCredentials.createSsl(clientCa, [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }], clientCa !== null);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  return { port, server, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}
