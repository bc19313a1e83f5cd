// Configuration of compress: gzip and brotli for compressible responses the client accepts.
import { ConfigReader } from './read.ts';
import { MiddlewareConfigError } from '../types.ts';

export type Encoding = 'br' | 'gzip';

export interface CompressConfig {
  /** Server preference when the client accepts several with the same weight. */
  encodings: Encoding[];
  /** Responses with a smaller Content-Length are sent as they are (unknown length is compressed). */
  minSizeBytes: number;
  /** Media types ("text/html") or families ("text/*"); "+json" and "+xml" types always qualify. */
  contentTypes: string[];
  gzipLevel: number;
  brotliQuality: number;
}

export const DEFAULT_COMPRESSIBLE_TYPES = [
  'text/*',
  'application/json',
  'application/javascript',
  'application/x-javascript',
  'application/xml',
  'application/wasm',
  'application/x-ndjson',
  'image/svg+xml',
  'image/x-icon',
  'font/ttf',
  'font/otf',
];

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/(\*|[a-z0-9!#$&^_.+-]+)$/;

export function parseCompressConfig(raw: unknown): CompressConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const list = r.stringList('encodings', true) ?? ['br', 'gzip'];
  list.forEach((e, i) => {
    if (e !== 'br' && e !== 'gzip') throw new MiddlewareConfigError(r.field(`encodings[${i}]`), `must be "br" or "gzip", got ${JSON.stringify(e)}`);
  });
  const minSizeBytes = r.number('minSizeBytes', { min: 0, integer: true }) ?? 1024;
  const contentTypes = (r.stringList('contentTypes', true) ?? DEFAULT_COMPRESSIBLE_TYPES).map((t) => t.trim().toLowerCase());
  contentTypes.forEach((t, i) => {
    if (!MEDIA_TYPE.test(t)) throw new MiddlewareConfigError(r.field(`contentTypes[${i}]`), `${JSON.stringify(t)} is not a media type such as "text/html" or "text/*"`);
  });
  const gzipLevel = r.number('gzipLevel', { min: 1, max: 9, integer: true }) ?? 5;
  const brotliQuality = r.number('brotliQuality', { min: 0, max: 11, integer: true }) ?? 4;
  r.finish();
  return { encodings: [...new Set(list)] as Encoding[], minSizeBytes, contentTypes, gzipLevel, brotliQuality };
}
