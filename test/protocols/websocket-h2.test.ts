// WebSocket over HTTP/2 (RFC 8441): an extended CONNECT stream from Node's http2 client, tunnelled to an
// HTTP/1.1 Upgrade on a `ws` server. The test speaks minimal WebSocket framing itself (Node's and the
// ws package's clients do not do RFC 8441). A routing snapshot swap leaves an open tunnel alone.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type http2 from 'node:http2';
import type net from 'node:net';
import { WebSocketServer } from 'ws';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { h2Connect } from './support/h2.ts';

/** A masked client text frame (payload under 126 bytes). */
function clientText(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ mask[i % 4]!)]);
}

/** Reads unmasked server text frames (payload under 126 bytes) from a stream. */
function frameReader(stream: http2.ClientHttp2Stream): () => Promise<string> {
  let buffer = Buffer.alloc(0);
  const waiting: ((text: string) => void)[] = [];
  const ready: string[] = [];
  stream.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 2 && buffer.length >= 2 + (buffer[1]! & 0x7f)) {
      const text = buffer.subarray(2, 2 + (buffer[1]! & 0x7f)).toString();
      buffer = buffer.subarray(2 + (buffer[1]! & 0x7f));
      const waiter = waiting.shift();
      if (waiter) waiter(text);
      else ready.push(text);
    }
  });
  return () => (ready.length > 0 ? Promise.resolve(ready.shift()!) : new Promise((resolve) => waiting.push(resolve)));
}

describe('WebSocket over HTTP/2 (RFC 8441)', () => {
  let gw: RunningGateway;
  let server: http.Server;
  let wss: WebSocketServer;
  let session: http2.ClientHttp2Session;
  const upgrades: http.IncomingHttpHeaders[] = [];

  before(async () => {
    server = http.createServer((_req, res) => res.end('plain'));
    wss = new WebSocketServer({ server, handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false) });
    wss.on('headers', (_headers, req) => upgrades.push(req.headers));
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo:${String(data)}`)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as net.AddressInfo).port;
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'ws', endpoints: [['127.0.0.1', port]] }),
      'ing.yaml': ingressYaml({ name: 'ws', host: 'ws.test', paths: [{ path: '/', service: 'ws' }] }),
    });
    session = await h2Connect(gw.port);
    if (session.remoteSettings.enableConnectProtocol !== true) await new Promise((resolve) => session.once('remoteSettings', resolve));
  });
  after(async () => {
    session.close();
    await gw.close();
    wss.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function openTunnel(authority: string, extra: http2.OutgoingHttpHeaders = {}): { stream: http2.ClientHttp2Stream; response: Promise<http2.IncomingHttpHeaders> } {
    const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': '/chat', ':authority': authority, 'sec-websocket-version': '13', 'sec-websocket-protocol': 'chat', ...extra });
    const response = new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    });
    return { stream, response };
  }

  test('the gateway announces SETTINGS_ENABLE_CONNECT_PROTOCOL', () => {
    assert.equal(session.remoteSettings.enableConnectProtocol, true);
  });

  test('extended CONNECT becomes an HTTP/1.1 Upgrade; messages flow both ways; a snapshot swap leaves it open', async () => {
    const { stream, response } = openTunnel('ws.test');
    const headers = await response;
    assert.equal(headers[':status'], 200);
    assert.equal(headers['sec-websocket-protocol'], 'chat');
    assert.equal(headers['sec-websocket-accept'], undefined);
    const upgrade = upgrades.at(-1)!;
    assert.equal(upgrade.upgrade, 'websocket');
    assert.equal(upgrade.host, 'ws.test');
    assert.ok(upgrade['sec-websocket-key']);
    const next = frameReader(stream);
    stream.write(clientText('hello'));
    assert.equal(await next(), 'echo:hello');
    await gw.writeManifest('other.yaml', ingressYaml({ name: 'other', host: 'other.test', paths: [{ path: '/', service: 'ws' }] }));
    stream.write(clientText('after swap'));
    assert.equal(await next(), 'echo:after swap');
    const closed = new Promise((resolve) => stream.once('close', resolve));
    stream.end();
    await closed;
  });

  test('a refused upgrade is relayed as the upstream answered it', async () => {
    const { stream, response } = openTunnel('ws.test', { 'sec-websocket-version': '99' });
    const headers = await response;
    assert.equal(headers[':status'], 400);
    stream.close();
  });

  test('no route: 404 for the CONNECT stream', async () => {
    const { stream, response } = openTunnel('nowhere.test');
    assert.equal((await response)[':status'], 404);
    stream.close();
  });
});
