// When the gateway answers an HTTP/2 request itself before its body has arrived (no route, a gRPC call
// to a host without one), nobody will read the rest of the body. The answer is sent whole, and then the
// client is asked to stop sending (RST_STREAM NO_ERROR, RFC 9113 8.1) instead of the gateway reading
// whatever the client keeps sending. A gRPC client keeps the gateway's status, not a reset error.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { EchoClient, type EchoReply } from './support/grpc.ts';

/** What a client would send if nobody stopped it: far more than any flow-control window. */
const ENDLESS = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 7);

interface Outcome {
  status: number;
  body: string;
  sent: number;
  rstCode: number | undefined;
}

/** POSTs up to ENDLESS bytes, honouring backpressure, until the stream closes or everything is sent. */
async function endlessUpload(port: number, authority: string): Promise<Outcome> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  try {
    const stream = session.request({ ':method': 'POST', ':path': '/upload', ':authority': authority, 'content-type': 'application/octet-stream' });
    stream.on('error', () => {});
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = once(stream, 'close');
    let sent = 0;
    while (sent < ENDLESS && !stream.closed && !stream.destroyed) {
      sent += CHUNK.length;
      if (!stream.write(CHUNK)) {
        await Promise.race([once(stream, 'drain'), closed]);
      }
    }
    if (!stream.closed) stream.end();
    await closed;
    return { status, body: Buffer.concat(chunks).toString('utf8'), sent, rstCode: stream.rstCode };
  } finally {
    session.close();
  }
}

describe('HTTP/2 request bodies nobody will read', () => {
  let gw: RunningGateway;
  let backend: TestBackend;

  before(async () => {
    backend = await startBackend('web');
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }),
      'ing.yaml': ingressYaml({ name: 'web', host: 'web.test', paths: [{ path: '/', service: 'web' }] }),
    });
  });
  after(async () => {
    await gw.close();
    await backend.close();
  });

  test('an answer from the gateway is complete, then the client is told to stop sending (RST_STREAM NO_ERROR)', async () => {
    const outcome = await endlessUpload(gw.port, 'nowhere.test');
    assert.equal(outcome.status, 404);
    assert.match(outcome.body, /not found|no route/i);
    assert.equal(outcome.rstCode, http2.constants.NGHTTP2_NO_ERROR);
    // The client could only send what the windows allowed before the reset reached it.
    assert.ok(outcome.sent < ENDLESS / 4, `the client sent ${outcome.sent} bytes nobody reads`);
  });

  test('the connection serves the next request after such a reset', async () => {
    await endlessUpload(gw.port, 'nowhere.test');
    const session = http2.connect(`http://127.0.0.1:${gw.port}`);
    try {
      const stream = session.request({ ':path': '/after', ':authority': 'web.test' });
      const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
      stream.resume();
      await once(stream, 'end');
      assert.equal(headers[':status'], 200);
    } finally {
      session.close();
    }
  });

  test('a gRPC client streaming to a host without a route gets the status, not a reset error', async () => {
    const client = new EchoClient(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'nowhere.test' });
    try {
      const status = await new Promise<grpc.ServiceError>((resolve, reject) => {
        const call = (client as unknown as { ClientStream(cb: (error: grpc.ServiceError | null, reply?: EchoReply) => void): grpc.ClientWritableStream<unknown> }).ClientStream((error) => {
          if (error === null) reject(new Error('the call succeeded without a route'));
          else resolve(error);
        });
        call.on('error', () => {});
        // Keep writing until the call ends, bounded: the reset stops the client long before this.
        let written = 0;
        const writeMore = (): void => {
          while (written < 2000) {
            written++;
            if (!call.write({ message: 'x'.repeat(1024) })) return void call.once('drain', writeMore);
          }
          call.end();
        };
        writeMore();
      });
      assert.equal(status.code, grpc.status.UNIMPLEMENTED, status.details);
    } finally {
      client.close();
    }
  });
});
