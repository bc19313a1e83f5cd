// Content-Length bodies of 8 KiB and more are read past llhttp, and plain-TCP upstream connections read
// into a buffer they reuse while the client takes every byte at once. These tests pin down what that
// must never change: bytes arrive intact and in order, also for slow clients (the buffer must then not
// be reused), on reused connections, through a middleware chain and to HTTP/2 clients; a body cut
// short or followed by stray bytes never poisons a pooled connection; pipelined requests stay framed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { createHash, randomBytes } from 'node:crypto';
import { startGateway, request, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { rawRequest, statusOf } from '../support/raw-client.ts';
import { rawUpstream, type RawUpstream } from '../support/raw-upstream.ts';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * GET through a keep-alive agent; `slow` pauses the response now and then, so writes back up. `tls`: over
 * the gateway's HTTPS port (its self-signed certificate), where the gateway's writes complete later.
 */
function download(port: number, path: string, agent: http.Agent | false, host = 'big.test', slow = false, tls = false): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, agent, headers: { host } };
    const get = tls ? (callback: (res: http.IncomingMessage) => void) => https.get({ ...options, servername: host, rejectUnauthorized: false }, callback) : (callback: (res: http.IncomingMessage) => void) => http.get(options, callback);
    const req = get((res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        // Long enough for the kernel's socket buffers to fill, so the gateway's writes back up.
        if (slow && (chunks.length === 1 || chunks.length % 16 === 0)) {
          res.pause();
          setTimeout(() => res.resume(), chunks.length === 1 ? 200 : 10);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe('large bodies', () => {
  const bodies = new Map<string, Buffer>();
  let backend: TestBackend;
  let raw: RawUpstream;
  let gw: RunningGateway;

  before(async () => {
    for (const size of [1024, 8 * 1024, 100_000, 1024 * 1024, 5 * 1024 * 1024]) bodies.set(`/${size}`, randomBytes(size));
    backend = await startBackend('big');
    backend.handler = (req, res, received) => {
      if (req.method === 'POST') return res.end(`${received.length} ${sha(received)}`);
      const body = bodies.get(req.url!)!;
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    };
    const full = randomBytes(100_000);
    bodies.set('raw', full);
    raw = await rawUpstream((path, socket) => {
      const head = `HTTP/1.1 200 OK\r\nContent-Length: ${full.length}\r\n\r\n`;
      if (path === '/cut') {
        socket.write(head);
        socket.end(full.subarray(0, 50_000));
      } else if (path === '/stray') {
        socket.write(Buffer.concat([Buffer.from(head), full, Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')]));
      } else {
        socket.write(Buffer.concat([Buffer.from(head), full]));
      }
    });
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'big', endpoints: [['127.0.0.1', backend.port]] }),
      'raw.yaml': serviceYaml({ name: 'raw', endpoints: [['127.0.0.1', raw.port]] }),
      'ing.yaml': ingressYaml({ name: 'big', host: 'big.test', paths: [{ path: '/', service: 'big' }] }),
      'mw.yaml': ingressYaml({ name: 'mw', host: 'mw.test', paths: [{ path: '/', service: 'big' }], annotations: { 'tideway.dev/cors-allow-origin': '*' } }),
      'raw-ing.yaml': ingressYaml({ name: 'raw', host: 'raw.test', paths: [{ path: '/', service: 'raw' }] }),
    }, ['--https-port', '0']);
  });
  after(async () => {
    await gw.close();
    await backend.close();
    await raw.close();
  });

  test('responses arrive intact, one after another on a reused connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const path of ['/8192', '/100000', '/1048576', '/5242880', '/100000', '/8192']) {
        const res = await download(gw.port, path, agent);
        assert.equal(res.status, 200);
        assert.equal(sha(res.body), sha(bodies.get(path)!), path);
      }
    } finally {
      agent.destroy();
    }
  });

  test('slow clients, many at once: no read buffer is reused while a client still holds its bytes', async () => {
    const paths = ['/1048576', '/100000', '/5242880', '/1048576', '/100000', '/1048576', '/5242880', '/100000'];
    const results = await Promise.all(paths.map((path, i) => download(gw.port, path, false, 'big.test', i % 2 === 0)));
    results.forEach((res, i) => assert.equal(sha(res.body), sha(bodies.get(paths[i]!)!), `download ${i} (${paths[i]})`));
  });

  test('through a middleware chain, whose response phase holds the body', async () => {
    const results = await Promise.all(['/1048576', '/100000'].map((path) => download(gw.port, path, false, 'mw.test', true)));
    assert.equal(sha(results[0]!.body), sha(bodies.get('/1048576')!));
    assert.equal(sha(results[1]!.body), sha(bodies.get('/100000')!));
  });

  test('to HTTPS clients, whose TLS writes complete later: small answers copied, large ones held until written', async () => {
    const httpsPort = gw.gateway.ports!.https!;
    const paths = ['/1024', '/5242880', '/8192', '/1048576', '/1024', '/100000', '/5242880', '/8192', '/1024', '/1048576'];
    const results = await Promise.all(paths.map((path, i) => download(httpsPort, path, false, 'big.test', i % 3 === 1, true)));
    results.forEach((res, i) => assert.equal(sha(res.body), sha(bodies.get(paths[i]!)!), `download ${i} (${paths[i]})`));
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const path of ['/1024', '/1048576', '/1024', '/8192', '/100000', '/1024']) {
        const res = await download(httpsPort, path, agent, 'big.test', path === '/1048576', true);
        assert.equal(sha(res.body), sha(bodies.get(path)!), `${path} on a reused connection`);
      }
    } finally {
      agent.destroy();
    }
  });

  test('to HTTP/2 clients, whose streams write asynchronously', async () => {
    const session = http2.connect(`http://127.0.0.1:${gw.port}`);
    try {
      const fetch = (path: string): Promise<Buffer> => new Promise((resolve, reject) => {
        const stream = session.request({ ':path': path, ':authority': 'big.test' });
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => resolve(Buffer.concat(chunks)));
        stream.on('error', reject);
      });
      const got = await Promise.all(['/5242880', '/1048576', '/100000'].map(fetch));
      assert.equal(sha(got[0]!), sha(bodies.get('/5242880')!));
      assert.equal(sha(got[1]!), sha(bodies.get('/1048576')!));
      assert.equal(sha(got[2]!), sha(bodies.get('/100000')!));
    } finally {
      session.close();
    }
  });

  test('a body cut short by the upstream cuts the client connection; the next request is served', async () => {
    const cut = await rawRequest(gw.port, 'GET /cut HTTP/1.1\r\nHost: raw.test\r\n\r\n', { timeoutMs: 5000 });
    assert.equal(statusOf(cut.data), 200);
    assert.ok(cut.closed, 'the client connection is closed');
    assert.ok(cut.data.length < 50_000 + 200, 'no more than the upstream sent');
    const next = await download(gw.port, '/whole', false, 'raw.test');
    assert.equal(sha(next.body), sha(bodies.get('raw')!));
  });

  test('bytes after a complete body are not taken for the next answer: that connection is dropped', async () => {
    const before = raw.connections();
    const first = await download(gw.port, '/stray', false, 'raw.test');
    assert.equal(sha(first.body), sha(bodies.get('raw')!));
    for (let i = 0; i < 3; i++) {
      const next = await download(gw.port, '/whole', false, 'raw.test');
      assert.equal(sha(next.body), sha(bodies.get('raw')!), `request ${i} after the stray bytes`);
    }
    assert.ok(raw.connections() > before, 'a new upstream connection replaced the one with stray bytes');
  });

  test('pipelined Content-Length uploads stay framed, in one write and byte by byte', async () => {
    const one = randomBytes(200_000);
    const two = randomBytes(9_000);
    const head = (body: Buffer): Buffer => Buffer.from(`POST /up HTTP/1.1\r\nHost: big.test\r\nContent-Length: ${body.length}\r\n\r\n`);
    const wire = Buffer.concat([head(one), one, head(two), two, Buffer.from('GET /8192 HTTP/1.1\r\nHost: big.test\r\n\r\n')]);
    const expected = [`${one.length} ${sha(one)}`, `${two.length} ${sha(two)}`];
    const done = (data: string): boolean => expected.every((e) => data.includes(e)) && data.split('HTTP/1.1 200').length === 4;
    const whole = await rawRequest(gw.port, wire, { until: done, timeoutMs: 10_000 });
    assert.ok(done(whole.data), 'both uploads and the GET answered in one write');
    const pieces: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 7_001) pieces.push(wire.subarray(i, i + 7_001));
    const split = await rawRequest(gw.port, pieces, { until: done, timeoutMs: 10_000 });
    assert.ok(done(split.data), 'both uploads and the GET answered when written in pieces');
    assert.ok(whole.data.indexOf(expected[0]!) < whole.data.indexOf(expected[1]!), 'answers in request order');
  });

  test('an upload larger than proxy-body-size still gets 413 and the connection closes', async () => {
    await gw.writeManifest('limit.yaml', ingressYaml({ name: 'limit', host: 'limit.test', paths: [{ path: '/', service: 'big' }], annotations: { 'tideway.dev/proxy-body-size': '64k' } }));
    const body = randomBytes(300_000);
    const res = await request(gw.port, { method: 'POST', path: '/up', headers: { host: 'limit.test', 'content-length': body.length }, body }).catch((err: Error) => ({ status: 0, body: err.message }));
    assert.equal(res.status, 413);
  });
});
