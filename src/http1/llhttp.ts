// Node's own llhttp binding, the parser behind node:http. We drive it directly on raw sockets instead
// of going through node:http's IncomingMessage/ServerResponse streams: parsing stays exactly as strict
// as node:http (same C parser, same flags), while the layers between socket and proxy disappear.
// `_http_common` is a legacy but stable module; this file is the only place that touches it.
import { createRequire } from 'node:module';
import { nameIs } from './header-names.ts';

const require = createRequire(import.meta.url);

/** The parser object created by `new HTTPParser()`; callbacks are assigned by index. */
export interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | LlhttpError;
  finish(): undefined | LlhttpError;
  free(): void;
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
  kLenientNone: number;
}

const common = require('_http_common') as { HTTPParser: LlhttpParserConstructor; methods: string[] };

const HTTPParser = common.HTTPParser;
/** Method names indexed by llhttp's method number. */
export const METHODS: readonly string[] = common.methods;
export const REQUEST = HTTPParser.REQUEST;
export const RESPONSE = HTTPParser.RESPONSE;
const { kOnMessageBegin, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete, kLenientNone: LENIENT_NONE } = HTTPParser;

/** Return value of the headers-complete callback telling llhttp the response has no body (HEAD). */
export const SKIP_BODY = 1;

/**
 * Return value of the headers-complete callback telling llhttp to stop after the head (it reports the
 * message complete and `execute` returns the head's length), so the owner reads a Content-Length body
 * itself: the body then reaches the proxy as slices of the socket's own read buffers, where llhttp's
 * body callback would copy every piece into a new Buffer (a copy, a JS call, and external memory that
 * drives V8 into a full GC for every 64 MiB forwarded). The parser must be reset before the next message.
 */
export const HEAD_ONLY = 2;

/**
 * A Content-Length body at least this long is read past llhttp (HEAD_ONLY); a shorter one is not worth
 * the parser reset and usually arrives in the same read as its head anyway.
 */
export const MIN_DIRECT_BODY = 8 * 1024;

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

/** The callbacks a parser owner installs, called with the parser as `this` (no closure per parser). */
export interface ParserCallbacks<P> {
  /** Optional: the first byte of a message (a JS call per message; only for owners that need it). */
  messageBegin?(this: P): void;
  headers(this: P, headers: string[], url: string): void;
  headersComplete(this: P, versionMajor: number, versionMinor: number, headers: string[] | undefined, method: number, url: string | undefined, status: number, reason: string, upgrade: boolean, keepAlive: boolean): number;
  body(this: P, chunk: Buffer): void;
  messageComplete(this: P): void;
}

const NO_RESOURCE = {};

/** Readies a parser for the next message after HEAD_ONLY stopped it (callbacks and owner are kept). */
export function resetParser(parser: LlhttpParser, type: number, maxHeaderBytes: number): void {
  parser.initialize(type, NO_RESOURCE, maxHeaderBytes, LENIENT_NONE);
}

/**
 * The body length a head announces, for a head llhttp accepted: llhttp refuses a duplicate, a list-valued
 * or a non-numeric Content-Length and one sent with Transfer-Encoding before the head completes, so a
 * Content-Length here is the message's one exact framing. -1 when there is none.
 */
export function contentLength(headers: readonly string[]): number {
  for (let i = 0; i < headers.length; i += 2) {
    if (nameIs(headers[i]!, 'content-length')) return Number(headers[i + 1]);
  }
  return -1;
}

/** A strict (no leniency) parser of `type`, carrying its owner as `conn`, with the callbacks set. */
export function createParser<C>(type: number, maxHeaderBytes: number, conn: C, callbacks: ParserCallbacks<LlhttpParser & { conn: C }>): LlhttpParser & { conn: C } {
  const parser = new HTTPParser() as LlhttpParser & { conn: C };
  parser.initialize(type, {}, maxHeaderBytes, LENIENT_NONE);
  parser.conn = conn;
  if (callbacks.messageBegin !== undefined) parser[kOnMessageBegin] = callbacks.messageBegin;
  parser[kOnHeaders] = callbacks.headers;
  parser[kOnHeadersComplete] = callbacks.headersComplete;
  parser[kOnBody] = callbacks.body;
  parser[kOnMessageComplete] = callbacks.messageComplete;
  return parser;
}
