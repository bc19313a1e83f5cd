// A client's HTTP/1.1 connection: feeds socket bytes to llhttp, turns parsed requests into exchanges,
// runs them one at a time (pipelined requests wait in order), and enforces the server-side timeouts
// through a deadline that the listener's sweep checks (one timer for all connections).
import type net from 'node:net';
import {
  HEAD_ONLY, METHODS, MIN_DIRECT_BODY, REQUEST, ParserPool, isLlhttpError, resetParser, statusForParseError,
  type LlhttpParser, PendingFields,
} from '../../http1/index.ts';
import { Http1Exchange } from './exchange.ts';
import { errorResponse } from '../error-responses.ts';
import { resolveClientAddress } from '../client-address.ts';
import type { Http1Context } from './context.ts';

interface ParserWithConn extends LlhttpParser {
  conn: Http1ClientConnection;
}

/** Who learns that a connection closed (the listener), without a closure per connection. */
export interface ConnectionOwner {
  connectionClosed(conn: Http1ClientConnection): void;
}

/** The connection of a socket, for the socket event handlers shared by every connection. */
const CONN = Symbol('tideway.http1Connection');
type ClientSocket = net.Socket & { [CONN]: Http1ClientConnection };

/** What the connection is waiting for, which decides the deadline and the answer when it passes. */
const PHASE = { IDLE: 0, HEAD: 1, BODY: 2, BUSY: 3 } as const;
type Phase = (typeof PHASE)[keyof typeof PHASE];

export class Http1ClientConnection {
  readonly socket: net.Socket;
  readonly ctx: Http1Context;
  readonly remoteAddress: string;
  /** The peer is a trusted proxy: its X-Forwarded-* headers are believed. */
  readonly trusted: boolean;
  private readonly owner: ConnectionOwner | null;
  /**
   * Held only while a message is on its way (lean idle connections: see ParserPool); null when idle.
   * Header pieces llhttp delivers before the head completes (many fields, trailers) wait in
   * pendingFields, made on first use.
   */
  private parser: ParserWithConn | null = null;
  private pendingFields: PendingFields | null = null;
  private pendingUrl = '';
  /** llhttp began a message that has not completed (its head or its body is still arriving). */
  private midMessage = false;
  private active: Http1Exchange | null = null;
  private parsing: Http1Exchange | null = null;
  private queue: Http1Exchange[] | null = null;
  private pauseCount = 0;
  /** No more bytes are read: the connection is ending (parse error, timeout, last exchange done). */
  private closing = false;
  /** Draining: the exchange in flight (its body included) is still read and answered, then the connection ends. */
  private endAfterExchange = false;
  private reading = false;
  private corked: net.Socket | null = null;
  /** The socket was handed to a WebSocket tunnel: no HTTP on it any more. */
  tunnelled = false;
  /** Set once an upgrade request was parsed: later bytes belong to the tunnel, not to HTTP. */
  private tunnelHead: Buffer[] | null = null;
  private destroyed = false;
  /** Body bytes of the current Content-Length request still to come, read past llhttp (HEAD_ONLY). */
  private bodyLeft = 0;
  phase: Phase = PHASE.IDLE;
  /** Date.now() value after which the sweep acts; 0 = no deadline. */
  deadline = 0;

  constructor(socket: net.Socket, ctx: Http1Context, owner: ConnectionOwner | null = null) {
    this.socket = socket;
    this.ctx = ctx;
    this.owner = owner;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.trusted = ctx.trustedProxies.size > 0 && ctx.trustedProxies.contains(this.remoteAddress);
    this.deadline = Date.now() + ctx.limits.keepAliveTimeoutMs;
    (socket as ClientSocket)[CONN] = this;
    socket.on('data', onSocketData);
    socket.on('drain', onSocketDrain);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
  }

  /**
   * The client address as seen through trusted proxies: the right-most X-Forwarded-For entry that is not
   * itself a trusted proxy (what ingress-nginx's real_ip_recursive does). Untrusted peers are taken as is.
   */
  clientAddressFor(forwardedFor: string | undefined): string {
    return resolveClientAddress(this.remoteAddress, this.trusted, this.ctx.trustedProxies, forwardedFor);
  }

  onData(chunk: Buffer): void {
    if (this.closing) return;
    if (this.tunnelHead !== null) {
      this.bufferForTunnel(chunk);
      return;
    }
    if (this.phase === PHASE.IDLE) {
      // First bytes of a request: its line and headers must be complete within the headers timeout.
      // (Set here rather than in llhttp's message-begin callback: one JS call less per request.)
      this.phase = PHASE.HEAD;
      this.deadline = Date.now() + this.ctx.limits.headersTimeoutMs;
    }
    this.reading = true;
    this.parser ??= PARSERS.acquire(this, this.ctx.limits.maxHeaderBytes);
    const error = this.parse(chunk);
    this.reading = false;
    const corked = this.corked;
    if (corked !== null) {
      this.corked = null;
      corked.uncork();
    }
    if (error !== null) this.onParseError(error);
    else if ((this.phase as Phase) === PHASE.IDLE) this.releaseParser(); // answered within this read
  }

