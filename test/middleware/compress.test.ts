import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { chooseEncoding } from '../../src/middleware/builtin/accept-encoding.ts';
import { createSyncCompressor } from '../../src/middleware/builtin/sync-compressor.ts';
import type { Context } from '../../src/middleware/types.ts';
import { deliveredBody, fakeUpstream, run, type TestRequest, type UpstreamReply } from '../support/context.ts';
import { chainOf, configError } from './helpers.ts';

const html = Buffer.from('<!doctype html><p>hello compression</p>\n'.repeat(200));

function decode(encoding: string | undefined, body: Buffer): Buffer {
  if (encoding === 'gzip') return zlib.gunzipSync(body);
  if (encoding === 'br') return zlib.brotliDecompressSync(body);
  return body;
}

async function fetchThrough(req: TestRequest, reply: UpstreamReply, config: Record<string, unknown> = {}) {
  const ctx = await run(chainOf('compress', config), req, fakeUpstream(reply));
  return ctx;
}

describe('accept-encoding', () => {
  it('highest q wins, ties go to the server preference, q=0 refuses, * covers the rest', () => {
    const pref = ['br', 'gzip'] as const;
    assert.equal(chooseEncoding('gzip, deflate, br', pref), 'br');
    assert.equal(chooseEncoding('gzip;q=1, br;q=0.5', pref), 'gzip');
    assert.equal(chooseEncoding('br;q=0, gzip;q=0.1', pref), 'gzip');
    assert.equal(chooseEncoding('*', pref), 'br');
    assert.equal(chooseEncoding('*;q=0.5, br;q=0', pref), 'gzip');
    assert.equal(chooseEncoding('identity', pref), null);
    assert.equal(chooseEncoding('gzip;q=0', pref), null);
    assert.equal(chooseEncoding('x-gzip', pref), 'gzip');
    assert.equal(chooseEncoding('GZIP ; Q=0.8', pref), 'gzip');
    assert.equal(chooseEncoding('gzip;q=abc', pref), null, 'an unreadable q is treated as 0');
    assert.equal(chooseEncoding(undefined, pref), null);
    assert.equal(chooseEncoding('', pref), null);
    assert.equal(chooseEncoding('br, gzip', ['gzip']), 'gzip');
  });
});

