// One keep-alive HTTP/1.1 connection to an endpoint, with its own llhttp response parser. The parser
// callbacks are shared module-level functions (no closures per request); the exchange currently using
// the connection receives the parsed response through the UpstreamListener interface.
import net from 'node:net';
import tls from 'node:tls';
import {
  HEAD_ONLY, MIN_DIRECT_BODY, RESPONSE, SKIP_BODY, contentLength, createParser, isLlhttpError, resetParser,
  type LlhttpParser, PendingFields, ResponseHeadScan,
} from '../http1/index.ts';

/** What an exchange must implement to use an upstream connection. */
export interface UpstreamListener {
  onUpstreamConnect(conn: Http1UpstreamConnection): void;
  /** Returns true when the response has no body (answer to HEAD). */
  onResponseHead(status: number, reason: string, headers: string[], versionMinor: number, keepAlive: boolean, upgrade: boolean): boolean;
  /**
   * Optional: a head inside the scanner's subset (http1/response-head-scan.ts), given as the scan and the
   * read it starts, instead of onResponseHead's strings. Returns whether the response has no body (as
   * onResponseHead), or null to decline: llhttp then parses the head and onResponseHead follows.
   */
  onRawResponseHead?(head: ResponseHeadScan, data: Buffer): boolean | null;
  onResponseBody(chunk: Buffer): void;
  onResponseComplete(trailers: string[] | null): void;
  /** Transport failure or protocol error; `phase` says how far the exchange got. */
  onUpstreamError(error: UpstreamError): void;
  onUpstreamDrain(): void;
  /**
   * The upstream accepted a protocol upgrade (101): the socket now carries the new protocol. `head` holds
   * bytes that arrived after the 101 response. The connection has left its pool; the listener owns the socket.
   */
  onUpstreamUpgrade(socket: net.Socket, head: Buffer): void;
  /** Brackets the parsing of one chunk from the upstream, so the client writes it causes coalesce. */
  beginResponseData(): void;
  endResponseData(): void;
  /**
   * After endResponseData: true when no byte of that chunk is referenced any more (everything was
   * handed to the kernel or copied), so the connection may read the next chunk into the same memory.
   */
  responseDataReleased(): boolean;
}

export type UpstreamFailure = 'connect' | 'reset' | 'timeout' | 'protocol' | 'closed';

export class UpstreamError extends Error {
  readonly failure: UpstreamFailure;
  readonly endpoint: string;
  /** True when nothing was sent on this connection for the current request (a retry is safe). */
  readonly beforeRequestSent: boolean;
  /** True when no byte of the response had arrived. */
  readonly beforeResponse: boolean;
  readonly code: string | undefined;
  constructor(failure: UpstreamFailure, endpoint: string, message: string, details: { beforeRequestSent: boolean; beforeResponse: boolean; code?: string | undefined }) {
    super(`upstream ${endpoint}: ${message}`);
    this.name = 'UpstreamError';
    this.failure = failure;
    this.endpoint = endpoint;
    this.beforeRequestSent = details.beforeRequestSent;
    this.beforeResponse = details.beforeResponse;
    this.code = details.code;
  }
}

export interface ConnectionOwner {
  /** Called when the connection finished a response and may be reused. */
  release(conn: Http1UpstreamConnection): void;
  /** Called once when the socket is gone (or handed over to a tunnel). */
  forget(conn: Http1UpstreamConnection): void;

}

interface ParserWithConn extends LlhttpParser {
  conn: Http1UpstreamConnection;
}

const MAX_RESPONSE_HEADER_BYTES = 32 * 1024;
/**
 * Plain-TCP connections read into a buffer of their own, reused from read to read while the bytes of
 * the previous read were all passed on synchronously (the usual case: the client's socket took them).
 * node's default allocates a fresh 64 KiB buffer per read; at 64 KiB responses that was ~1 GB/s of
 * external memory, and V8 answers every 64 MiB of it with a full mark-compact: GC was a third of the
 * CPU time and the reason large-body throughput flipped between runs.
 */
