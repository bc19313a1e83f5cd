// Upstream response heads as HTTP/1.1 clients receive them. The common head is copied from the upstream's
// bytes (no header strings): it must arrive byte for byte, minus the hop-by-hop lines, plus what the
// gateway adds (HSTS, Connection for HTTP/1.0 clients and closing). Heads outside that subset go through
// llhttp as before: Connection tokens honoured, chunked re-framing, heads split across reads, and every
// response llhttp refuses answered 502, whichever path saw it first.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { rawRequest, statusOf } from '../support/raw-client.ts';
import { rawUpstream, type RawUpstream } from '../support/raw-upstream.ts';
import { llhttp } from '../support/llhttp-reference.ts';
import { CertificateFactory } from '../translate/certs.ts';
import { tlsSecretYaml } from '../protocols/support/tls.ts';

/** What the upstream answers per path (the same head, without its body, for HEAD). */
const PLAIN_HEAD = 'HTTP/1.1 200 OK\r\nServer: raw\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n' +
  'X-Odd:\tspaced  value \r\nx-lower:tight\r\nETag: "a"\r\nContent-Length: 5\r\n\r\n';
/** PLAIN_HEAD as the client must receive it: the Connection and Keep-Alive lines gone, the rest untouched. */
const PLAIN_FORWARDED = 'HTTP/1.1 200 OK\r\nServer: raw\r\nContent-Type: text/plain\r\n' +
  'X-Odd:\tspaced  value \r\nx-lower:tight\r\nETag: "a"\r\nContent-Length: 5\r\n';

/** Responses llhttp refuses (or frames ambiguously): each must reach the client as 502, never forwarded. */
const REFUSED: Record<string, string> = {
  'two different Content-Lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!',
  'Content-Length list': 'HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok',
  'Content-Length with Transfer-Encoding': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
  'non-numeric Content-Length': 'HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok',
  'space before colon': 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok',
  'NUL in a value': 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok',
  'bare CR in a value': 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok',
  'control character in a name': 'HTTP/1.1 200 OK\r\nX\x01A: a\r\nContent-Length: 2\r\n\r\nok',
  'bad status line': 'HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok',
  'Transfer-Encoding not chunked last': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 2\r\n\r\nok',
};

