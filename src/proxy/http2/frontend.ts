// HTTP/2 from clients: one node:http2 server (never listening itself) takes sockets that the TLS
// listener negotiated "h2" on, and plain sockets that opened with the HTTP/2 preface (h2c with prior
// knowledge). Sessions announce the limits, keep a rapid-reset guard, close when idle, and get GOAWAY
// on shutdown so clients finish their streams and go elsewhere for new ones.
import http2 from 'node:http2';
import type { Gauge } from '../observer.ts';
import type net from 'node:net';
import type { Http2Context, Http2Limits } from './context.ts';
import { CancelGuard } from './cancel-guard.ts';
import { Http2StreamExchange } from './stream-exchange.ts';
import { installStreamTables } from '../../lib/http2-stream-tables.ts';

/**
 * The connection-level window for what clients send. HTTP/2's default of 64 KiB is shared by every
 * stream of a session, so concurrent uploads would take turns by round trips. Streams keep the default
 * 64 KiB each: a stream whose upstream is slow is paused, and at most its window waits in memory.
 */
const SESSION_WINDOW_BYTES = 1024 * 1024;

/** Header fields per block (node's default of 128 is below what some browsers send with many cookies). */
const MAX_HEADER_LIST_PAIRS = 256;

function ignoreError(): void {}

function destroySocket(this: net.Socket): void {
  this.destroy();
}

function startPendingExchanges(frontend: Http2Frontend): void {
  frontend.startPending();
}

export class Http2Frontend {
  readonly server: http2.Http2Server;
  private readonly ctx: Http2Context;
  private readonly limits: Http2Limits;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private draining = false;
  /**
   * Streams whose HEADERS arrived since the last turn of the event loop, started together on the next
   * one (one setImmediate per batch rather than one per stream); the two arrays take turns.
   */
  private pending: Http2StreamExchange[] = [];
  private spare: Http2StreamExchange[] = [];
  private startScheduled = false;
  /** Open HTTP/2 connections, for the tideway connections gauge. */
  private readonly openSessions: Gauge;

  constructor(ctx: Http2Context, limits: Http2Limits) {
    this.ctx = ctx;
    this.limits = limits;
    this.openSessions = ctx.counters.connections('HTTP/2');
    this.server = http2.createServer({
      settings: {
        maxConcurrentStreams: limits.maxConcurrentStreams,
        maxHeaderListSize: limits.maxHeaderListSize,
        enableConnectProtocol: true,
        enablePush: false,
      },
      maxSessionMemory: limits.maxSessionMemoryMb,
      maxHeaderListPairs: MAX_HEADER_LIST_PAIRS,
    });
    this.server.on('session', (session: http2.ServerHttp2Session) => this.onSession(session));
  }

  /** Serves HTTP/2 on a connected socket (TLS after ALPN "h2", or plain with the preface unread). */
  accept(socket: net.Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    // HTTP/2 has no half-closed connections: a client's FIN means it is gone. The plain listener keeps
    // half-open sockets for HTTP/1.1, and node:http2 does not watch for the FIN itself, so without this
    // a session whose streams wait (on a backend, or on a window the client will never open again) held
    // its socket in CLOSE-WAIT until the idle timeout, and made a drain wait out its whole timeout.
    socket.once('end', destroySocket);
    this.server.emit('connection', socket);
  }

  private onSession(session: http2.ServerHttp2Session): void {
    installStreamTables(session);
    this.sessions.add(session);
    this.openSessions.inc();
    const guard = new CancelGuard(session, this.limits.maxCancelsPerSecond);
    if (!session.destroyed) session.setLocalWindowSize(SESSION_WINDOW_BYTES);
    // Streams are taken on the session, not the server: a stream already reset when its event fires
    // has no session reference left, and it still counts against its session.
    session.on('stream', (stream: http2.ServerHttp2Stream, _headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
      if (stream.destroyed) {
        // Destroyed by a session error in the same read: its 'error' event is still to come, and an
        // unheard 'error' would crash the process (found by the front-end fuzz test).
        stream.on('error', ignoreError);
        if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) guard.onCancel();
        return;
      }
      // Started on the next turn of the event loop: a stream its client reset in the same read is
      // closed by then and costs no upstream work (see cancel-guard.ts).
      this.pending.push(new Http2StreamExchange(this.ctx, stream, rawHeaders, guard));
      if (!this.startScheduled) {
        this.startScheduled = true;
        setImmediate(startPendingExchanges, this);
      }
    });
    session.on('close', () => {
      this.sessions.delete(session);
      this.openSessions.dec();
    });
    // Session errors (protocol violations, resets) end in 'close'; nothing to add.
    session.on('error', () => {});
    session.setTimeout(this.limits.idleTimeoutMs, () => {
      // Idle means no frame for the whole timeout; a session still carrying a quiet stream (a
      // WebSocket) is told to go away but keeps that stream.
      session.close();
    });
  }

  /** Starts the streams that arrived since the last turn, in their order of arrival. */
  startPending(): void {
    const batch = this.pending;
    this.pending = this.spare;
    this.spare = batch;
    this.startScheduled = false;
    for (let i = 0; i < batch.length; i++) batch[i]!.start();
    batch.length = 0;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** GOAWAY to every session: open streams finish, new ones go to another connection. */
  closeGracefully(): void {
    this.draining = true;
    for (const session of this.sessions) if (!session.closed) session.close();
  }

  /** Cuts every session (end of a drain). */
  destroyAll(): void {
    for (const session of this.sessions) session.destroy();
  }
}