const READ_BUFFER_BYTES = 64 * 1024;

export class Http1UpstreamConnection {
  readonly socket: net.Socket;
  readonly endpoint: string;
  private readonly owner: ConnectionOwner;
  private readonly parser: ParserWithConn;
  listener: UpstreamListener | null = null;
  connected = false;
  /** Responses completed on this connection; > 0 means the socket was reused from the pool. */
  served = 0;
  /** Bytes written for the current request (0 means a failure is safe to retry). */
  requestBytes = 0;
  responseStarted = false;
  private readonly pendingFields = new PendingFields();
  private informational = false;
  private upgraded = false;
  private keepAlive = false;
  private skipBody = false;
  /** Body bytes of the current Content-Length response still to come, read past llhttp. */
  private bodyLeft = 0;
  /** llhttp stopped at the head (HEAD_ONLY): it must be reset once the body has been read. */
  private parserStopped = false;
  /** llhttp holds part of a response: the next read continues it, so it cannot be scanned as a new head. */
  private midMessage = false;
  /** The last head scanned; reused for every response on this connection. */
  private readonly headScan = new ResponseHeadScan();
  private destroyed = false;
  /** Where the next plain-TCP read lands; null: allocate a fresh one (the last one is still referenced). */
  private readBuffer: Buffer | null = null;
  /** Handed to a tunnel: reads become 'data' events in fresh buffers, as on any socket. */
  private tunnelled = false;
  timeoutMs = 0;

