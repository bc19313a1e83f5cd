// What the gateway answers when routing or the upstream fails, and the server-side limits.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startGateway, request, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { rawRequest, statusOf } from '../support/raw-client.ts';
import { closedPort } from '../support/ports.ts';

describe('upstream failures and limits', () => {
  let gw: RunningGateway;
  let live: TestBackend;
  let dead: number;

  before(async () => {
    live = await startBackend('live');
    live.handler = (req, res, body) => {
      const delay = /^\/delay\/(\d+)/.exec(req.url!);
      const answer = (): void => void res.end(`ok ${body.length}`);
      if (delay) setTimeout(answer, Number(delay[1]));
      else answer();
    };
    dead = await closedPort();
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': [
        serviceYaml({ name: 'none-ready', endpoints: [], notReady: [['127.0.0.1', live.port]] }),
        serviceYaml({ name: 'dead', endpoints: [['127.0.0.1', dead]] }),
        serviceYaml({ name: 'half-dead', endpoints: [['127.0.0.1', dead], ['127.0.0.1', live.port]] }),
        serviceYaml({ name: 'live', endpoints: [['127.0.0.1', live.port]] }),
      ].join('---\n'),
      'ing.yaml': [
        ingressYaml({ name: 'a', host: 'none-ready.test', paths: [{ path: '/', service: 'none-ready' }] }),
        ingressYaml({ name: 'b', host: 'dead.test', paths: [{ path: '/', service: 'dead' }] }),
        ingressYaml({ name: 'c', host: 'half-dead.test', paths: [{ path: '/', service: 'half-dead' }] }),
        ingressYaml({ name: 'd', host: 'slow.test', paths: [{ path: '/', service: 'live' }], annotations: { 'tideway.dev/proxy-read-timeout': '200ms' } }),
        ingressYaml({ name: 'e', host: 'small.test', paths: [{ path: '/', service: 'live' }], annotations: { 'tideway.dev/proxy-body-size': '1k' } }),
        ingressYaml({ name: 'f', host: 'missing.test', paths: [{ path: '/', service: 'no-such-service' }] }),
      ].join('---\n'),
    }, ['--client-header-timeout', '300ms', '--keepalive-timeout', '400ms']);
  });
  after(async () => {
    await gw.close();
    await live.close();
  });

  test('503 when the Service has no ready endpoint', async () => {
    const res = await request(gw.port, { headers: { host: 'none-ready.test' } });
    assert.equal(res.status, 503);
    assert.equal(res.body, '503 Service Unavailable\n');
  });

  test('503 when the Service does not exist', async () => {
    assert.equal((await request(gw.port, { headers: { host: 'missing.test' } })).status, 503);
  });

  test('502 when the only endpoint refuses connections', async () => {
    assert.equal((await request(gw.port, { headers: { host: 'dead.test' } })).status, 502);
  });

  test('a refused connection is retried on another endpoint: no 5xx', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await request(gw.port, { headers: { host: 'half-dead.test' } });
      assert.equal(res.status, 200, `request ${i}`);
    }
  });

  test('504 when the upstream does not answer within proxy-read-timeout', async () => {
    const started = Date.now();
    const res = await request(gw.port, { path: '/delay/3000', headers: { host: 'slow.test' } });
    assert.equal(res.status, 504);
    assert.ok(Date.now() - started < 2000, 'answered at the timeout, not when the upstream finished');
    assert.equal((await request(gw.port, { path: '/delay/10', headers: { host: 'slow.test' } })).status, 200);
  });

  test('413 for a body over proxy-body-size, declared or chunked', async () => {
    const declared = await request(gw.port, { method: 'POST', headers: { host: 'small.test', 'content-length': 2048 }, body: Buffer.alloc(2048) });
    assert.equal(declared.status, 413);
    const chunked = await rawRequest(gw.port, `POST / HTTP/1.1\r\nHost: small.test\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n${'a'.repeat(2048)}\r\n0\r\n\r\n`);
    assert.equal(statusOf(chunked.data), 413);
    const fits = await request(gw.port, { method: 'POST', headers: { host: 'small.test', 'content-length': 1000 }, body: Buffer.alloc(1000) });
    assert.equal(fits.status, 200);
    assert.equal(fits.body, 'ok 1000');
  });

  test('408 and close when request headers arrive too slowly', async () => {
    const result = await rawRequest(gw.port, 'GET / HTTP/1.1\r\nHost: live.test\r\n', { timeoutMs: 3000 });
    assert.equal(statusOf(result.data), 408);
    assert.equal(result.closed, true);
  });

  test('idle keep-alive connections are closed after the keep-alive timeout', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: gw.port });
    const closedAt = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    socket.on('data', () => {});
    socket.write('GET / HTTP/1.1\r\nHost: missing.test\r\n\r\n');
    const started = Date.now();
    const elapsed = (await closedAt) - started;
    assert.ok(elapsed >= 300 && elapsed < 2500, `closed after ${elapsed} ms`);
  });

  test('the server stays healthy after all of the above', async () => {
    const agent = new http.Agent({ keepAlive: true });
    const res = await request(gw.port, { headers: { host: 'half-dead.test' }, agent });
    agent.destroy();
    assert.equal(res.status, 200);
  });
});

