// The response-head scanner must never accept a head llhttp would refuse or frame differently: every head
// it takes, llhttp (strict, as the upstream connection runs it) also takes, with the same status, the same
// keep-alive verdict, the same body length, and the same header fields once hop-by-hop ones are removed.
// A corpus of real and nasty heads, then generated ones (fast-check), run through both.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ResponseHeadScan, classifyHeader, contentLength, H_HOP } from '../../src/http1/index.ts';
import { llhttp } from '../support/llhttp-reference.ts';
import { fieldListFromHead } from '../../src/proxy/http2/head-fields.ts';
import { responseFields } from '../../src/proxy/http2/to-http1.ts';
import { asResponseFields } from '../../src/proxy/http2/fields.ts';

/** The header fields the scanner forwards: its kept lines, split as name and OWS-trimmed value. */
function keptFields(scan: ResponseHeadScan, data: Buffer): string[] {
  let kept = '';
  let from = scan.linesStart;
  for (let i = 0; i < scan.droppedLines; i++) {
    kept += data.toString('latin1', from, scan.dropped[i * 2]);
    from = scan.dropped[i * 2 + 1]!;
  }
  kept += data.toString('latin1', from, scan.headEnd - 2);
  const fields: string[] = [];
  for (const line of kept.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    fields.push(line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ''));
  }
  return fields;
}

function withoutHopByHop(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if ((classifyHeader(headers[i]!) & H_HOP) === 0) out.push(headers[i]!, headers[i + 1]!.replace(/[ \t]+$/, ''));
  return out;
}

const scanner = new ResponseHeadScan();

/**
 * Scans `head`; when the scanner takes it, asserts that llhttp agrees, fed the head and the body the
 * scanner framed (for the completion check). Returns whether the scanner took it.
 */
function compare(text: string): boolean {
  const data = Buffer.from(text, 'latin1');
  if (!scanner.scan(data)) return false;
  // What follows an empty line is not the head's (generated heads may hold one early).
  const bytes = data.subarray(0, scanner.headEnd);
  const head = bytes.toString('latin1');
  const label = JSON.stringify(head);
  assert.ok(head.endsWith('\r\n\r\n'), `head end of ${label}`);
  const length = scanner.contentLength;
  // Huge lengths are compared as llhttp read them rather than by sending the body.
  const sent = length > 0 && length <= 65_536 ? length : 0;
  const reference = llhttp(Buffer.concat([bytes, Buffer.alloc(sent, 0x61)]));
  assert.ok(reference.ok, `scanner took a head llhttp refuses: ${label}`);
  assert.equal(scanner.status, reference.status, `status of ${label}`);
  assert.equal(scanner.keepAlive, reference.keepAlive, `keep-alive of ${label}`);
  assert.equal(contentLength(reference.headers), length, `Content-Length of ${label}`);
  if (length === sent) assert.equal(reference.bodyBytes, Math.max(length, 0), `body framing of ${label}`);
  assert.deepEqual(keptFields(scanner, bytes), withoutHopByHop(reference.headers), `forwarded fields of ${label}`);
  // HTTP/2 clients: the fields read from the bytes are those built from llhttp's strings, values without
  // trailing whitespace (llhttp keeps it; RFC 9110 5.5 says it is not part of the value).
  const trimmed = reference.headers.map((v, i) => (i % 2 === 1 ? v.replace(/[ \t]+$/, '') : v));
  const fromBytes = fieldListFromHead(scanner, bytes);
  assert.deepEqual(asResponseFields(fromBytes), responseFields(reference.status, trimmed).fields, `HTTP/2 fields of ${label}`);
  return true;
}

const NGINX = 'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 06 Dec 2026 09:16:00 GMT\r\nContent-Type: application/octet-stream\r\nContent-Length: 1024\r\nLast-Modified: Sun, 06 Dec 2026 08:00:00 GMT\r\nConnection: keep-alive\r\nETag: "6752c8a0-400"\r\nAccept-Ranges: bytes\r\n\r\n';