describe('response heads forwarded to HTTP/1.1 clients', () => {
  const certs = new CertificateFactory();
  let upstream: RawUpstream;
  let gw: RunningGateway;
  let httpsPort: number;
  let caPem: string;

  before(async () => {
    upstream = await rawUpstream((path, socket, method) => {
      const body = method === 'HEAD' ? '' : undefined;
      switch (path) {
        case '/plain': return void socket.write(PLAIN_HEAD + (body ?? 'hello'));
        case '/close': return void socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n' + (body ?? 'ok'));
        case '/204': return void socket.write('HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n');
        case '/304': return void socket.write('HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n');
        case '/empty': return void socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
        case '/listed': return void socket.write('HTTP/1.1 200 OK\r\nConnection: x-secret\r\nX-Secret: 1\r\nX-Kept: 2\r\nContent-Length: 2\r\n\r\nok');
        case '/chunked': return void socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
        case '/stray': return void socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil');
        case '/split':
          // The head arrives in two reads: llhttp gathers it.
          socket.write('HTTP/1.1 200 OK\r\nContent-Le');
          setTimeout(() => socket.write('ngth: 2\r\n\r\nok'), 30);
          return;
        case '/big': return void socket.write('HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n' + 'b'.repeat(20_000));
        default: {
          const name = decodeURIComponent(path.slice('/refused/'.length));
          return void socket.end(REFUSED[name] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        }
      }
    });
    const pair = certs.create('heads.test');
    caPem = pair.certPem;
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'raw', endpoints: [['127.0.0.1', upstream.port]] }),
      'secret.yaml': tlsSecretYaml('heads', pair),
      'ing.yaml': ingressYaml({
        name: 'heads', host: 'heads.test', paths: [{ path: '/', service: 'raw' }],
        tls: [{ hosts: ['heads.test'], secretName: 'heads' }],
        annotations: { 'tideway.dev/hsts': 'max-age=600', 'tideway.dev/ssl-redirect': 'false' },
      }),
      'mw.yaml': ingressYaml({ name: 'mw', host: 'mw.test', paths: [{ path: '/', service: 'raw' }], annotations: { 'tideway.dev/cors-allow-origin': '*' } }),
    }, ['--https-port', '0']);
    httpsPort = gw.gateway.ports!.https!;
  });
  after(async () => {
    await gw.close();
    await upstream.close();
    certs.dispose();
  });

  const get = (path: string, extra = '', method = 'GET', version = '1.1', host = 'heads.test'): string =>
    `${method} ${path} HTTP/${version}\r\nHost: ${host}\r\n${extra}\r\n`;

  test('a plain head arrives byte for byte, without its hop-by-hop lines, with its body in order', async () => {
    const res = await rawRequest(gw.port, get('/plain'), { until: (d) => d.endsWith('hello') });
    assert.equal(res.data, PLAIN_FORWARDED + '\r\nhello');
  });

  test('keep-alive: several answers on one client connection, over one reused upstream connection', async () => {
    const before = upstream.connections();
    const res = await rawRequest(gw.port, [get('/plain'), get('/204'), get('/304'), get('/empty'), get('/plain')], { until: (d) => d.split('hello').length === 3 });
    assert.equal(res.data, PLAIN_FORWARDED + '\r\nhello' + 'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n' +
      'HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n' + 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' + PLAIN_FORWARDED + '\r\nhello');
    assert.ok(upstream.connections() - before <= 1, 'the upstream connection was reused');
  });

  test('HEAD: the head with the upstream Content-Length, no body, and the connection goes on', async () => {
    const res = await rawRequest(gw.port, [get('/plain', '', 'HEAD'), get('/empty')], { until: (d) => d.split('HTTP/1.1 200').length === 3 });
    assert.equal(res.data, PLAIN_FORWARDED + '\r\n' + 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });

  test('HTTP/1.0 clients: Connection: keep-alive when they asked for it, else Connection: close and the end', async () => {
    const kept = await rawRequest(gw.port, get('/plain', 'Connection: keep-alive\r\n', 'GET', '1.0'), { until: (d) => d.endsWith('hello') });
    assert.equal(kept.data, PLAIN_FORWARDED + 'Connection: keep-alive\r\n\r\nhello');
    const closed = await rawRequest(gw.port, get('/plain', '', 'GET', '1.0'));
    assert.equal(closed.data, PLAIN_FORWARDED + 'Connection: close\r\n\r\nhello');
    assert.equal(closed.closed, true);
  });

  test('a client asking to close gets Connection: close; an upstream closing does not close the client', async () => {
    const res = await rawRequest(gw.port, get('/plain', 'Connection: close\r\n'));
    assert.equal(res.data, PLAIN_FORWARDED + 'Connection: close\r\n\r\nhello');
    const before = upstream.connections();
    const three = await rawRequest(gw.port, [get('/close'), get('/close'), get('/close')], { until: (d) => d.split('ok').length === 4 });
    assert.equal(three.data, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'.repeat(3));
    assert.equal(three.closed, false);
    // The first may reuse a pooled connection; each after a "close" needs a new one.
    assert.ok(upstream.connections() - before >= 2, 'an upstream connection that said close is not reused');
  });

  test('HTTPS: Strict-Transport-Security is added to the copied head', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: httpsPort, servername: 'heads.test', ca: caPem, ALPNProtocols: ['http/1.1'] });
    try {
      let data = '';
      await new Promise<void>((resolve, reject) => {
        socket.on('secureConnect', () => socket.write(get('/plain')));
        socket.on('data', (chunk: Buffer) => {
          data += chunk.toString('latin1');
          if (data.endsWith('hello')) resolve();
        });
        socket.on('error', reject);
      });
      assert.equal(data, PLAIN_FORWARDED + 'Strict-Transport-Security: max-age=600\r\n\r\nhello');
    } finally {
      socket.destroy();
    }
  });

  test('a Connection header naming other headers: those are removed (llhttp path)', async () => {
    const res = await rawRequest(gw.port, get('/listed'), { until: (d) => d.endsWith('ok') });
    assert.equal(res.data, 'HTTP/1.1 200 OK\r\nX-Kept: 2\r\nContent-Length: 2\r\n\r\nok');
  });

  test('chunked answers are re-framed; heads split across reads and large bodies arrive whole', async () => {
    const chunked = await rawRequest(gw.port, get('/chunked'), { until: (d) => d.endsWith('0\r\n\r\n') });
    assert.equal(chunked.data, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
    const split = await rawRequest(gw.port, get('/split'), { until: (d) => d.endsWith('ok') });
    assert.equal(split.data, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const big = await rawRequest(gw.port, get('/big'), { until: (d) => d.length >= 20_000 + 40 });
    assert.equal(big.data, 'HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n' + 'b'.repeat(20_000));
  });

  test('bytes after a complete answer are never taken for the next one: that upstream connection is dropped', async () => {
    const first = await rawRequest(gw.port, get('/stray'), { until: (d) => d.endsWith('ok') });
    assert.equal(first.data, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const before = upstream.connections();
    const next = await rawRequest(gw.port, get('/plain'), { until: (d) => d.endsWith('hello') });
    assert.equal(next.data, PLAIN_FORWARDED + '\r\nhello');
    assert.equal(upstream.connections() - before, 1, 'a new upstream connection');
  });

  test('a route with a middleware chain gets the same head through its response phase', async () => {
    const res = await rawRequest(gw.port, get('/plain', 'Origin: https://a.example\r\n', 'GET', '1.1', 'mw.test'), { until: (d) => d.endsWith('hello') });
    assert.equal(statusOf(res.data), 200);
    assert.match(res.data, /\r\naccess-control-allow-origin: \*\r\n/i);
    assert.match(res.data, /\r\nX-Odd: spaced {2}value\r\n/);
    assert.doesNotMatch(res.data, /keep-alive/i);
  });

  for (const [name, response] of Object.entries(REFUSED)) {
    test(`refused as llhttp refuses it: ${name}`, async () => {
      assert.equal(llhttp(Buffer.from(response, 'latin1')).ok, false, 'the reference refuses it');
      const res = await rawRequest(gw.port, get(`/refused/${encodeURIComponent(name)}`), { until: (d) => d.includes('\r\n\r\n') });
      assert.equal(statusOf(res.data), 502);
      assert.doesNotMatch(res.data, /ok/, 'nothing of the answer reached the client');
    });
  }

  test('the gateway still serves after every refused answer', async () => {
    const res = await rawRequest(gw.port, get('/plain'), { until: (d) => d.endsWith('hello') });
    assert.equal(res.data, PLAIN_FORWARDED + '\r\nhello');
  });
});

