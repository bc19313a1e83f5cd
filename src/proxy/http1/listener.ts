// The plain-HTTP listener: accepts TCP connections and runs the HTTP/1.1 fast path on them. One timer
// sweeps every connection's deadline (headers, request and keep-alive timeouts), the way node:http
// checks its connections, instead of a timer per connection.
import net from 'node:net';
import { Http1ClientConnection } from './client-connection.ts';
import type { Http1Context } from './context.ts';

export class Http1Listener {
  readonly server: net.Server;
  private readonly ctx: Http1Context;
  private readonly connections = new Set<Http1ClientConnection>();
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(ctx: Http1Context) {
    this.ctx = ctx;
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.accept(socket));
  }

  accept(socket: net.Socket): Http1ClientConnection {
    const conn = new Http1ClientConnection(socket, this.ctx);
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
    this.ensureSweep();
    return conn;
  }

  listen(port: number, host?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const bound = (this.server.address() as net.AddressInfo).port;
        this.ctx.localPort = String(bound);
        resolve(bound);
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting; open connections are left to the caller's drain policy. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Ends idle keep-alive connections now and the others once their current exchange finishes. */
  closeIdle(): void {
    for (const conn of this.connections) conn.closeWhenDone();
  }

  /** Cuts every connection, finished or not (end of a drain). */
  destroyAll(): void {
    for (const conn of this.connections) conn.destroy();
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
    if (this.connections.size === 0) {
      clearInterval(this.sweepTimer!);
      this.sweepTimer = null;
      return;
    }
    const now = Date.now();
    for (const conn of this.connections) if (conn.deadline !== 0 && conn.deadline <= now) conn.onDeadline();
  }
}