  /** Gives the parser back while nothing is being parsed (an idle keep-alive connection, a tunnel). */
  private releaseParser(): void {
    const parser = this.parser;
    if (parser === null || this.reading || this.midMessage || this.bodyLeft > 0 || this.closing) return;
    this.parser = null;
    PARSERS.release(parser as LlhttpParser & { conn: Http1ClientConnection | null });
  }

  /** Parses one read: heads through llhttp, Content-Length bodies past it. Returns llhttp's error code. */
  private parse(chunk: Buffer): string | null {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLeft > 0) {
        offset = this.passBody(chunk, offset);
        continue;
      }
      const result = this.parser!.execute(offset === 0 ? chunk : chunk.subarray(offset));
      if (isLlhttpError(result)) return result.code;
      if (this.tunnelHead !== null) {
        if (offset + result < chunk.length) this.bufferForTunnel(chunk.subarray(offset + result));
        return null;
      }
      if (this.bodyLeft === 0) return null;
      offset += result;
    }
    return null;
  }

  /** Body bytes of a Content-Length request, passed on as slices of the read (no copy). */
  private passBody(chunk: Buffer, offset: number): number {
    const take = Math.min(this.bodyLeft, chunk.length - offset);
    this.bodyLeft -= take;
    this.parsing?.onRequestBody(offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take));
    if (this.bodyLeft === 0 && !this.destroyed) {
      resetParser(this.parser!, REQUEST, this.ctx.limits.maxHeaderBytes);
      this.handleMessageComplete();
    }
    return offset + take;
  }

  private bufferForTunnel(chunk: Buffer): void {
    // Bytes a WebSocket client sends before the upstream's 101: held (bounded) until the tunnel opens.
    this.tunnelHead!.push(chunk);
    if (this.tunnelHead!.length === 8) this.pauseReading();
  }

  /**
   * While one client read is being parsed, an upstream socket may be corked so that a request head and
   * the body bytes of the same read leave in one write; it is uncorked when the read is done.
   */
  corkUntilReadEnds(socket: net.Socket): void {
    if (!this.reading || this.corked !== null) return;
    socket.cork();
    this.corked = socket;
  }

  /** Hands the socket over to a tunnel: returns bytes already received for it and stops parsing HTTP. */
  detachForTunnel(): Buffer[] {
    const head = this.tunnelHead ?? [];
    this.tunnelHead = null;
    this.tunnelled = true;
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('drain');
    this.socket.removeAllListeners('end');
    this.active = null;
    this.phase = PHASE.BUSY;
    this.deadline = 0;
    this.pauseCount = 0;
    this.midMessage = false;
    this.releaseParser();
    return head;
  }

  private onParseError(code: string): void {
    // As node:http does: answer only if nothing was written for the current request, then close.
    const active = this.active;
    const answered = active !== null && active.hasResponseStarted;
    this.closing = true;
    if (!answered && this.socket.writable) this.socket.end(errorResponse(statusForParseError(code), true));
    else this.destroy();
    if (active !== null) active.abort();
  }

  onEnd(): void {
    // HTTP/1.1 never half-closes to end a request, so a FIN means the client is gone: an exchange in
    // flight is aborted (its upstream request cancelled), as node:http and nginx do.
    if (this.active === null) this.socket.end();
    else this.destroy();
  }

  onClose(): void {
    this.destroyed = true;
    this.active?.abort();
    if (this.parsing !== null && this.parsing !== this.active) this.parsing.abort();
    if (this.queue !== null) for (const ex of this.queue) ex.abort();
    this.active = null;
    this.queue = null;
    this.owner?.connectionClosed(this);
    const parser = this.parser;
    this.parser = null;
    // Closed mid-message, the parser is reinitialized before its next use.
    if (parser !== null) PARSERS.release(parser as LlhttpParser & { conn: Http1ClientConnection | null });
  }

  onDrain(): void {
    this.active?.onClientDrain();
  }

  /** Shutdown: close now if idle, else right after the current exchange. */
  closeWhenDone(): void {
    if (this.tunnelled) return; // a WebSocket: closed last, with a close frame (Tunnel.close)
    if (this.active === null && this.parsing === null) this.socket.end();
    else this.endAfterExchange = true;
  }

  destroy(): void {
    if (!this.destroyed) this.socket.destroy();
  }

  pauseReading(): void {
    if (this.pauseCount++ === 0) this.socket.pause();
  }

  resumeReading(): void {
    if (--this.pauseCount === 0 && !this.destroyed) this.socket.resume();
  }

  /** Called by an exchange when both its request and its response are complete. */
  exchangeFinished(exchange: Http1Exchange, close: boolean): void {
    if (this.ctx.observer.enabled) exchange.report();
    if (close || this.closing || this.endAfterExchange) {
      this.closing = true;
      this.socket.end();
      return;
    }
    const next = this.queue?.shift();
    if (next !== undefined) {
      this.active = next;
      if (this.queue!.length === 0) this.resumeReading();
      next.start();
      return;
    }
    this.active = null;
    if (this.parsing !== null) return;
    if (this.midMessage) {
      // The next (pipelined) request has begun but its head is not complete: it gets the headers timeout.
      this.phase = PHASE.HEAD;
      this.deadline = Date.now() + this.ctx.limits.headersTimeoutMs;
      return;
    }
    this.phase = PHASE.IDLE;
    this.deadline = Date.now() + this.ctx.limits.keepAliveTimeoutMs;
    this.releaseParser();
  }

  /** The sweep found the deadline passed. */
  onDeadline(): void {
    const phase = this.phase;
    this.deadline = 0;
    if (phase === PHASE.IDLE) {
      this.destroy();
      return;
    }
    // Headers or body too slow: 408 if nothing has been answered on this request yet.
    const active = this.active;
    this.closing = true;
    if ((active === null || !active.hasResponseStarted) && this.socket.writable) this.socket.end(errorResponse(408, true));
    else this.destroy();
    active?.abort();
  }

  handleMessageBegin(): void {
    this.midMessage = true;
  }

  handleHeaders(headers: string[], url: string): void {
    (this.pendingFields ??= new PendingFields()).add(headers);
    this.pendingUrl += url;
  }

  handleHeadersComplete(versionMinor: number, headers: string[] | undefined, method: number, url: string | undefined, upgrade: boolean, keepAlive: boolean): number {
    if (headers === undefined) {
      headers = this.pendingFields === null ? [] : this.pendingFields.take();
    }
    if (url === undefined) {
      url = this.pendingUrl;
    }
    this.pendingUrl = '';
    const exchange = new Http1Exchange(this, METHODS[method]!, url, versionMinor, headers, keepAlive, upgrade);
    if (exchange.isUpgrade) this.tunnelHead = [];
    // Upgrades keep llhttp's own handling: after the head the bytes belong to the tunnel.
    const direct = !upgrade && !exchange.scan.chunked && exchange.scan.contentLength >= MIN_DIRECT_BODY;
    this.parsing = exchange;
    this.phase = PHASE.BODY;
    this.deadline = Date.now() + this.ctx.limits.requestTimeoutMs;
    if (this.active === null) {
      this.active = exchange;
      exchange.start();
    } else {
      // Pipelined: answer in order. Stop reading until the queue drains.
      if (this.queue === null) this.queue = [];
      if (this.queue.length === 0) this.pauseReading();
      this.queue.push(exchange);
    }
    if (!direct) return 0;
    this.bodyLeft = exchange.scan.contentLength;
    return HEAD_ONLY;
  }

  handleBody(chunk: Buffer): void {
    this.parsing?.onRequestBody(chunk);
  }

  handleMessageComplete(): void {
    // llhttp reports a HEAD_ONLY message complete at its head: the body is still to come.
    if (this.bodyLeft > 0) return;
    this.midMessage = false;
    const trailers = this.pendingFields === null ? null : this.pendingFields.takeTrailers();
    this.pendingUrl = '';
    const exchange = this.parsing;
    this.parsing = null;
    this.phase = PHASE.BUSY;
    this.deadline = 0;
    exchange?.onRequestComplete(trailers);
  }
}