describe('HTTP to HTTPS redirect', () => {
  let gw: RunningGateway;
  let live: TestBackend;

  before(async () => {
    live = await startBackend('live');
    const tls = [{ hosts: ['secure.test'], secretName: 'secure-tls' }];
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'live', endpoints: [['127.0.0.1', live.port]] }),
      'ing.yaml': [
        ingressYaml({ name: 'secure', host: 'secure.test', paths: [{ path: '/', service: 'live' }], tls }),
        ingressYaml({ name: 'opt-out', host: 'plain.test', paths: [{ path: '/', service: 'live' }], tls: [{ hosts: ['plain.test'], secretName: 'secure-tls' }], annotations: { 'tideway.dev/ssl-redirect': 'false' } }),
        ingressYaml({ name: 'no-tls', host: 'open.test', paths: [{ path: '/', service: 'live' }] }),
      ].join('---\n'),
    }, ['--https-port', '8443', '--trusted-proxies', '127.0.0.1/32']);
  });
  after(async () => {
    await gw.close();
    await live.close();
  });

  test('a host listed in spec.tls is redirected with 308 to the HTTPS port', async () => {
    const res = await request(gw.port, { path: '/cart?id=1', headers: { host: 'secure.test:80' } });
    assert.equal(res.status, 308);
    assert.equal(res.headers.location, 'https://secure.test:8443/cart?id=1');
  });

  test('no redirect with ssl-redirect "false", for hosts without TLS, or behind a trusted TLS proxy', async () => {
    assert.equal((await request(gw.port, { headers: { host: 'plain.test' } })).status, 200);
    assert.equal((await request(gw.port, { headers: { host: 'open.test' } })).status, 200);
    assert.equal((await request(gw.port, { headers: { host: 'secure.test', 'x-forwarded-proto': 'https' } })).status, 200);
  });
});

describe('a large body that arrives while the upstream connection opens', () => {
  test('is held (bounded), then forwarded whole once connected', async () => {
    const backend = await startBackend('slow-accept');
    backend.handler = (_req, res, body) => res.end(String(body.length));
    const gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'b', endpoints: [['127.0.0.1', backend.port]] }),
      'ing.yaml': ingressYaml({ name: 'b', host: 'big.test', paths: [{ path: '/', service: 'b' }] }),
    });
    try {
      // A fresh gateway has no pooled connection: the first request's body (1 MiB, far more than the
      // 64 KiB held while connecting) arrives before the connection is open.
      const body = Buffer.alloc(1024 * 1024, 97);
      const res = await request(gw.port, { method: 'POST', headers: { host: 'big.test', 'content-length': body.length }, body });
      assert.equal(res.status, 200);
      assert.equal(res.body, String(body.length));
    } finally {
      await gw.close();
      await backend.close();
    }
  });
});
