// compress: gzip or brotli for upstream responses of compressible types, when the client accepts it and
// the upstream did not encode the body already. Answers made by the gateway itself are left alone. Every
// response that could be compressed gets Vary: Accept-Encoding, compressed or not, so caches keep both.
import { parseCompressConfig, type CompressConfig } from '../config/compress.ts';
import type { MiddlewareFactory, ResponseView } from '../types.ts';
import { chooseEncoding } from './accept-encoding.ts';
import { createSyncCompressor, isSupported } from './sync-compressor.ts';
import { addVary } from './vary.ts';

function mediaType(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** Whether the response may be compressed at all (whatever this client accepts). */
function eligible(response: ResponseView, c: CompressConfig, exact: Set<string>, families: Set<string>): boolean {
  const { status, headers } = response;
  if (status < 200 || status === 204 || status === 206 || status === 304) return false;
  if (response.bodyTransform !== null || headers.has('content-encoding')) return false;
  if (/(^|,)\s*no-transform\s*(,|$)/i.test(headers.get('cache-control') ?? '')) return false;
  const length = headers.get('content-length');
  if (length !== undefined && Number(length) < c.minSizeBytes) return false;
  const type = mediaType(headers.get('content-type'));
  if (type === null) return false;
  if (exact.has(type)) return true;
  // Event streams are listed explicitly or not at all: some clients mishandle them compressed.
  if (type === 'text/event-stream') return false;
  if (type.endsWith('+json') || type.endsWith('+xml')) return true;
  return families.has(type.slice(0, type.indexOf('/')));
}

export const compressFactory: MiddlewareFactory = {
  type: 'compress',
  create(config, env) {
    const c = parseCompressConfig(config);
    if (!isSupported()) {
      env.log('warn', 'compress: synchronous zlib streaming is not available on this Node.js version; responses are sent uncompressed');
      return (_ctx, next) => next();
    }
    const exact = new Set(c.contentTypes.filter((t) => !t.endsWith('/*')));
    const families = new Set(c.contentTypes.filter((t) => t.endsWith('/*')).map((t) => t.slice(0, -2)));
    return async (ctx, next) => {
      const request = ctx.request;
      await next();
      const response = ctx.response;
      // HEAD answers have no body to encode; gateway answers (no endpoint) are short plain text.
      if (response === null || request.method === 'HEAD' || request.isUpgrade || ctx.upstream.endpoint === null) return;
      if (!eligible(response, c, exact, families)) return;
      const headers = response.headers;
      addVary(headers, 'Accept-Encoding');
      const encoding = chooseEncoding(request.headers.get('accept-encoding'), c.encodings);
      if (encoding === null) return;
      const length = Number(headers.get('content-length') ?? 0);
      response.bodyTransform = createSyncCompressor(encoding, { gzipLevel: c.gzipLevel, brotliQuality: c.brotliQuality, sizeHint: Number.isFinite(length) ? length : 0 });
      headers.set('content-encoding', encoding);
      headers.delete('content-length');
      // Byte ranges of the encoded body are not what the upstream meant; and the bytes differ, so a strong ETag must weaken.
      headers.delete('accept-ranges');
      const etag = headers.get('etag');
      if (etag !== undefined && !etag.startsWith('W/')) headers.set('etag', `W/${etag}`);
      ctx.logFields.encoding = encoding;
    };
  },
};
