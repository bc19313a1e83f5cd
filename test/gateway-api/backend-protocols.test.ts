// Backend protocols of HTTPRoute backends from the Service port's appProtocol: kubernetes.io/h2c (HTTP/2
// without TLS) and kubernetes.io/ws (WebSocket upgrades), through the gateway with real peers.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';

describe('HTTPRoute backend protocols (files)', () => {
  let gw: RunningGateway;
  let h2c: http2.Http2Server;
  let wsServer: http.Server;
  let wss: WebSocketServer;

  before(async () => {
    h2c = http2.createServer((req, res) => res.end(JSON.stringify({ httpVersion: req.httpVersion, path: req.url })));
    h2c.listen(0, '127.0.0.1');
    await once(h2c, 'listening');
    wsServer = http.createServer((_req, res) => res.end('plain'));
    wss = new WebSocketServer({ server: wsServer });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo:${String(data)}`)));
    wsServer.listen(0, '127.0.0.1');
    await once(wsServer, 'listening');
    gw = await startGateway({
      'svc.yaml': [
        serviceYaml({ name: 'h2c', appProtocol: 'kubernetes.io/h2c', endpoints: [['127.0.0.1', (h2c.address() as net.AddressInfo).port]] }),
        serviceYaml({ name: 'ws', appProtocol: 'kubernetes.io/ws', endpoints: [['127.0.0.1', (wsServer.address() as net.AddressInfo).port]] }),
      ].join('---\n'),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'http' }])),
      'routes.yaml': yamlDocs(
        httpRoute('h2c', { parentRefs: [{ name: 'gw' }], hostnames: ['h2c.test'], rules: [{ backendRefs: [{ name: 'h2c', port: 80 }] }] }),
        httpRoute('ws', { parentRefs: [{ name: 'gw' }], hostnames: ['ws.test'], rules: [{ backendRefs: [{ name: 'ws', port: 80 }] }] }),
      ),
    });
  });
  after(async () => {
    await gw?.close();
    h2c?.close();
    wss?.close();
    wsServer?.close();
  });

  it('reaches a kubernetes.io/h2c backend over HTTP/2 from an HTTP/1.1 client', async () => {
    const res = await request(gw.port, { path: '/hello?x=1', headers: { host: 'h2c.test' } });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { httpVersion: '2.0', path: '/hello?x=1' });
  });

  it('carries a WebSocket to a kubernetes.io/ws backend', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/chat`, { headers: { host: 'ws.test' } });
    try {
      await once(ws, 'open');
      ws.send('hi');
      const [message] = await once(ws, 'message');
      assert.equal(String(message), 'echo:hi');
    } finally {
      ws.close();
    }
  });
});
