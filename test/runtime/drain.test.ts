// Graceful shutdown in one process: readiness fails at once, new connections are refused, the request in
// flight finishes, and open WebSockets are closed last with 1001 Going Away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { startGateway, request } from '../support/gateway.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { adminStatus, waitFor } from '../support/cli-process.ts';

test('SIGTERM-style drain: readiness, in-flight requests, WebSockets with 1001', async () => {
  let arrived!: () => void;
  const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      arrived();
      setTimeout(() => res.end('finished'), 600);
    } else res.end('ok');
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => socket.on('message', (m) => socket.send(m)));
  const gw = await gatewayInFrontOf(server);
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws`, { headers: { host: 'app.test' } });
    await once(ws, 'open');
    const wsClosed = once(ws, 'close');
    const inFlight = request(gw.port, { path: '/slow', headers: { host: 'app.test' } });
    await slowArrived;
    const stopped = gw.gateway.stop(5000);
    assert.equal(await adminStatus(gw.adminPort, '/readyz'), 503, 'readiness fails as soon as draining starts');
    await waitFor(async () => {
      try {
        await request(gw.port, { headers: { host: 'app.test' } });
        return false;
      } catch {
        return true;
      }
    }, 2000, 'new connections to be refused');
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(res.body, 'finished');
    const [code] = (await wsClosed) as [number];
    assert.equal(code, 1001, 'the WebSocket was closed with Going Away');
    await stopped;
  } finally {
    await gw.gateway.stop(0).catch(() => {});
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.closeAllConnections();
    server.close();
  }
});

test('drain: an upload in flight keeps being read until its exchange finishes, then the connection closes', async () => {
  let headArrived!: () => void;
  const headSeen = new Promise<void>((resolve) => (headArrived = resolve));
  const server = http.createServer((req, res) => {
    headArrived();
    let received = 0;
    req.on('data', (chunk: Buffer) => (received += chunk.length));
    req.on('end', () => res.end(`received ${received}`));
  });
  const gw = await gatewayInFrontOf(server);
  try {
    const body = Buffer.alloc(64 * 1024, 'x');
    const client = net.connect({ host: '127.0.0.1', port: gw.port });
    await once(client, 'connect');
    let answer = '';
    client.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    const closed = once(client, 'close');
    client.write(`POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: ${body.length}\r\n\r\n`);
    client.write(body.subarray(0, 1024));
    await headSeen;
    const stopped = gw.gateway.stop(5000);
    await waitFor(async () => (await adminStatus(gw.adminPort, '/readyz')) === 503, 2000, 'draining to start');
    client.write(body.subarray(1024));
    await closed;
    assert.match(answer, /^HTTP\/1\.1 200 /, 'the upload was answered');
    assert.ok(answer.endsWith(`received ${body.length}`), `the backend got the whole body: ${answer.slice(-40)}`);
    await stopped;
  } finally {
    await gw.gateway.stop(0).catch(() => {});
    server.closeAllConnections();
    server.close();
  }
});

/** Starts the backend on a free port and a gateway routing host app.test to it. */
async function gatewayInFrontOf(server: http.Server): Promise<Awaited<ReturnType<typeof startGateway>>> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return startGateway({
    'class.yaml': ingressClassYaml(),
    'svc.yaml': serviceYaml({ name: 'app', endpoints: [['127.0.0.1', port]] }),
    'ing.yaml': ingressYaml({ name: 'app', host: 'app.test', paths: [{ path: '/', service: 'app' }] }),
  });
}
