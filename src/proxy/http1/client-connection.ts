// A client's HTTP/1.1 connection: feeds socket bytes to llhttp, turns parsed requests into exchanges,
// runs them one at a time (pipelined requests wait in order), and enforces the server-side timeouts
// through a deadline that the listener's sweep checks (one timer for all connections).
import type net from 'node:net';
import {
  HEAD_ONLY, METHODS, MIN_DIRECT_BODY, REQUEST, PendingFields, isLlhttpError, resetParser, statusForParseError,
} from '../../http1/index.ts';
import { Http1Exchange } from './exchange.ts';
import { InFlight, InFlightPool, type ParserOf } from './in-flight.ts';
import { errorResponse } from '../error-responses.ts';
import { resolveClientAddress } from '../client-address.ts';
import type { Http1Context } from './context.ts';
import { isSharedRead, readIntoFreshBuffers } from './shared-read-buffer.ts';

type ParserWithConn = ParserOf<Http1ClientConnection>;

/** The listener: what its connections share, and who learns that one closed (without a closure per connection). */
export interface ConnectionOwner {
  readonly ctx: Http1Context;
  connectionClosed(conn: Http1ClientConnection): void;
}

/** The connection of a socket, for the socket event handlers shared by every connection. */
const CONN = Symbol('tideway.http1Connection');
type ClientSocket = net.Socket & { [CONN]: Http1ClientConnection };

/** What the connection is waiting for, which decides the deadline and the answer when it passes. */
const PHASE = { IDLE: 0, HEAD: 1, BODY: 2, BUSY: 3, TUNNEL: 4, CLOSED: 5 } as const;
type Phase = (typeof PHASE)[keyof typeof PHASE];

export class Http1ClientConnection {
  readonly socket: net.Socket;
  readonly remoteAddress: string;
  /** The peer is a trusted proxy: its X-Forwarded-* headers are believed. */
  readonly trusted: boolean;
  private readonly owner: ConnectionOwner;
  /**
   * Everything a message on its way needs (parser, exchanges, parsing state), from a pool: null while
   * the connection is idle, so that an idle keep-alive connection costs little more than its socket.
   */
  private flight: InFlight<Http1ClientConnection> | null = null;
  phase: Phase = PHASE.IDLE;
  /** Date.now() value after which the sweep acts; 0 = no deadline. */
  deadline = 0;

  constructor(socket: net.Socket, owner: ConnectionOwner) {
    this.socket = socket;
    this.owner = owner;
    const ctx = owner.ctx;
    this.remoteAddress = socket.remoteAddress ?? '';
    // net.Socket caches the peer as an object ({ address, family, port }) for good; the address string
    // is all we need, and an idle connection should not keep the rest.
    (socket as { _peername?: unknown })._peername = undefined;
    this.trusted = ctx.trustedProxies.size > 0 && ctx.trustedProxies.contains(this.remoteAddress);
    this.deadline = Date.now() + ctx.limits.keepAliveTimeoutMs;
    (socket as ClientSocket)[CONN] = this;
    socket.on('data', onSocketData);
    socket.on('drain', onSocketDrain);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
  }

  get ctx(): Http1Context {
    return this.owner.ctx;
  }

  /** The socket was handed to a WebSocket tunnel: no HTTP on it any more. */
  get tunnelled(): boolean {
    return this.phase === PHASE.TUNNEL;
  }

  /**
   * The client address as seen through trusted proxies: the right-most X-Forwarded-For entry that is not
   * itself a trusted proxy (what ingress-nginx's real_ip_recursive does). Untrusted peers are taken as is.
   */
  clientAddressFor(forwardedFor: string | undefined): string {
    return resolveClientAddress(this.remoteAddress, this.trusted, this.ctx.trustedProxies, forwardedFor);
  }

  onData(chunk: Buffer): void {
    let flight = this.flight;
    if (flight === null) {
      if (this.phase !== PHASE.IDLE) return; // a tunnel's socket, or one that is closing
      flight = this.flight = IN_FLIGHT.acquire(this, this.ctx.limits.maxHeaderBytes);
    }
    if (flight.closing) return;
    if (flight.tunnelHead !== null) {
      this.bufferForTunnel(flight, chunk);
      return;
    }
    if (this.phase === PHASE.IDLE) {
      // First bytes of a request: its line and headers must be complete within the headers timeout.
      // (Set here rather than in llhttp's message-begin callback: one JS call less per request.)
      this.phase = PHASE.HEAD;
      this.deadline = Date.now() + this.ctx.limits.headersTimeoutMs;
    }
    flight.reading = true;
    const error = this.parse(flight, chunk);
    flight.reading = false;
    const corked = flight.corked;
    if (corked !== null) {
      flight.corked = null;
      corked.uncork();
    }
    if (error !== null) this.onParseError(error);
    else if ((this.phase as Phase) === PHASE.IDLE) this.goIdle(); // answered within this read
  }