  /** `tlsOptions` set: the connection is TLS (backend protocol https), connected once the handshake is done. */
  constructor(address: string, port: number, endpoint: string, owner: ConnectionOwner, connectTimeoutMs: number, tlsOptions: tls.ConnectionOptions | null = null) {
    this.endpoint = endpoint;
    this.owner = owner;
    this.parser = createParser(RESPONSE, MAX_RESPONSE_HEADER_BYTES, this, PARSER_CALLBACKS);
    const socket = tlsOptions === null
      ? net.connect({ host: address, port, noDelay: true, onread: { buffer: () => this.nextReadBuffer(), callback: (length: number, buffer: Uint8Array) => this.onRead((buffer as Buffer).subarray(0, length)) } })
      : tls.connect({ ...tlsOptions, host: address, port }).setNoDelay(true).on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket = socket;
    this.setTimeout(connectTimeoutMs);
    socket.on(tlsOptions === null ? 'connect' : 'secureConnect', () => {
      this.connected = true;
      this.listener?.onUpstreamConnect(this);
    });
    socket.on('drain', () => this.listener?.onUpstreamDrain());
    socket.on('timeout', () => this.fail('timeout', this.connected ? 'timed out' : 'connect timed out', 'ETIMEDOUT'));
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(this.connected ? 'reset' : 'connect', err.message, err.code));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.fail('closed', 'closed the connection', undefined));
  }

  /** Binds the connection to an exchange for one request. */
  attach(listener: UpstreamListener, timeoutMs: number): void {
    this.listener = listener;
    this.requestBytes = 0;
    this.responseStarted = false;
    this.informational = false;
    this.setTimeout(timeoutMs);
  }

  setTimeout(ms: number): void {
    if (ms !== this.timeoutMs) {
      this.timeoutMs = ms;
      this.socket.setTimeout(ms);
    }
  }

  write(data: string | Buffer, encoding?: BufferEncoding): boolean {
    this.requestBytes += data.length;
    return encoding ? this.socket.write(data, encoding) : this.socket.write(data);
  }

  /** Tears the connection down (client gone, error, or unusable state). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.listener = null;
    this.socket.destroy();
    this.parser.free();
    this.owner.forget(this);
  }

  private nextReadBuffer(): Buffer {
    return (this.readBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES));
  }

  /** A plain-TCP read (onread); returns true: keep reading (pausing goes through socket.pause()). */
  private onRead(chunk: Buffer): true {
    if (this.tunnelled) {
      this.readBuffer = null;
      this.socket.emit('data', chunk);
      return true;
    }
    const listener = this.listener;
    this.onData(chunk);
    if (listener === null || this.tunnelled || !listener.responseDataReleased()) this.readBuffer = null;
    return true;
  }

  private onData(chunk: Buffer): void {
    if (this.listener === null) {
      // Bytes while idle in the pool: the upstream broke the protocol; the socket cannot be reused.
      this.destroy();
      return;
    }
    this.responseStarted = true;
    const listener = this.listener;
    listener.beginResponseData();
    if (this.bodyLeft > 0) {
      this.passBody(chunk, 0);
    } else if (this.midMessage || listener.onRawResponseHead === undefined || !this.headScan.scan(chunk) || !this.takeRawHead(listener, chunk)) {
      this.midMessage = true;
      const result = this.parser.execute(chunk);
      if (isLlhttpError(result)) {
        listener.endResponseData();
        this.fail('protocol', `sent an invalid response (${result.code})`, result.code);
        return;
      }
      if (this.upgraded) {
        listener.endResponseData();
        this.handOver(listener, chunk.subarray(result));
        return;
      }
      if (this.bodyLeft > 0 && result < chunk.length) this.passBody(chunk, result);
    }
    listener.endResponseData();
  }

  /**
   * A head the scanner took, at the start of `chunk`: the listener forwards it from its bytes, and the
   * body is counted here as after HEAD_ONLY. False when the listener declined it (llhttp parses it then).
   */
  private takeRawHead(listener: UpstreamListener, chunk: Buffer): boolean {
    const head = this.headScan;
    const noBody = listener.onRawResponseHead!(head, chunk);
    if (noBody === null) return false;
    if (this.destroyed) return true;
    this.keepAlive = head.keepAlive;
    const length = head.contentLength;
    if (noBody || this.skipBody || length <= 0) {
      this.endMessage(chunk.length > head.headEnd);
      return true;
    }
    this.bodyLeft = length;
    if (chunk.length > head.headEnd) this.passBody(chunk, head.headEnd);
    return true;
  }

  /** Body bytes of a Content-Length response, passed on as slices of the read (no copy). */
  private passBody(chunk: Buffer, offset: number): void {
    const take = Math.min(this.bodyLeft, chunk.length - offset);
    this.bodyLeft -= take;
    this.listener?.onResponseBody(offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take));
    if (this.bodyLeft > 0 || this.destroyed) return;
    if (this.parserStopped) {
      this.parserStopped = false;
      resetParser(this.parser, RESPONSE, MAX_RESPONSE_HEADER_BYTES);
    }
    this.endMessage(offset + take < chunk.length);
  }

  /** A response read past llhttp is complete; `extra`: more bytes followed it in the same read. */
  private endMessage(extra: boolean): void {
    this.handleMessageComplete();
    // Bytes past the response would be an answer to no request: the connection cannot be trusted any more.
    if (extra) this.destroy();
  }

  /** After a 101 answer llhttp stops parsing: the rest of the stream belongs to the upgraded protocol. */
  private handOver(listener: UpstreamListener, head: Buffer): void {
    const socket = this.socket;
    for (const event of ['data', 'drain', 'timeout', 'error', 'end', 'close']) socket.removeAllListeners(event);
    socket.setTimeout(0);
    this.tunnelled = true;
    this.destroyed = true;
    this.listener = null;
    this.parser.free();
    this.owner.forget(this);
    listener.onUpstreamUpgrade(socket, head);
  }

  private onEnd(): void {
    // A response without Content-Length or chunked framing ends with the connection: llhttp needs
    // finish() to complete it. Anything else ending here is a failure.
    if (this.bodyLeft > 0) {
      this.fail('protocol', 'response cut short (HPE_INVALID_EOF_STATE)', 'HPE_INVALID_EOF_STATE');
      return;
    }
    if (this.listener !== null && this.responseStarted) {
      const result = this.parser.finish();
      if (isLlhttpError(result)) this.fail('protocol', `response cut short (${result.code})`, result.code);
    }
    this.fail('closed', 'closed the connection', undefined);
  }

  private fail(failure: UpstreamFailure, message: string, code: string | undefined): void {
    if (this.destroyed) return;
    const listener = this.listener;
    const error = new UpstreamError(failure, this.endpoint, message, {
      beforeRequestSent: this.requestBytes === 0,
      beforeResponse: !this.responseStarted,
      code,
    });
    this.destroy();
    listener?.onUpstreamError(error);
  }

  /** The exchange sets this before the response arrives so a HEAD answer is parsed without body. */
  expectNoBody(skip: boolean): void {
    this.skipBody = skip;
  }

  handleHeaders(headers: string[]): void {
    this.pendingFields.add(headers);
  }

  handleHeadersComplete(headers: string[] | undefined, status: number, reason: string, versionMinor: number, upgrade: boolean, keepAlive: boolean): number {
    if (headers === undefined) {
      headers = this.pendingFields.take();
    }
    this.informational = status >= 100 && status < 200 && status !== 101;
    this.upgraded = status === 101 && upgrade;
    this.keepAlive = keepAlive;
    const listener = this.listener;
    if (listener === null) return 0;
    const noBody = listener.onResponseHead(status, reason, headers, versionMinor, keepAlive, upgrade);
    if (noBody || this.skipBody) return SKIP_BODY;
    if (status < 200 || status === 204 || status === 304) return 0;
    const length = contentLength(headers);
    if (length < MIN_DIRECT_BODY) return 0;
    this.bodyLeft = length;
    this.parserStopped = true;
    return HEAD_ONLY;
  }

  handleBody(chunk: Buffer): void {
    this.listener?.onResponseBody(chunk);
  }

  handleMessageComplete(): void {
    // llhttp reports a HEAD_ONLY message complete at its head: the body is still to come.
    if (this.bodyLeft > 0) return;
    const trailers = this.pendingFields.takeTrailers();
    if (this.informational || this.upgraded) {
      // A 1xx answer is followed by the real response on the same connection.
      this.informational = false;
      return;
    }
    const listener = this.listener;
    this.midMessage = false;
    this.served++;
    this.listener = null;
    this.skipBody = false;
    if (listener === null) return;
    listener.onResponseComplete(trailers);
  }

  /** Whether the last response allows the connection to be reused. */
  get reusable(): boolean {
    return this.keepAlive && !this.destroyed;
  }

  /** Returns the connection to its pool after a complete exchange. */
  release(): void {
    if (this.reusable) this.owner.release(this);
    else this.destroy();
  }

  /**
   * The response is complete. The connection goes back to the pool reading (`paused`: the exchange had
   * paused it, and an idle socket that does not read would miss the upstream closing it), unless the
   * request body was not fully sent: then it cannot carry another request.
   */
  finishExchange(requestSent: boolean, paused: boolean): void {
    if (paused) this.socket.resume();
    if (requestSent) this.release();
    else this.destroy();
  }
}

function onParserHeaders(this: ParserWithConn, headers: string[]): void {
  this.conn.handleHeaders(headers);
}

function onParserHeadersComplete(
  this: ParserWithConn, _versionMajor: number, versionMinor: number, headers: string[] | undefined, _method: number,
  _url: string | undefined, status: number, reason: string, upgrade: boolean, keepAlive: boolean,
): number {
  return this.conn.handleHeadersComplete(headers, status, reason ?? '', versionMinor, upgrade, keepAlive);
}

function onParserBody(this: ParserWithConn, chunk: Buffer): void {
  this.conn.handleBody(chunk);
}

function onParserMessageComplete(this: ParserWithConn): void {
  this.conn.handleMessageComplete();
}

const PARSER_CALLBACKS = { headers: onParserHeaders, headersComplete: onParserHeadersComplete, body: onParserBody, messageComplete: onParserMessageComplete };
