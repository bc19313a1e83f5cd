// Response heads from an h2c backend to HTTP/2 clients. The gateway passes the raw field list node:http2
// hands it on as a list where it can (no copy); a repeated name, or a field the backend marked
// never-indexed, goes through node's object instead, so repeats are combined and the mark is kept.
// With a middleware chain the list enters the response phase.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type net from 'node:net';
import { once } from 'node:events';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { h2Connect, h2Request } from './support/h2.ts';

describe('HTTP/2 clients, h2c backend: response fields', () => {
  let gw: RunningGateway;
  let server: http2.Http2Server;
  let session: http2.ClientHttp2Session;

  before(async () => {
    server = http2.createServer();
    server.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      switch (headers[':path']) {
        case '/repeat':
          // A raw list may repeat a name; node's object form joins the values.
          stream.respond([':status', '200', 'x-multi', 'one', 'x-multi', 'two']);
          break;
        case '/sensitive':
          stream.respond({ ':status': 200, 'x-secret': 's3', [http2.sensitiveHeaders]: ['x-secret'] });
          break;
        default:
          stream.respond({ ':status': 203, 'content-type': 'text/plain', 'x-from': 'h2c' });
      }
      stream.end('body');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'h2', appProtocol: 'kubernetes.io/h2c', endpoints: [['127.0.0.1', port]] }),
      'ing.yaml': [
        ingressYaml({ name: 'h2', host: 'h2.test', paths: [{ path: '/', service: 'h2' }] }),
        ingressYaml({ name: 'chain', host: 'chain.test', paths: [{ path: '/', service: 'h2' }], annotations: { 'tideway.dev/cors-allow-origin': '*' } }),
      ].join('---\n'),
    });
    session = await h2Connect(gw.port);
  });
  after(async () => {
    session.close();
    await gw.close();
    server.close();
  });

  test('status and fields arrive as the backend sent them', async () => {
    const res = await h2Request(session, { ':authority': 'h2.test', ':path': '/plain' });
    assert.equal(res.status, 203);
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.equal(res.headers['x-from'], 'h2c');
    assert.equal(res.body, 'body');
  });

  test('a repeated name: its values arrive combined', async () => {
    const res = await h2Request(session, { ':authority': 'h2.test', ':path': '/repeat' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-multi'], 'one, two');
  });

  test('a field the backend marked never-indexed keeps the mark', async () => {
    const res = await h2Request(session, { ':authority': 'h2.test', ':path': '/sensitive' });
    assert.equal(res.headers['x-secret'], 's3');
    assert.deepEqual((res.headers as Record<symbol, unknown>)[http2.sensitiveHeaders], ['x-secret']);
  });

  test("with a middleware chain the backend's fields reach the response phase and the client", async () => {
    const res = await h2Request(session, { ':authority': 'chain.test', ':path': '/plain', origin: 'https://app.test' });
    assert.equal(res.status, 203);
    assert.equal(res.headers['x-from'], 'h2c');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.body, 'body');
  });
});