  /** Gives the in-flight state back while nothing is being parsed or answered (an idle keep-alive connection, a tunnel). */
  private goIdle(): void {
    const flight = this.flight;
    if (flight === null || flight.reading || flight.midMessage || flight.bodyLeft > 0 || flight.closing) return;
    this.flight = null;
    IN_FLIGHT.release(flight as InFlight<Http1ClientConnection | null>);
  }

  /** Parses one read: heads through llhttp, Content-Length bodies past it. Returns llhttp's error code. */
  private parse(flight: InFlight<Http1ClientConnection>, chunk: Buffer): string | null {
    let offset = 0;
    while (offset < chunk.length) {
      if (flight.bodyLeft > 0) {
        offset = this.passBody(flight, chunk, offset);
        continue;
      }
      const result = flight.parser.execute(offset === 0 ? chunk : chunk.subarray(offset));
      if (isLlhttpError(result)) return result.code;
      if (flight.tunnelHead !== null) {
        if (offset + result < chunk.length) this.bufferForTunnel(flight, chunk.subarray(offset + result));
        return null;
      }
      if (flight.bodyLeft === 0) return null;
      offset += result;
    }
    return null;
  }

  /** Body bytes of a Content-Length request, passed on as slices of the read (no copy). */
  private passBody(flight: InFlight<Http1ClientConnection>, chunk: Buffer, offset: number): number {
    const take = Math.min(flight.bodyLeft, chunk.length - offset);
    flight.bodyLeft -= take;
    const exchange = flight.parsing;
    if (exchange !== null) {
      const piece = offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take);
      // The exchange may keep the bytes past this read (an upstream write that waits): never the shared buffer.
      exchange.onRequestBody(isSharedRead(piece) ? flight.copyBody(piece, exchange) : piece);
    }
    if (flight.bodyLeft === 0 && this.phase !== PHASE.CLOSED) {
      resetParser(flight.parser, REQUEST, this.ctx.limits.maxHeaderBytes);
      this.handleMessageComplete();
    }
    return offset + take;
  }

  private bufferForTunnel(flight: InFlight<Http1ClientConnection>, chunk: Buffer): void {
    // Bytes a WebSocket client sends before the upstream's 101: held (bounded) until the tunnel opens.
    flight.tunnelHead!.push(isSharedRead(chunk) ? Buffer.from(chunk) : chunk);
    if (flight.tunnelHead!.length === 8) this.pauseReading();
  }

  /**
   * While one client read is being parsed, an upstream socket may be corked so that a request head and
   * the body bytes of the same read leave in one write; it is uncorked when the read is done.
   */
  corkUntilReadEnds(socket: net.Socket): void {
    const flight = this.flight;
    if (flight === null || !flight.reading || flight.corked !== null) return;
    socket.cork();
    flight.corked = socket;
  }

  /** Hands the socket over to a tunnel: returns bytes already received for it and stops parsing HTTP. */
  detachForTunnel(): Buffer[] {
    const flight = this.flight!;
    const head = flight.tunnelHead ?? [];
    flight.tunnelHead = null;
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('drain');
    this.socket.removeAllListeners('end');
    // The tunnel writes what it reads to the upstream, where it may wait: reads of its own from now on.
    readIntoFreshBuffers(this.socket);
    this.phase = PHASE.TUNNEL;
    this.deadline = 0;
    // The upstream's 101 arrives on its own socket, outside this connection's parser; if it ever came
    // from inside it, the state goes back when the connection closes.
    if (!flight.reading) {
      this.flight = null;
      IN_FLIGHT.release(flight as InFlight<Http1ClientConnection | null>);
    }
    return head;
  }

  private onParseError(code: string): void {
    // As node:http does: answer only if nothing was written for the current request, then close.
    const flight = this.flight!;
    const active = flight.active;
    const answered = active !== null && active.hasResponseStarted;
    flight.closing = true;
    if (!answered && this.socket.writable) this.socket.end(errorResponse(statusForParseError(code), true));
    else this.destroy();
    if (active !== null) active.abort();
  }

  onEnd(): void {
    // HTTP/1.1 never half-closes to end a request, so a FIN means the client is gone: an exchange in
    // flight is aborted (its upstream request cancelled), as node:http and nginx do.
    if (this.flight === null || this.flight.active === null) this.socket.end();
    else this.destroy();
  }

  onClose(): void {
    this.phase = PHASE.CLOSED;
    this.deadline = 0;
    const flight = this.flight;
    if (flight !== null) {
      flight.active?.abort();
      if (flight.parsing !== null && flight.parsing !== flight.active) flight.parsing.abort();
      if (flight.queue !== null) for (const ex of flight.queue) ex.abort();
    }
    this.owner.connectionClosed(this);
    // Closed mid-message, the parser is reinitialized before its next use.
    const rest = this.flight;
    this.flight = null;
    if (rest !== null) IN_FLIGHT.release(rest as InFlight<Http1ClientConnection | null>);
  }

  onDrain(): void {
    this.flight?.active?.onClientDrain();
  }

  /** Shutdown: close now if idle, else right after the current exchange. */
  closeWhenDone(): void {
    if (this.tunnelled) return; // a WebSocket: closed last, with a close frame (Tunnel.close)
    const flight = this.flight;
    if (flight === null || (flight.active === null && flight.parsing === null)) this.socket.end();
    else flight.endAfterExchange = true;
  }

  destroy(): void {
    this.socket.destroy();
  }

  pauseReading(): void {
    const flight = this.flight;
    if (flight !== null && flight.pauseCount++ === 0) this.socket.pause();
  }

  resumeReading(): void {
    const flight = this.flight;
    if (flight !== null && --flight.pauseCount === 0 && !this.socket.destroyed) this.socket.resume();
  }

  /** Called by an exchange when both its request and its response are complete. */
  exchangeFinished(exchange: Http1Exchange, close: boolean): void {
    if (this.ctx.observer.enabled) exchange.report();
    const flight = this.flight;
    if (flight === null || this.phase === PHASE.CLOSED) return; // closed meanwhile: nothing follows
    if (close || flight.closing || flight.endAfterExchange) {
      flight.closing = true;
      this.socket.end();
      return;
    }
    const next = flight.queue?.shift();
    if (next !== undefined) {
      flight.active = next;
      if (flight.queue!.length === 0) this.resumeReading();
      next.start();
      return;
    }
    flight.active = null;
    if (flight.parsing !== null) return;
    if (flight.midMessage) {
      // The next (pipelined) request has begun but its head is not complete: it gets the headers timeout.
      this.phase = PHASE.HEAD;
      this.deadline = Date.now() + this.ctx.limits.headersTimeoutMs;
      return;
    }
    this.phase = PHASE.IDLE;
    this.deadline = Date.now() + this.ctx.limits.keepAliveTimeoutMs;
    this.goIdle();
  }

  /** The sweep found the deadline passed. */
  onDeadline(): void {
    const phase = this.phase;
    this.deadline = 0;
    const flight = this.flight;
    if (phase === PHASE.IDLE || flight === null) {
      this.destroy();
      return;
    }
    // Headers or body too slow: 408 if nothing has been answered on this request yet.
    const active = flight.active;
    flight.closing = true;
    if ((active === null || !active.hasResponseStarted) && this.socket.writable) this.socket.end(errorResponse(408, true));
    else this.destroy();
    active?.abort();
  }

  handleMessageBegin(): void {
    this.flight!.midMessage = true;
  }

  handleHeaders(headers: string[], url: string): void {
    const flight = this.flight!;
    (flight.pendingFields ??= new PendingFields()).add(headers);
    flight.pendingUrl += url;
  }

  handleHeadersComplete(versionMinor: number, headers: string[] | undefined, method: number, url: string | undefined, upgrade: boolean, keepAlive: boolean): number {
    const flight = this.flight!;
    if (headers === undefined) {
      headers = flight.pendingFields === null ? [] : flight.pendingFields.take();
    }
    if (url === undefined) {
      url = flight.pendingUrl;
    }
    flight.pendingUrl = '';
    const exchange = new Http1Exchange(this, METHODS[method]!, url, versionMinor, headers, keepAlive, upgrade);
    if (exchange.isUpgrade) flight.tunnelHead = [];
    // Upgrades keep llhttp's own handling: after the head the bytes belong to the tunnel.
    const direct = !upgrade && !exchange.scan.chunked && exchange.scan.contentLength >= MIN_DIRECT_BODY;
    flight.parsing = exchange;
    this.phase = PHASE.BODY;
    this.deadline = Date.now() + this.ctx.limits.requestTimeoutMs;
    if (flight.active === null) {
      flight.active = exchange;
      exchange.start();
    } else {
      // Pipelined: answer in order. Stop reading until the queue drains.
      if (flight.queue === null) flight.queue = [];
      if (flight.queue.length === 0) this.pauseReading();
      flight.queue.push(exchange);
    }
    if (!direct) return 0;
    flight.bodyLeft = exchange.scan.contentLength;
    return HEAD_ONLY;
  }

  handleBody(chunk: Buffer): void {
    this.flight!.parsing?.onRequestBody(chunk);
  }

  handleMessageComplete(): void {
    const flight = this.flight!;
    // llhttp reports a HEAD_ONLY message complete at its head: the body is still to come.
    if (flight.bodyLeft > 0) return;
    flight.midMessage = false;
    const trailers = flight.pendingFields === null ? null : flight.pendingFields.takeTrailers();
    flight.pendingUrl = '';
    const exchange = flight.parsing;
    flight.parsing = null;
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

/** In-flight states with their request parsers (exported for tests: `inUse` counts connections mid-message). */
export const IN_FLIGHT = new InFlightPool<Http1ClientConnection>(REQUEST, {
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