describe('sync compressor', () => {
  it('streams chunk by chunk: each write is decodable so far, the whole is the input', () => {
    for (const encoding of ['gzip', 'br'] as const) {
      const compressor = createSyncCompressor(encoding, { gzipLevel: 5, brotliQuality: 4, sizeHint: 0 });
      const chunks = [html, randomBytes(70_000), Buffer.alloc(0), Buffer.from('tail')];
      const out: Buffer[] = [];
      for (const chunk of chunks) {
        out.push(compressor.write(chunk));
        // A sync flush after each write: what was sent so far decodes to what came in so far.
        const partial = encoding === 'gzip' ? zlib.gunzipSync(Buffer.concat(out), { finishFlush: zlib.constants.Z_SYNC_FLUSH }) : zlib.brotliDecompressSync(Buffer.concat(out), { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
        assert.equal(partial.length, Buffer.concat(chunks.slice(0, out.length)).length, encoding);
      }
      out.push(compressor.end());
      assert.deepEqual(decode(encoding, Buffer.concat(out)), Buffer.concat(chunks));
      assert.equal(compressor.end().length, 0, 'end() twice is harmless');
      assert.throws(() => compressor.write(Buffer.from('late')), /already finished/);
    }
  });
});

describe('compress', () => {
  it('compresses a compressible upstream response the client accepts: gzip or br, Vary, no Content-Length, weak ETag', async () => {
    for (const [accept, expected] of [['gzip', 'gzip'], ['gzip, br', 'br']] as const) {
      const ctx = await fetchThrough({ headers: { 'accept-encoding': accept } }, { headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(html.length), ETag: '"v1"', 'Accept-Ranges': 'bytes' } });
      const headers = ctx.response!.headers;
      assert.equal(headers.get('content-encoding'), expected);
      assert.equal(headers.get('content-length'), undefined);
      assert.equal(headers.get('accept-ranges'), undefined);
      assert.equal(headers.get('etag'), 'W/"v1"');
      assert.equal(headers.get('vary'), 'Accept-Encoding');
      assert.equal(ctx.logFields.encoding, expected);
      const body = deliveredBody(ctx, [html.subarray(0, 1000), html.subarray(1000)]);
      assert.ok(body.length < html.length / 5);
      assert.deepEqual(decode(expected, body), html);
    }
  });

  it('leaves the body alone but says Vary when the client does not accept an encoding', async () => {
    const ctx = await fetchThrough({}, { headers: { 'content-type': 'application/json' } });
    assert.equal(ctx.response!.bodyTransform, null);
    assert.equal(ctx.header('vary'), 'Accept-Encoding');
  });

  it('skips what must not or need not be compressed', async () => {
    const accept = { headers: { 'accept-encoding': 'gzip, br' } };
    const skipped: [string, TestRequest, UpstreamReply][] = [
      ['already encoded', accept, { headers: { 'content-type': 'text/html', 'content-encoding': 'gzip' } }],
      ['small', accept, { headers: { 'content-type': 'text/html', 'content-length': '100' } }],
      ['not compressible', accept, { headers: { 'content-type': 'image/png' } }],
      ['no content type', accept, { headers: {} }],
      ['event stream', accept, { headers: { 'content-type': 'text/event-stream' } }],
      ['no-transform', accept, { headers: { 'content-type': 'text/html', 'cache-control': 'public, no-transform' } }],
      ['304', accept, { status: 304, headers: { 'content-type': 'text/html' } }],
      ['204', accept, { status: 204, headers: { 'content-type': 'text/html' } }],
      ['206', accept, { status: 206, headers: { 'content-type': 'text/html' } }],
      ['HEAD', { ...accept, method: 'HEAD' }, { headers: { 'content-type': 'text/html' } }],
      ['gateway answer', accept, { endpoint: null, headers: { 'content-type': 'text/plain' } }],
    ];
    for (const [why, req, reply] of skipped) {
      const ctx = await fetchThrough(req, reply);
      assert.equal(ctx.response!.bodyTransform, null, why);
      assert.equal(ctx.header('content-encoding'), reply.headers && 'content-encoding' in reply.headers ? 'gzip' : undefined, why);
    }
  });

  it('+json and +xml types qualify; the type list and thresholds are configurable', async () => {
    const accept = { headers: { 'accept-encoding': 'gzip' } };
    assert.equal((await fetchThrough(accept, { headers: { 'content-type': 'application/problem+json' } })).header('content-encoding'), 'gzip');
    assert.equal((await fetchThrough(accept, { headers: { 'content-type': 'text/csv' } }, { contentTypes: ['application/json'] })).header('content-encoding'), undefined);
    assert.equal((await fetchThrough(accept, { headers: { 'content-type': 'text/event-stream' } }, { contentTypes: ['text/event-stream'] })).header('content-encoding'), 'gzip');
    assert.equal((await fetchThrough(accept, { headers: { 'content-type': 'text/html', 'content-length': '100' } }, { minSizeBytes: 10 })).header('content-encoding'), 'gzip');
    assert.equal((await fetchThrough({ headers: { 'accept-encoding': 'br' } }, { headers: { 'content-type': 'text/html' } }, { encodings: ['gzip'] })).header('content-encoding'), undefined);
  });

  it('does not touch answers made by middlewares', async () => {
    const ctx = await run(chainOf('compress', {}), { headers: { 'accept-encoding': 'gzip' } }, Object.assign(async (c: Context) => c.respond(401, 'x'.repeat(5000), { 'content-type': 'text/plain' }), { calls: [] }));
    assert.equal(ctx.response!.bodyTransform, null);
  });

  it('rejects bad configuration naming the field', () => {
    assert.equal(configError('compress', { encodings: ['deflate'] }), 'encodings[0]: must be "br" or "gzip", got "deflate"');
    assert.equal(configError('compress', { encodings: [] }), 'encodings: must not be an empty list');
    assert.equal(configError('compress', { gzipLevel: 10 }), 'gzipLevel: must be at most 9, got 10');
    assert.equal(configError('compress', { brotliQuality: -1 }), 'brotliQuality: must be at least 0, got -1');
    assert.equal(configError('compress', { contentTypes: ['html'] }), 'contentTypes[0]: "html" is not a media type such as "text/html" or "text/*"');
    assert.equal(configError('compress', { minSizeBytes: '1k' }), 'minSizeBytes: must be a number, got string "1k"');
  });
});
