// A WebSocket tunnel holds a bounded amount in the gateway's memory whichever side stops reading: a
// client pushes 64 MiB at a backend that stopped reading (and a backend at a client that did), over an
// HTTP/1.1 Upgrade and over HTTP/2 extended CONNECT (h2c and TLS). Backpressure must reach the sender
// while the gateway holds at most a few hundred KiB per direction, and the bytes must flow again, all of
// them, once the reader reads.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http2 from 'node:http2';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { waitFor } from '../support/cli-process.ts';
import { largestTunnelBuffers } from '../../src/proxy/tunnel-buffers.ts';

/** What one tunnel may hold per direction (measured: 64-192 KiB). */
const BOUND = 384 * 1024;
const TOTAL = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
/** How long a sender waits for 'drain' before taking the path as held: the reader stopped, the buffers are full. */
const HELD_AFTER_MS = 1500;

type Direction = 'up' | 'down';
type Path = 'http1' | 'h2c' | 'h2-tls';

describe('tunnel buffering is bounded', () => {
  let gw: RunningGateway;
  let backend: net.Server;
  /** The backend side of the newest tunnel, paused right after its 101. */
  let backendSocket: Promise<net.Socket>;
  let gotBackendSocket: (socket: net.Socket) => void;

  before(async () => {
    backend = net.createServer((socket) => {
      let head = '';
      const onData = (chunk: Buffer): void => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        socket.pause();
        const key = /sec-websocket-key: *(\S+)/i.exec(head)![1]!;
        const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        gotBackendSocket(socket);
      };
      socket.on('data', onData);
      socket.on('error', () => {});
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'ws', endpoints: [['127.0.0.1', (backend.address() as net.AddressInfo).port]] }),
      'ing.yaml': ingressYaml({ name: 'ws', host: 'ws.test', paths: [{ path: '/', service: 'ws' }] }),
    }, ['--https-port', '0']);
  });
  after(async () => {
    await gw.close();
    backend.close();
  });

  /** Opens a tunnel on `path`; resolves with the client's end once the upgrade is answered. */
  async function openTunnel(path: Path): Promise<{ client: Duplex; close: () => void }> {
    backendSocket = new Promise((resolve) => (gotBackendSocket = resolve));
    if (path === 'http1') {
      const socket = net.connect(gw.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write('GET /chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
        + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      const [answer] = (await once(socket, 'data')) as [Buffer];
      assert.match(answer.toString('latin1'), /^HTTP\/1\.1 101 /);
      return { client: socket, close: () => socket.destroy() };
    }
    const session = path === 'h2c'
      ? http2.connect(`http://127.0.0.1:${gw.port}`)
      : http2.connect(`https://127.0.0.1:${gw.gateway.ports!.https!}`, { rejectUnauthorized: false });
    await once(session, 'remoteSettings');
    const stream = session.request({
      ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': path === 'h2c' ? 'http' : 'https', ':path': '/chat',
      ':authority': 'ws.test', 'sec-websocket-version': '13',
    });
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
    assert.equal(headers[':status'], 200);
    return { client: stream, close: () => session.destroy() };
  }

  /**
   * Writes up to 64 MiB with backpressure, checking the gateway's buffers after each write, until the
   * path holds (no 'drain' in time). Returns the bytes written.
   */
  async function pushUntilHeld(sender: Duplex, direction: Direction): Promise<number> {
    let sent = 0;
    while (sent < TOTAL) {
      const more = sender.write(CHUNK);
      sent += CHUNK.length;
      const held = largestTunnelBuffers()[direction === 'up' ? 'toUpstream' : 'toClient'];
      assert.ok(held <= BOUND, `the gateway holds ${held} bytes of this tunnel after ${sent} sent (bound ${BOUND})`);
      if (more) continue;
      const drained = await Promise.race([
        once(sender, 'drain').then(() => true),
        new Promise<boolean>((resolve) => setTimeout(resolve, HELD_AFTER_MS, false).unref()),
      ]);
      if (!drained) return sent;
    }
    assert.fail(`all ${TOTAL} bytes were accepted while the reader did not read: no backpressure`);
  }

  for (const path of ['http1', 'h2c', 'h2-tls'] as const) {
    for (const direction of ['up', 'down'] as const) {
      const what = direction === 'up' ? 'a backend that stops reading' : 'a client that stops reading';
      test(`${path}: ${what} holds the sender with at most ${BOUND / 1024} KiB in the gateway, then everything arrives`, async () => {
        const { client, close } = await openTunnel(path);
        const upstream = await backendSocket;
        const [sender, reader] = direction === 'up' ? [client, upstream] : [upstream, client];
        reader.pause(); // the backend's socket is paused since its 101 already
        const sent = await pushUntilHeld(sender, direction);
        const { toUpstream, toClient } = largestTunnelBuffers();
        assert.ok(Math.max(toUpstream, toClient) <= BOUND, `held: ${toUpstream} bytes towards the upstream, ${toClient} towards the client`);
        // Operators see the same figure on the admin port.
        const metrics = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
        const label = direction === 'up' ? 'to_upstream' : 'to_client';
        const gauge = new RegExp(`^tideway_tunnel_buffered_bytes\\{direction="${label}"\\} (\\d+)$`, 'm').exec(metrics);
        assert.ok(gauge !== null, 'tideway_tunnel_buffered_bytes is exported');
        assert.ok(Number(gauge[1]) <= BOUND, `the gauge reads ${gauge[1]}`);
        let received = 0;
        reader.on('data', (chunk: Buffer) => (received += chunk.length));
        reader.resume();
        await waitFor(() => received === sent, 20_000, `all ${sent} bytes at the reader (${received} so far)`);
        close();
        upstream.destroy();
      });
    }
  }
});
