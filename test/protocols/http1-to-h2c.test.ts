// HTTP/1.1 clients routed to an HTTP/2-only backend (appProtocol kubernetes.io/h2c): the gateway
// speaks HTTP/2 upstream, so plain-HTTP clients reach h2c services too.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type net from 'node:net';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { startGateway, request, type RunningGateway } from '../support/gateway.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';

describe('HTTP/1.1 to an h2c backend', () => {
  let gw: RunningGateway;
  let server: http2.Http2Server;

  before(async () => {
    server = http2.createServer();
    server.on('stream', (stream, headers) => {
      // Streams closed with an error code (the resets below, the gateway's cancels) emit 'error'.
      stream.on('error', () => {});
      const path = String(headers[':path']);
      if (path === '/reset') return void stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      if (path === '/slow') return void setTimeout(() => !stream.destroyed && stream.respond({ ':status': 200 }) && stream.end('late'), 2000);
      const hash = createHash('sha256');
      let length = 0;
      stream.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
      });
      stream.on('end', () => {
        stream.respond({ ':status': 201, 'content-type': 'application/json', 'x-protocol': 'h2' });
        stream.end(JSON.stringify({ method: headers[':method'], path, authority: headers[':authority'], xff: headers['x-forwarded-for'], length, sha256: hash.digest('hex') }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'h2', appProtocol: 'kubernetes.io/h2c', endpoints: [['127.0.0.1', port]] }),
      'ing.yaml': ingressYaml({ name: 'h2', host: 'h2.test', paths: [{ path: '/', service: 'h2' }], annotations: { 'tideway.dev/proxy-read-timeout': '300ms' } }),
    });
  });
  after(async () => {
    await gw.close();
    server.close();
  });

  test('a GET is answered by the HTTP/2 backend, fields and status intact', async () => {
    const res = await request(gw.port, { path: '/hello?x=1', headers: { host: 'h2.test' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers['x-protocol'], 'h2');
    const echo = JSON.parse(res.body);
    assert.deepEqual([echo.method, echo.path, echo.authority, echo.xff], ['GET', '/hello?x=1', 'h2.test', '127.0.0.1']);
  });

  test('a 2 MiB POST body arrives whole', async () => {
    const body = randomBytes(2 * 1024 * 1024);
    const res = await request(gw.port, { method: 'POST', path: '/up', headers: { host: 'h2.test', 'content-length': body.length }, body });
    const echo = JSON.parse(res.body);
    assert.equal(echo.length, body.length);
    assert.equal(echo.sha256, createHash('sha256').update(body).digest('hex'));
  });

  test('a reset stream gives 502, a silent one 504, and the gateway goes on', async () => {
    assert.equal((await request(gw.port, { path: '/reset', headers: { host: 'h2.test' } })).status, 502);
    assert.equal((await request(gw.port, { path: '/slow', headers: { host: 'h2.test' } })).status, 504);
    assert.equal((await request(gw.port, { path: '/ok', headers: { host: 'h2.test' } })).status, 201);
  });
});