/** Heads and whether the scanner takes them (false: llhttp judges them, as before). */
const corpus: [string, string, boolean][] = [
  ['nginx static file', NGINX, true],
  ['node:http', 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-backend: a\r\nDate: x\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30\r\nContent-Length: 2\r\n\r\n', true],
  ['Connection: close', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n', true],
  ['Connection: CLOSE', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: CLOSE\r\n\r\n', true],
  ['Connection: keep-alive and close', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n', true],
  ['TE and Trailer dropped', 'HTTP/1.1 200 OK\r\nTE: trailers\r\nTrailer: x\r\nContent-Length: 0\r\n\r\n', true],
  ['empty reason', 'HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n', true],
  ['204 without length', 'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n', true],
  ['304 without length', 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n', true],
  ['Content-Length 0', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true],
  ['leading zeros', 'HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n', true],
  ['tab before value', 'HTTP/1.1 200 OK\r\nContent-Length:\t3\r\nX-A:\tb c\r\n\r\n', true],
  ['obs-text in value', 'HTTP/1.1 200 OK\r\nX-A: caf\xe9\r\nContent-Length: 1\r\n\r\n', true],
  ['empty value', 'HTTP/1.1 200 OK\r\nX-A:\r\nX-B: \r\nContent-Length: 1\r\n\r\n', true],
  ['trailing space in value', 'HTTP/1.1 200 OK\r\nX-A: b  \r\nContent-Length: 1\r\n\r\n', true],
  ['status 599', 'HTTP/1.1 599 Odd\r\nContent-Length: 1\r\n\r\n', true],
  ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', false],
  ['close-delimited', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n', false],
  ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', false],
  ['two equal Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n', false],
  ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', false],
  ['Content-Length list', 'HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n', false],
  ['negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', false],
  ['Content-Length with trailing space', 'HTTP/1.1 200 OK\r\nContent-Length: 5 \r\n\r\n', false],
  ['Content-Length plus sign', 'HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n', false],
  ['huge Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n', false],
  ['empty Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n', false],
  ['204 with Content-Length', 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n', false],
  ['304 with Content-Length', 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n', false],
  ['100 Continue', 'HTTP/1.1 100 Continue\r\n\r\n', false],
  ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', false],
  ['Upgrade on 200', 'HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n', false],
  ['Connection: upgrade', 'HTTP/1.1 200 OK\r\nConnection: upgrade\r\nContent-Length: 0\r\n\r\n', false],
  ['Connection naming a header', 'HTTP/1.1 200 OK\r\nConnection: x-a\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n', false],
  ['Connection list', 'HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n', false],
  ['Proxy-Connection', 'HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 0\r\n\r\n', false],
  ['HTTP/1.0', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false],
  ['HTTP/2.0', 'HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n', false],
  ['lower-case version', 'http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', false],
  ['no reason, no space', 'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n', false],
  ['two-digit status', 'HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n', false],
  ['four-digit status', 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n', false],
  ['status 600', 'HTTP/1.1 600 OK\r\nContent-Length: 0\r\n\r\n', false],
  ['bare LF line endings', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n', false],
  ['bare LF after headers', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n', false],
  ['bare CR in value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n', false],
  ['bare CR in reason', 'HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n', false],
  ['NUL in value', 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n', false],
  ['DEL in value', 'HTTP/1.1 200 OK\r\nX-A: a\x7fb\r\nContent-Length: 0\r\n\r\n', false],
  ['control char in name', 'HTTP/1.1 200 OK\r\nX\x01A: a\r\nContent-Length: 0\r\n\r\n', false],
  ['space before colon', 'HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n', false],
  ['space in name', 'HTTP/1.1 200 OK\r\nX A: 1\r\nContent-Length: 0\r\n\r\n', false],
  ['empty name', 'HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 0\r\n\r\n', false],
  ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n', false],
  ['leading space line', 'HTTP/1.1 200 OK\r\n Content-Length: 5\r\nContent-Length: 0\r\n\r\n', false],
  ['line without colon', 'HTTP/1.1 200 OK\r\nX-A\r\nContent-Length: 0\r\n\r\n', false],
  ['head cut short', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n', false],
  ['head cut in a line', 'HTTP/1.1 200 OK\r\nContent-Le', false],
  ['oversized head', `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(9000)}\r\nContent-Length: 0\r\n\r\n`, false],
  ['many hop-by-hop lines', `HTTP/1.1 200 OK\r\n${'Keep-Alive: x\r\n'.repeat(9)}Content-Length: 0\r\n\r\n`, false],
];

describe('response head scanner against llhttp', () => {
  for (const [name, head, taken] of corpus) {
    test(`${name}: ${taken ? 'taken, and llhttp agrees' : 'left to llhttp'}`, () => {
      assert.equal(compare(head), taken);
      if (taken) assert.equal(scanner.headEnd, Buffer.byteLength(head, 'latin1'));
    });
  }

  test('the scanner reuses one structure: a refused head after an accepted one leaves no trace in the verdict', () => {
    assert.equal(compare(NGINX), true);
    assert.equal(scanner.droppedLines, 1);
    assert.equal(compare('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), false);
    assert.equal(compare('HTTP/1.1 204 No Content\r\n\r\n'), true);
    assert.equal(scanner.droppedLines, 0);
    assert.equal(scanner.contentLength, -1);
  });

  test('generated heads, nasty pieces included: whatever the scanner takes, llhttp takes and frames the same', () => {
    const statusLine = fc.oneof(
      fc.constantFrom('HTTP/1.1 200 OK', 'HTTP/1.1 204 No Content', 'HTTP/1.1 304 Not Modified', 'HTTP/1.1 404 ', 'HTTP/1.1 100 Continue',
        'HTTP/1.1 101 Switching', 'HTTP/1.0 200 OK', 'HTTP/1.1 200', 'HTTP/1.1  200 OK', 'HTTP/1.1 200 O\tK', 'HTTP/1.1 200 O\rK', 'HTTP/1.1 200 O\x00K'),
      fc.tuple(fc.integer({ min: 0, max: 999 }), fc.string({ maxLength: 6 })).map(([s, r]) => `HTTP/1.1 ${String(s).padStart(3, '0')} ${r}`),
    );
    const name = fc.oneof(
      fc.constantFrom('Content-Length', 'content-length', 'CONTENT-LENGTH', 'Transfer-Encoding', 'Connection', 'connection', 'Keep-Alive', 'TE', 'Trailer',
        'Upgrade', 'Proxy-Connection', 'X-A', 'Content-Length ', ' Content-Length', 'Content\x00Length', 'X\x7fA', 'Date', ''),
      fc.string({ minLength: 1, maxLength: 5 }),
    );
    const value = fc.oneof(
      fc.constantFrom('0', '5', '05', '5 ', ' 5', '5, 5', '-1', '+5', '', 'close', 'keep-alive', 'Keep-Alive', 'close ', 'upgrade', 'chunked', 'x-a',
        'a\rb', 'a\nb', 'a\x00b', 'caf\xe9', '\t1', '99999999999999999999'),
      fc.string({ maxLength: 6 }),
      fc.integer({ min: 0, max: 40 }).map(String),
    );
    const line = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(name, fc.constantFrom(':', ': ', ':\t', ' :'), value).map(([n, c, v]) => n + c + v) },
      { weight: 1, arbitrary: fc.constantFrom(' folded', '\tfolded', 'no colon', '') },
    );
    const eol = fc.oneof({ weight: 12, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '\r\r\n') });
    const head = fc.tuple(statusLine, eol, fc.array(fc.tuple(line, eol), { maxLength: 8 }), eol)
      .map(([s, e, lines, end]) => s + e + lines.map(([l, le]) => l + le).join('') + end);
    let taken = 0;
    fc.assert(fc.property(head, (h) => {
      if (compare(h)) taken++;
    }), { numRuns: 20_000, seed: 11 });
    // The generator must reach the subset often enough for the comparison to mean something.
    assert.ok(taken > 200, `only ${taken} generated heads were inside the subset`);
  });
});
