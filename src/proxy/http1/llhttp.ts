// Node's own llhttp binding, the parser behind node:http. We drive it directly on raw sockets instead
// of going through node:http's IncomingMessage/ServerResponse streams: parsing stays exactly as strict
// as node:http (same C parser, same flags), while the layers between socket and proxy disappear.
// `_http_common` is a legacy but stable module; this file is the only place that touches it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The parser object created by `new HTTPParser()`; callbacks are assigned by index. */
export interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | LlhttpError;
  finish(): undefined | LlhttpError;
  close(): void;
  free(): void;
  remove(): void;
  pause(): void;
  resume(): void;
  [key: number]: unknown;
}

export interface LlhttpError extends Error {
  code: string;
  reason: string;
  bytesParsed: number;
}

interface LlhttpParserConstructor {
  new (): LlhttpParser;
  REQUEST: number;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kOnTimeout: number;
  kLenientNone: number;
}

const common = require('_http_common') as { HTTPParser: LlhttpParserConstructor; methods: string[] };

export const HTTPParser = common.HTTPParser;
/** Method names indexed by llhttp's method number. */
export const METHODS: readonly string[] = common.methods;
export const REQUEST = HTTPParser.REQUEST;
export const RESPONSE = HTTPParser.RESPONSE;
export const kOnHeaders = HTTPParser.kOnHeaders;
export const kOnHeadersComplete = HTTPParser.kOnHeadersComplete;
export const kOnBody = HTTPParser.kOnBody;
export const kOnMessageComplete = HTTPParser.kOnMessageComplete;
export const kOnMessageBegin = HTTPParser.kOnMessageBegin;
export const kOnExecute = HTTPParser.kOnExecute;
export const kOnTimeout = HTTPParser.kOnTimeout;
export const LENIENT_NONE = HTTPParser.kLenientNone;

/** Return value of the headers-complete callback telling llhttp the response has no body (HEAD). */
export const SKIP_BODY = 1;

export function isLlhttpError(value: number | LlhttpError | undefined): value is LlhttpError {
  return typeof value === 'object' && value !== null;
}

/**
 * The status node:http answers for a parse error: it is the reference we must match (see the
 * malformed-request corpus test). HPE_HEADER_OVERFLOW covers request line and headers.
 */
export function statusForParseError(code: string): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    default:
      return 400;
  }
}

/**
 * Header fields llhttp delivers in pieces (kOnHeaders: before the head completes when there are many,
 * and for trailers), gathered until the head or the message completes.
 */
export class PendingFields {
  private fields: string[] = [];

  add(fields: readonly string[]): void {
    for (let i = 0; i < fields.length; i++) this.fields.push(fields[i]!);
  }

  /** The gathered fields (possibly none), and a fresh list for what follows. */
  take(): string[] {
    const fields = this.fields;
    this.fields = [];
    return fields;
  }

  /** At message end: the trailers, or null when there were none. */
  takeTrailers(): string[] | null {
    return this.fields.length === 0 ? null : this.take();
  }
}
