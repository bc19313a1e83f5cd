// HTTP/1.1 response heads as HTTP/2 clients receive them. The common head is read from the upstream's
// bytes (proxy/http2/head-fields.ts), any other through llhttp: both must give the same fields, names
// lower-case, hop-by-hop ones dropped, repeated names combined (Set-Cookie kept apart), and every
// response llhttp refuses answered 502.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http2 from 'node:http2';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { rawUpstream, type RawUpstream } from '../support/raw-upstream.ts';
import { h2Connect, h2Request } from './support/h2.ts';

const FIELDS = 'Server: raw\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n' +
  'X-Odd:\tspaced  value \r\nx-lower:tight\r\nETag: "a"\r\nSet-Cookie: a=1\r\nX-Multi: one\r\nset-cookie: b=2\r\nx-multi: two\r\n';

/** The upstream's answers: the same fields in a head the scanner takes, and in one it leaves to llhttp. */
const ANSWERS: Record<string, string> = {
  '/scanned': `HTTP/1.1 200 OK\r\n${FIELDS}Content-Length: 5\r\n\r\nhello`,
  // Chunked framing is outside the scanner's subset.
  '/parsed': `HTTP/1.1 200 OK\r\n${FIELDS}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  '/204': 'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n',
  '/304': 'HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n',
  '/two-lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!',
  '/nul': 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok',
  '/space-before-colon': 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok',
};

describe('HTTP/2 clients, HTTP/1.1 upstream: response heads', () => {
  let upstream: RawUpstream;
  let gw: RunningGateway;
  let session: http2.ClientHttp2Session;

  before(async () => {
    upstream = await rawUpstream((path, socket, method) => {
      const answer = ANSWERS[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
      // A HEAD answer is the head alone.
      socket.write(method === 'HEAD' ? answer.slice(0, answer.indexOf('\r\n\r\n') + 4) : answer);
    });
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'raw', endpoints: [['127.0.0.1', upstream.port]] }),
      'ing.yaml': [
        ingressYaml({ name: 'heads', host: 'heads.test', paths: [{ path: '/', service: 'raw' }] }),
        ingressYaml({ name: 'mw', host: 'mw.test', paths: [{ path: '/', service: 'raw' }], annotations: { 'tideway.dev/cors-allow-origin': '*' } }),
      ].join('---\n'),
    });
    session = await h2Connect(gw.port);
  });
  after(async () => {
    session.close();
    await gw.close();
    await upstream.close();
  });

  const get = (path: string, authority = 'heads.test', method = 'GET') => h2Request(session, { ':authority': authority, ':path': path, ':method': method });

  function assertFields(headers: http2.IncomingHttpHeaders, label: string): void {
    assert.equal(headers['server'], 'raw', label);
    assert.equal(headers['content-type'], 'text/plain', label);
    assert.equal(headers['x-odd'], 'spaced  value', label);
    assert.equal(headers['x-lower'], 'tight', label);
    assert.equal(headers['etag'], '"a"', label);
    assert.deepEqual(headers['set-cookie'], ['a=1', 'b=2'], label);
    assert.equal(headers['x-multi'], 'one, two', label);
    assert.equal(headers['connection'], undefined, label);
    assert.equal(headers['keep-alive'], undefined, label);
    assert.equal(headers['transfer-encoding'], undefined, label);
  }

  test('a scanned head and a parsed one give the same fields and body', async () => {
    const scanned = await get('/scanned');
    assert.equal(scanned.status, 200);
    assertFields(scanned.headers, 'scanned');
    assert.equal(scanned.headers['content-length'], '5');
    assert.equal(scanned.body, 'hello');
    const parsed = await get('/parsed');
    assert.equal(parsed.status, 200);
    assertFields(parsed.headers, 'parsed');
    assert.equal(parsed.body, 'hello');
  });

  test('HEAD, 204 and 304: the head alone, and the stream ends', async () => {
    const head = await get('/scanned', 'heads.test', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '5');
    assert.equal(head.body, '');
    const noContent = await get('/204');
    assert.equal(noContent.status, 204);
    assert.equal(noContent.headers['x-a'], '1');
    const notModified = await get('/304');
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers['etag'], '"a"');
  });

  test('with a middleware chain the scanned fields reach the response phase and the client', async () => {
    const res = await h2Request(session, { ':authority': 'mw.test', ':path': '/scanned', origin: 'https://app.test' });
    assert.equal(res.status, 200);
    assertFields(res.headers, 'chain');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.body, 'hello');
  });

  for (const path of ['/two-lengths', '/nul', '/space-before-colon']) {
    test(`a head llhttp refuses is a 502 (${path}), and the session goes on`, async () => {
      const res = await get(path);
      assert.equal(res.status, 502);
      assert.equal((await get('/scanned')).body, 'hello');
    });
  }
});
