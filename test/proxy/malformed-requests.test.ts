// Request smuggling and malformed input: every request of this corpus must be refused (or accepted)
// by the gateway exactly as node:http refuses (or accepts) it: same status, same connection close.
// The gateway parses with the same llhttp, and this test proves the wiring keeps that strictness.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { webBackendFiles } from '../support/manifests.ts';
import { rawRequest, statusOf } from '../support/raw-client.ts';

const H = 'Host: x\r\n';
const corpus: Record<string, string> = {
  'valid GET': `GET / HTTP/1.1\r\n${H}\r\n`,
  'valid chunked POST': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  'Content-Length with Transfer-Encoding': `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  'two different Content-Lengths': `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`,
  'two equal Content-Lengths': `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`,
  'Content-Length list': `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello`,
  'negative Content-Length': `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`,
  'non-numeric Content-Length': `POST / HTTP/1.1\r\n${H}Content-Length: 1a\r\n\r\na`,
  'Transfer-Encoding xchunked': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  'Transfer-Encoding chunked, identity': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  'Transfer-Encoding twice': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  'space before colon': `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  'obs-fold line': `GET / HTTP/1.1\r\n${H}X-A: 1\r\n folded\r\n\r\n`,
  'leading space header line': `GET / HTTP/1.1\r\n${H} Transfer-Encoding: chunked\r\n\r\n`,
  'bare LF line endings': `GET / HTTP/1.1\n${H.replace('\r\n', '\n')}\n`,
  'bare CR in header value': `GET / HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`,
  'NUL in header value': `GET / HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`,
  'control char in header name': `GET / HTTP/1.1\r\n${H}X\x01A: a\r\n\r\n`,
  'bad chunk size': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
  'chunk size overflow': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n`,
  'chunk without CRLF after data': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n`,
  'chunk extension with control char': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;a=\x01\r\nhello\r\n0\r\n\r\n`,
  'valid chunk extension': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n0\r\n\r\n`,
  'oversized chunk extensions': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;${'a'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`,
  'space after chunk size': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n`,
  'invalid method': `G@T / HTTP/1.1\r\n${H}\r\n`,
  'HTTP/1.2': `GET / HTTP/1.2\r\n${H}\r\n`,
  'HTTP/2.0 over HTTP/1 framing': `GET / HTTP/2.0\r\n${H}\r\n`,
  'space in request target': `GET /a b HTTP/1.1\r\n${H}\r\n`,
  'oversized header': `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  'oversized URI': `GET /${'a'.repeat(20_000)} HTTP/1.1\r\n${H}\r\n`,
  'missing Host on HTTP/1.1': `GET / HTTP/1.1\r\nX-A: 1\r\n\r\n`,
  'HTTP/1.0 without Host': `GET / HTTP/1.0\r\n\r\n`,
  'garbage': `\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03`,
};

interface Outcome { status: number; closed: boolean }

async function outcome(port: number, payload: string): Promise<Outcome> {
  const result = await rawRequest(port, Buffer.from(payload, 'latin1'), { timeoutMs: 1500, until: (d) => /\r\n\r\n[\s\S]*ok$/.test(d) });
  const status = statusOf(result.data);
  // A keep-alive 200 that stays open is "not closed"; an error answer must close the connection.
  return { status, closed: result.closed };
}

describe('malformed requests are refused like node:http refuses them', () => {
  let gw: RunningGateway;
  let backend: TestBackend;
  let reference: http.Server;
  let referencePort: number;

  before(async () => {
    backend = await startBackend('ref');
    backend.handler = (_req, res) => {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    };
    gw = await startGateway(webBackendFiles(backend.port));
    // The reference: node:http with its defaults (strict parsing, 16 KiB headers, Host required).
    reference = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-length': 2 });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => reference.listen(0, '127.0.0.1', () => resolve()));
    referencePort = (reference.address() as net.AddressInfo).port;
  });
  after(async () => {
    await gw.close();
    await backend.close();
    reference.closeAllConnections();
    await new Promise((resolve) => reference.close(resolve));
  });

  for (const [name, payload] of Object.entries(corpus)) {
    test(name, async () => {
      const [expected, actual] = await Promise.all([outcome(referencePort, payload), outcome(gw.port, payload)]);
      assert.equal(actual.status, expected.status, `status: node:http ${expected.status}, gateway ${actual.status}`);
      if (expected.status >= 400) assert.equal(actual.closed, true, 'an error answer closes the connection');
    });
  }

  test('a duplicate Host header is refused with 400 (nginx does; node:http keeps the first)', async () => {
    const result = await rawRequest(gw.port, `GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n`);
    assert.equal(statusOf(result.data), 400);
    assert.equal(result.closed, true);
  });

  test('the gateway keeps serving after the whole corpus', async () => {
    const result = await outcome(gw.port, corpus['valid GET']!);
    assert.equal(result.status, 200);
  });
});
