// The plain-HTTP listener: accepts TCP connections and runs the HTTP/1.1 fast path on them. One timer
// sweeps every connection's deadline (headers, request and keep-alive timeouts), the way node:http
// checks its connections, instead of a timer per connection. With an h2c handler, the first bytes of
// each connection are looked at first: the HTTP/2 preface hands the socket to HTTP/2. Accepted sockets
// read into one buffer shared by every connection (shared-read-buffer.ts).
import net from 'node:net';
import { Http1ClientConnection, type ConnectionOwner } from './client-connection.ts';
import type { Http1Context } from './context.ts';
import type { Gauge } from '../observer.ts';
import { classifyPreface } from '../http2/preface.ts';
import { installSharedReads, isSharedRead } from './shared-read-buffer.ts';

export interface Http1ListenerOptions {
  /** Takes connections that open with the HTTP/2 preface (h2c with prior knowledge), bytes unread. */
  h2c?: (socket: net.Socket) => void;
}

export class Http1Listener implements ConnectionOwner {
  readonly server: net.Server;
  readonly ctx: Http1Context;
  private readonly connections = new Set<Http1ClientConnection>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly h2c: ((socket: net.Socket) => void) | null;
  /** Connections whose first bytes have not arrived yet, with the time they must arrive by. */
  private readonly sniffing = new Map<net.Socket, number>();

  private readonly openGauge: Gauge;

  constructor(ctx: Http1Context, options: Http1ListenerOptions = {}) {
    this.ctx = ctx;
    this.openGauge = ctx.counters.connections('HTTP/1.1');
    this.h2c = options.h2c ?? null;
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => (this.h2c === null ? this.accept(socket) : this.sniff(socket)));
  }

  /** Waits for the first bytes, then gives the socket, bytes put back, to HTTP/2 or HTTP/1.1. */
  private sniff(socket: net.Socket): void {
    let head: Buffer | null = null;
    const onError = (): void => void socket.destroy();
    const onClose = (): void => void this.sniffing.delete(socket);
    const onData = (chunk: Buffer): void => {
      // Kept past this read (and put back into the socket): a copy, never the shared read buffer.
      head = head === null ? (isSharedRead(chunk) ? Buffer.from(chunk) : chunk) : Buffer.concat([head, chunk]);
      const verdict = classifyPreface(head);
      if (verdict === 'more') return;
      socket.pause();
      socket.off('data', onData).off('error', onError).off('close', onClose);
      this.sniffing.delete(socket);
      socket.unshift(head);
      if (verdict === 'http2') this.h2c!(socket);
      else {
        this.accept(socket);
        socket.resume();
      }
    };
    socket.on('data', onData).on('error', onError).on('close', onClose);
    this.sniffing.set(socket, Date.now() + this.ctx.limits.headersTimeoutMs);
    this.ensureSweep();
  }

  accept(socket: net.Socket): Http1ClientConnection {
    const conn = new Http1ClientConnection(socket, this);
    this.connections.add(conn);
    this.openGauge.inc();
    this.ensureSweep();
    return conn;
  }

  connectionClosed(conn: Http1ClientConnection): void {
    this.connections.delete(conn);
    this.openGauge.dec();
  }

  listen(port: number, host: string, reusePort = false): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, reusePort, exclusive: reusePort }, () => {
        this.server.off('error', reject);
        installSharedReads(this.server);
        const bound = (this.server.address() as net.AddressInfo).port;
        this.ctx.localPort = String(bound);
        resolve(bound);
      });
    });
  }

  /** Connections carrying HTTP (tunnelled WebSockets are not counted: drains do not wait for them). */
  get connectionCount(): number {
    let count = 0;
    for (const conn of this.connections) if (!conn.tunnelled) count++;
    return count;
  }

  /** Stops accepting; open connections are left to the caller's drain policy. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Ends idle keep-alive connections now and the others once their current exchange finishes. */
  closeIdle(): void {
    for (const conn of this.connections) conn.closeWhenDone();
    for (const socket of this.sniffing.keys()) socket.destroy();
  }

  /** Cuts every connection, finished or not (end of a drain). */
  destroyAll(): void {
    for (const conn of this.connections) conn.destroy();
    for (const socket of this.sniffing.keys()) socket.destroy();
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  private ensureSweep(): void {
    if (this.sweepTimer !== null) return;
    const limits = this.ctx.limits;
    const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs, limits.keepAliveTimeoutMs);
    // Deadlines are checked at a quarter of the shortest timeout: late by at most 25%, never early.
    const interval = Math.max(25, Math.min(1000, Math.floor(shortest / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), interval);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    if (this.connections.size === 0 && this.sniffing.size === 0) {
      clearInterval(this.sweepTimer!);
      this.sweepTimer = null;
      return;
    }
    const now = Date.now();
    for (const conn of this.connections) if (conn.deadline !== 0 && conn.deadline <= now) conn.onDeadline();
    // A connection that never sends a byte is closed like one that never completes its headers.
    for (const [socket, deadline] of this.sniffing) if (deadline <= now) socket.destroy();
  }
}
