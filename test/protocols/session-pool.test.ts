// The multiplexed HTTP/2 upstream pool on its own, against a real node:http2 server: streams share a
// session up to the peer's SETTINGS_MAX_CONCURRENT_STREAMS, a session that got GOAWAY or closed is
// replaced for new streams while its own streams finish, and a dead endpoint fails the stream with
// the socket's error as cause.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type net from 'node:net';
import { Http2SessionPool } from '../../src/upstream/http2-session-pool.ts';
import { closedPort } from '../support/ports.ts';

describe('Http2SessionPool', () => {
  let server: http2.Http2Server;
  let port: number;
  const held: http2.ServerHttp2Stream[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();

  before(async () => {
    server = http2.createServer({ settings: { maxConcurrentStreams: 2 } });
    server.on('session', (s) => sessions.add(s));
    server.on('stream', (stream, headers) => {
      if (headers[':path'] === '/hold') return void held.push(stream);
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    for (const s of sessions) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  function answered(stream: http2.ClientHttp2Stream): Promise<number> {
    return new Promise((resolve, reject) => {
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
      stream.resume();
    });
  }

  /** The next /hold stream the server received. */
  async function nextHeld(): Promise<http2.ServerHttp2Stream> {
    const deadline = Date.now() + 2000;
    while (held.length === 0) {
      if (Date.now() > deadline) throw new Error('the server got no stream');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return held.shift()!;
  }

  const ready = (stream: http2.ClientHttp2Stream): Promise<void> => (stream.pending ? new Promise((resolve) => stream.once('ready', () => resolve())) : Promise.resolve());

  test("streams share one session up to the peer's limit, then a second session opens", async () => {
    const pool = new Http2SessionPool('127.0.0.1', port, null, { idleTimeoutMs: 5000 });
    const first = pool.request({ ':path': '/hold' }, { endStream: true }, 1000);
    await ready(first);
    // Until the server's SETTINGS arrive the pool assumes 100 streams; wait for its real limit (2).
    const session = first.session!;
    if (session.remoteSettings.maxConcurrentStreams !== 2) await new Promise((resolve) => session.once('remoteSettings', resolve));
    const second = pool.request({ ':path': '/hold' }, { endStream: true }, 1000);
    await ready(second);
    assert.equal(pool.sessionCount, 1);
    const third = pool.request({ ':path': '/' }, { endStream: true }, 1000);
    assert.equal(await answered(third), 200);
    assert.equal(pool.sessionCount, 2);
    for (const s of held.splice(0)) s.close();
    first.destroy();
    second.destroy();
    pool.retire();
  });

  test('sessions open their windows for throughput: 256 KiB per stream, 2 MiB for the connection', async () => {
    const pool = new Http2SessionPool('127.0.0.1', port, null, { idleTimeoutMs: 5000 });
    const open = pool.request({ ':path': '/hold' }, { endStream: true }, 1000);
    const serverStream = await nextHeld();
    // The pool's WINDOW_UPDATE goes out on connect, before the stream's HEADERS.
    assert.equal(serverStream.session!.state.remoteWindowSize, 2 * 1024 * 1024);
    assert.equal(serverStream.session!.remoteSettings.initialWindowSize, 256 * 1024);
    serverStream.close();
    open.destroy();
    pool.retire();
  });

  test('a session that received GOAWAY is left for new streams; its open stream still completes', async () => {
    const pool = new Http2SessionPool('127.0.0.1', port, null, { idleTimeoutMs: 5000 });
    const open = pool.request({ ':path': '/hold' }, { endStream: true }, 1000);
    const serverStream = await nextHeld();
    const goaway = new Promise((resolve) => open.session!.once('goaway', resolve));
    serverStream.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, serverStream.id);
    await goaway;
    assert.equal(pool.sessionCount, 0);
    const after = pool.request({ ':path': '/' }, { endStream: true }, 1000);
    assert.equal(await answered(after), 200);
    assert.equal(pool.sessionCount, 1);
    const stillOpen = answered(open);
    serverStream.respond({ ':status': 200 });
    serverStream.end();
    assert.equal(await stillOpen, 200);
    pool.retire();
  });

  test('a refused connection fails the stream with ECONNREFUSED as its cause', async () => {
    const pool = new Http2SessionPool('127.0.0.1', await closedPort(), null, { idleTimeoutMs: 5000 });
    const stream = pool.request({ ':path': '/' }, { endStream: true }, 1000);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => stream.once('error', resolve));
    assert.equal((error.cause as NodeJS.ErrnoException | undefined)?.code ?? error.code, 'ECONNREFUSED');
    assert.equal(pool.sessionCount, 0);
  });
});