function onParserMessageBegin(this: ParserWithConn): void {
  this.conn.handleMessageBegin();
}

function onParserHeaders(this: ParserWithConn, headers: string[], url: string): void {
  this.conn.handleHeaders(headers, url);
}

function onParserHeadersComplete(
  this: ParserWithConn, _versionMajor: number, versionMinor: number, headers: string[] | undefined, method: number,
  url: string | undefined, _status: number, _reason: string, upgrade: boolean, keepAlive: boolean,
): number {
  return this.conn.handleHeadersComplete(versionMinor, headers, method, url, upgrade, keepAlive);
}

function onParserBody(this: ParserWithConn, chunk: Buffer): void {
  this.conn.handleBody(chunk);
}

function onParserMessageComplete(this: ParserWithConn): void {
  this.conn.handleMessageComplete();
}

/** Client-side request parsers (exported for tests: `inUse` counts connections mid-message). */
export const PARSERS = new ParserPool<Http1ClientConnection>(REQUEST, {
  messageBegin: onParserMessageBegin, headers: onParserHeaders, headersComplete: onParserHeadersComplete, body: onParserBody, messageComplete: onParserMessageComplete,
});

// Socket event handlers shared by every connection (no closures per connection).
function onSocketData(this: ClientSocket, chunk: Buffer): void {
  this[CONN].onData(chunk);
}

function onSocketDrain(this: ClientSocket): void {
  this[CONN].onDrain();
}

function onSocketEnd(this: ClientSocket): void {
  this[CONN].onEnd();
}

function onSocketClose(this: ClientSocket): void {
  this[CONN].onClose();
}

function onSocketError(this: ClientSocket): void {
  this[CONN].destroy();
}
