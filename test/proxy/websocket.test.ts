// WebSocket over HTTP/1.1 Upgrade, end to end with the `ws` client and server through the gateway.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { startGateway, request, type RunningGateway } from '../support/gateway.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';

interface WsBackend { server: http.Server; wss: WebSocketServer; port: number }

async function startWsBackend(name: string): Promise<WsBackend> {
  const server = http.createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('upgrade required'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    socket.send(`hello from ${name} for ${req.url}`);
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, wss, port: (server.address() as net.AddressInfo).port };
}

function connect(port: number, host: string, path = '/chat'): Promise<{ ws: WebSocket; greeting: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host } });
    ws.once('message', (data) => resolve({ ws, greeting: data.toString() }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
}

function echo(ws: WebSocket, payload: string | Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)));
    ws.send(payload);
  });
}

describe('WebSocket', () => {
  let gw: RunningGateway;
  let a: WsBackend;
  let b: WsBackend;

  before(async () => {
    a = await startWsBackend('a');
    b = await startWsBackend('b');
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'chat', endpoints: [['127.0.0.1', a.port]] }),
      'svc-b.yaml': serviceYaml({ name: 'chat-b', endpoints: [['127.0.0.1', b.port]] }),
      'ing.yaml': ingressYaml({ name: 'chat', host: 'ws.test', paths: [{ path: '/', service: 'chat' }] }),
      'ing-idle.yaml': ingressYaml({ name: 'idle', host: 'idle.test', paths: [{ path: '/', service: 'chat' }], annotations: { 'tideway.dev/websocket-idle-timeout': '300ms' } }),
    }, ['--websocket-grace-period', '300ms']);
  });
  after(async () => {
    await gw.close();
    for (const backend of [a, b]) {
      for (const client of backend.wss.clients) client.terminate();
      backend.wss.close();
      backend.server.closeAllConnections();
      backend.server.close();
    }
  });

  test('upgrades and echoes text and large binary messages both ways', async () => {
    const { ws, greeting } = await connect(gw.port, 'ws.test');
    assert.equal(greeting, 'hello from a for /chat');
    assert.equal((await echo(ws, 'ping')).toString(), 'ping');
    const big = Buffer.alloc(2 * 1024 * 1024, 7);
    assert.ok((await echo(ws, big)).equals(big));
    ws.close();
    await once(ws, 'close');
  });

  test('stays open across ten routing changes', async () => {
    const { ws } = await connect(gw.port, 'ws.test');
    for (let i = 0; i < 10; i++) {
      await gw.writeManifest(`extra-${i}.yaml`, ingressYaml({ name: `extra-${i}`, host: `e${i}.test`, paths: [{ path: '/', service: 'chat' }] }));
      assert.equal((await echo(ws, `message ${i}`)).toString(), `message ${i}`);
    }
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
    await once(ws, 'close');
  });

  test('upgrades a keep-alive connection after an ordinary request on it', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: gw.port });
    await once(socket, 'connect');
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    const until = async (check: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 3000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${received.toString('latin1')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    socket.write('GET /plain HTTP/1.1\r\nHost: ws.test\r\n\r\n');
    await until(() => received.includes('upgrade required'), 'the ordinary answer');
    received = Buffer.alloc(0);
    socket.write('GET /chat HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await until(() => received.includes('hello from a for /chat'), 'the 101 and the greeting');
    assert.match(received.toString('latin1'), /^HTTP\/1\.1 101 /);
    // A masked client text frame "ping" (RFC 6455 5.3); the server echoes it unmasked.
    const mask = Buffer.from([1, 2, 3, 4]);
    const payload = Buffer.from('ping').map((b, i) => b ^ mask[i % 4]!);
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | 4]), mask, payload]));
    await until(() => received.includes(Buffer.from([0x81, 4, ...Buffer.from('ping')])), 'the echoed frame');
    socket.destroy();
  });

  test('relays a refused upgrade as an ordinary response', async () => {
    a.wss.options.verifyClient = undefined;
    const res = await request(gw.port, { path: '/plain', headers: { host: 'ws.test' } });
    assert.equal(res.status, 426);
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/x`, { headers: { host: 'nowhere.test' } });
      ws.on('unexpected-response', (_req, r) => resolve(r.statusCode!));
      ws.on('error', () => {});
    });
    assert.equal(refused, 404);
  });

  test('closes an idle WebSocket after the route idle timeout', async () => {
    const { ws } = await connect(gw.port, 'idle.test');
    const started = Date.now();
    await once(ws, 'close');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 3000, `closed after ${elapsed} ms`);
  });

  test('closes WebSockets to an endpoint that left the table after the grace period', async () => {
    const { ws } = await connect(gw.port, 'ws.test');
    await gw.writeManifest('svc.yaml', serviceYaml({ name: 'chat', endpoints: [['127.0.0.1', b.port]] }));
    assert.equal((await echo(ws, 'still here')).toString(), 'still here', 'the grace period keeps it open at first');
    const started = Date.now();
    await once(ws, 'close');
    assert.ok(Date.now() - started < 3000);
    const next = await connect(gw.port, 'ws.test');
    assert.equal(next.greeting, 'hello from b for /chat');
    next.ws.close();
  });
});
