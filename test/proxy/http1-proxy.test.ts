// The HTTP/1.1 proxy path end to end: real clients, the real gateway, real node:http backends.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { startGateway, request, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { rawRequest, statusOf } from '../support/raw-client.ts';

describe('HTTP/1.1 proxy', () => {
  let gw: RunningGateway;
  let a: TestBackend;
  let b: TestBackend;

  before(async () => {
    a = await startBackend('a');
    b = await startBackend('b');
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', a.port], ['127.0.0.1', b.port]] }),
      'ing.yaml': ingressYaml({ name: 'web', host: 'shop.example', paths: [{ path: '/', service: 'web' }] }),
    });
  });
  after(async () => {
    await gw.close();
    await a.close();
    await b.close();
  });

  test('routes by host and balances round-robin over ready endpoints', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await request(gw.port, { path: '/x', headers: { host: 'shop.example' } });
      assert.equal(res.status, 200);
      seen.add(JSON.parse(res.body).backend);
    }
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  });

  test('passes Host through, sets X-Forwarded-* and X-Request-Id, drops hop-by-hop headers', async () => {
    const res = await request(gw.port, {
      path: '/h?q=1',
      headers: { host: 'Shop.Example:8080', connection: 'keep-alive, x-secret', 'x-secret': 'hidden', 'keep-alive': 'timeout=5', te: 'trailers', 'proxy-connection': 'keep-alive', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'gopher' },
    });
    assert.equal(res.status, 200);
    const echo = JSON.parse(res.body);
    assert.equal(echo.url, '/h?q=1');
    assert.equal(echo.headers.host, 'Shop.Example:8080');
    assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1', 'an untrusted client cannot inject X-Forwarded-For');
    assert.equal(echo.headers['x-forwarded-proto'], 'http');
    assert.equal(echo.headers['x-forwarded-host'], 'Shop.Example:8080');
    assert.equal(echo.headers['x-forwarded-port'], String(gw.port));
    assert.match(echo.headers['x-request-id'], /^[0-9a-f]{21}$/);
    for (const h of ['x-secret', 'keep-alive', 'te', 'proxy-connection']) assert.equal(echo.headers[h], undefined, `${h} must not be forwarded`);
  });

  test('keeps a usable client X-Request-Id', async () => {
    const res = await request(gw.port, { headers: { host: 'shop.example', 'x-request-id': 'abc-123' } });
    assert.equal(JSON.parse(res.body).headers['x-request-id'], 'abc-123');
  });

  test('streams content-length and chunked request bodies intact', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    const digest = createHash('sha256').update(body).digest('hex');
    a.handler = b.handler = (_req, res, received) => res.end(createHash('sha256').update(received).digest('hex'));
    try {
      const fixed = await request(gw.port, { method: 'POST', path: '/up', headers: { host: 'shop.example', 'content-length': body.length }, body });
      assert.equal(fixed.body, digest);
      const chunked = await new Promise<string>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: gw.port, method: 'PUT', path: '/up', headers: { host: 'shop.example' }, agent: false }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        for (let i = 0; i < body.length; i += 100_000) req.write(body.subarray(i, i + 100_000));
        req.end();
      });
      assert.equal(chunked, digest);
    } finally {
      a.handler = b.handler = null;
    }
  });

  test('relays chunked responses with trailers, and frames them for HTTP/1.0 clients', async () => {
    a.handler = b.handler = (_req, res) => {
      res.writeHead(200, { trailer: 'x-checksum' });
      res.write('hello ');
      res.write('world');
      res.addTrailers({ 'x-checksum': 'abc' });
      res.end();
    };
    try {
      const r11 = await rawRequest(gw.port, 'GET /t HTTP/1.1\r\nHost: shop.example\r\n\r\n', { until: (d) => d.endsWith('\r\n\r\n') && d.includes('0\r\n') });
      assert.equal(statusOf(r11.data), 200);
      assert.match(r11.data, /transfer-encoding: chunked/i);
      assert.match(r11.data, /6\r\nhello \r\n5\r\nworld\r\n0\r\nx-checksum: abc\r\n\r\n$/i);
      const r10 = await rawRequest(gw.port, 'GET /t HTTP/1.0\r\nHost: shop.example\r\n\r\n');
      assert.equal(r10.closed, true);
      assert.ok(r10.data.endsWith('\r\n\r\nhello world'), r10.data);
      assert.doesNotMatch(r10.data, /transfer-encoding/i);
    } finally {
      a.handler = b.handler = null;
    }
  });

  test('HEAD, 204 and 304 answers carry no body and keep the connection usable', async () => {
    a.handler = b.handler = (req, res) => {
      if (req.url === '/204') return void res.writeHead(204).end();
      if (req.url === '/304') return void res.writeHead(304, { etag: '"x"' }).end();
      res.writeHead(200, { 'content-length': 11 });
      res.end(req.method === 'HEAD' ? undefined : 'hello world');
    };
    try {
      const raw = await rawRequest(gw.port,
        'HEAD /h HTTP/1.1\r\nHost: shop.example\r\n\r\nGET /204 HTTP/1.1\r\nHost: shop.example\r\n\r\nGET /304 HTTP/1.1\r\nHost: shop.example\r\n\r\nGET /x HTTP/1.1\r\nHost: shop.example\r\n\r\n',
        { until: (d) => d.endsWith('hello world') });
      const statuses = [...raw.data.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
      assert.deepEqual(statuses, ['200', '204', '304', '200'], 'pipelined answers come in order');
      assert.match(raw.data, /content-length: 11\r\n/i);
      assert.equal(raw.data.split('hello world').length, 2, 'only the GET has a body');
    } finally {
      a.handler = b.handler = null;
    }
  });

  test('relays 100 Continue to a client that expects it', async () => {
    const result = await new Promise<{ continued: boolean; body: string }>((resolve, reject) => {
      let continued = false;
      const req = http.request({ host: '127.0.0.1', port: gw.port, method: 'POST', path: '/c', agent: false, headers: { host: 'shop.example', expect: '100-continue', 'content-length': 5 } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ continued, body: text }));
      });
      req.on('continue', () => {
        continued = true;
        req.end('hello');
      });
      req.on('error', reject);
    });
    assert.equal(result.continued, true);
    assert.equal(JSON.parse(result.body).bodyLength, 5);
  });

  test('refuses dot-segment paths that could route around a protected path', async () => {
    for (const path of ['/public/../admin', '/public/%2e%2e/admin', '/public/..%2Fadmin']) {
      const res = await rawRequest(gw.port, `GET ${path} HTTP/1.1\r\nHost: shop.example\r\n\r\n`);
      assert.equal(statusOf(res.data), 400, path);
    }
  });

  test('answers 404 when no rule matches', async () => {
    const res = await request(gw.port, { headers: { host: 'unknown.example' } });
    assert.equal(res.status, 404);
    assert.equal(res.body, '404 Not Found\n');
    assert.match(String(res.headers['content-type']), /^text\/plain/);
  });

  test('reuses upstream keep-alive connections', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let connections = 0;
    const onConnection = (): void => void connections++;
    a.server.on('connection', onConnection);
    b.server.on('connection', onConnection);
    try {
      for (let i = 0; i < 20; i++) await request(gw.port, { headers: { host: 'shop.example' }, agent });
      assert.ok(connections <= 2, `20 requests opened ${connections} upstream connections`);
    } finally {
      a.server.off('connection', onConnection);
      b.server.off('connection', onConnection);
      agent.destroy();
    }
  });

  test('a client abort cancels the upstream request', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    const requestSeen = new Promise<void>((resolve) => {
      a.handler = b.handler = (_req, res) => {
        res.writeHead(200);
        res.write('partial');
        res.on('close', () => upstreamClosed());
        resolve();
      };
    });
    try {
      const req = http.request({ host: '127.0.0.1', port: gw.port, path: '/slow', agent: false, headers: { host: 'shop.example' } });
      req.on('error', () => {});
      req.end();
      await requestSeen;
      req.destroy();
      await closed;
    } finally {
      a.handler = b.handler = null;
    }
  });

  test('backpressure: a client that does not read stops the upstream', async () => {
    let written = 0;
    let blocked!: () => void;
    const isBlocked = new Promise<void>((resolve) => (blocked = resolve));
    a.handler = b.handler = (_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = (): void => {
        while (written < 200 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            blocked();
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    };
    try {
      const req = http.request({ host: '127.0.0.1', port: gw.port, path: '/big', agent: false, headers: { host: 'shop.example' } });
      req.on('error', () => {});
      const response = await new Promise<http.IncomingMessage>((resolve) => {
        req.on('response', resolve);
        req.end();
      });
      response.pause();
      await isBlocked;
      // Give the pipeline time to fill every buffer, then check the upstream is held back.
      let last = -1;
      for (let i = 0; i < 50 && written !== last; i++) {
        last = written;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(written < 32 * 1024 * 1024, `upstream wrote ${written} bytes to a client reading nothing`);
      req.destroy();
    } finally {
      a.handler = b.handler = null;
    }
  });
});
