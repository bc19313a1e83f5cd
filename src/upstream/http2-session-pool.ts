// HTTP/2 connections to one endpoint (backend protocols h2c, grpc, grpcs). Streams are multiplexed on
// one session; a second session opens only when every open one is at the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS. A session that received GOAWAY or closed leaves the pool at once
// (its streams finish on it) and the next request opens a fresh one. Retiring the pool (the endpoint
// left the routing table) closes sessions gracefully: streams in flight, long gRPC calls included,
// run to their end.
import http2 from 'node:http2';
import type tls from 'node:tls';
import { installLeanAsyncResourceBind } from './lean-async-bind.ts';
import { installStreamTables } from '../lib/http2-stream-tables.ts';

export interface Http2PoolSettings {
  /** A session without streams for this long is closed (ms). */
  idleTimeoutMs: number;
}

/**
 * Flow-control windows for what backends send: HTTP/2's default of 64 KiB per stream and, worse, 64 KiB
 * for the whole connection would make every response wait a round trip per 64 KiB, shared by all the
 * streams of the session. What is read but not yet taken by a client stays within these bounds: a
 * stream whose client falls behind is paused, and its window then stops the backend.
 */
const STREAM_WINDOW_BYTES = 256 * 1024;
const SESSION_WINDOW_BYTES = 2 * 1024 * 1024;

/** Streams assumed allowed before the peer's SETTINGS arrive (RFC 9113 6.5.2 recommends at least 100). */
const ASSUMED_MAX_STREAMS = 100;

class PooledSession {
  readonly session: http2.ClientHttp2Session;
  active = 0;
  usable = true;
  constructor(session: http2.ClientHttp2Session) {
    this.session = session;
  }
}

export class Http2SessionPool {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** True for grpcs: streams carry :scheme https. */
  readonly secure: boolean;
  private readonly tlsOptions: tls.ConnectionOptions | null;
  private readonly settings: Http2PoolSettings;
  private sessions: PooledSession[] = [];
  retired = false;

  constructor(address: string, port: number, tlsOptions: tls.ConnectionOptions | null, settings: Http2PoolSettings) {
    this.address = address;
    this.port = port;
    this.key = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    this.secure = tlsOptions !== null;
    this.tlsOptions = tlsOptions;
    this.settings = settings;
    // Every stream this pool opens goes through AsyncResource.prototype.bind (see lean-async-bind.ts).
    installLeanAsyncResourceBind();
  }

  /**
   * Opens a stream. It may wait for its session to connect: the stream's 'ready' event says it got an
   * id (connected); a connect failure arrives as the stream's 'error' with the socket's error code.
   * Throws what node:http2 throws for invalid request headers.
   */
  request(headers: http2.OutgoingHttpHeaders | string[], options: http2.ClientSessionRequestOptions, connectTimeoutMs: number): http2.ClientHttp2Stream {
    const pooled = this.available() ?? this.open(connectTimeoutMs);
    const stream = pooled.session.request(headers, options);
    pooled.active++;
    // 'close' comes once: on() spares once()'s wrapper.
    stream.on('close', () => {
      pooled.active--;
      if (pooled.active === 0 && this.retired) this.closeSession(pooled);
    });
    return stream;
  }

  get sessionCount(): number {
    return this.sessions.length;
  }

  private available(): PooledSession | undefined {
    for (const pooled of this.sessions) {
      if (!pooled.usable) continue;
      const max = pooled.session.remoteSettings?.maxConcurrentStreams ?? ASSUMED_MAX_STREAMS;
      if (pooled.active < max) return pooled;
    }
    return undefined;
  }

  private open(connectTimeoutMs: number): PooledSession {
    const session = http2.connect(`${this.secure ? 'https' : 'http'}://${this.key}`, {
      ...this.tlsOptions,
      settings: { enablePush: false, initialWindowSize: STREAM_WINDOW_BYTES },
    });
    installStreamTables(session);
    const pooled = new PooledSession(session);
    this.sessions.push(pooled);
    const connectTimer = setTimeout(() => {
      const error: NodeJS.ErrnoException = new Error(`connect to ${this.key} timed out`);
      error.code = 'ETIMEDOUT';
      session.destroy(error);
    }, connectTimeoutMs);
    session.once('connect', () => {
      clearTimeout(connectTimer);
      if (!session.destroyed) session.setLocalWindowSize(SESSION_WINDOW_BYTES);
    });
    session.setTimeout(this.settings.idleTimeoutMs, () => {
      if (pooled.active === 0) this.closeSession(pooled);
    });
    const leave = (): void => {
      clearTimeout(connectTimer);
      if (!pooled.usable) return;
      pooled.usable = false;
      this.sessions = this.sessions.filter((p) => p !== pooled);
    };
    session.on('goaway', leave);
    session.on('close', leave);
    // Failures reach the streams opened on the session; the session itself only leaves the pool.
    session.on('error', leave);
    return pooled;
  }

  /** The endpoint left the routing table: idle sessions close now, busy ones after their last stream. */
  retire(): void {
    this.retired = true;
    for (const pooled of this.sessions) if (pooled.active === 0) this.closeSession(pooled);
  }

  /** GOAWAY and close once its streams are done; no new stream goes to it. */
  private closeSession(pooled: PooledSession): void {
    pooled.usable = false;
    this.sessions = this.sessions.filter((p) => p !== pooled);
    pooled.session.close();
  }

  /** Undoes retire() when the endpoint comes back before its pool was dropped. */
  revive(): void {
    this.retired = false;
  }
}
