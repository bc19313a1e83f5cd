// Keep-alive connections to one endpoint. Idle connections are reused most-recently-used first (the
// warmest socket, and the one least likely to have been closed by the upstream's idle timeout).
import type tls from 'node:tls';
import { Http1UpstreamConnection, type ConnectionOwner } from './http1-connection.ts';

/** What the pool needs of a tunnel (proxy/tunnel.ts), kept minimal so upstream/ does not import proxy/. */
export interface ClosableTunnel {
  close(): void;
  onClosed(callback: () => void): void;
}

export interface PoolSettings {
  /** Upgraded connections (WebSockets) to an endpoint that left the table are cut after this (ms). */
  tunnelGraceMs: number;
  /** Idle connections kept per endpoint. */
  maxIdle: number;
  /** An idle connection is closed after this long (ms); below the upstream's own keep-alive timeout. */
  idleTimeoutMs: number;
}

export class EndpointPool implements ConnectionOwner {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  private readonly settings: PoolSettings;
  private readonly idle: Http1UpstreamConnection[] = [];
  /** Connections open (idle or busy). */
  open = 0;
  /** Set when the endpoint left the routing table: connections close once they are done. */
  retired = false;
  private readonly tunnels = new Set<ClosableTunnel>();
  private tunnelTimer: NodeJS.Timeout | null = null;

  /** TLS client options for an https backend, null for plain HTTP. */
  private readonly tlsOptions: tls.ConnectionOptions | null;

  constructor(address: string, port: number, settings: PoolSettings, tlsOptions: tls.ConnectionOptions | null = null) {
    this.address = address;
    this.port = port;
    this.key = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    this.settings = settings;
    this.tlsOptions = tlsOptions;
  }

  /** An idle connection, or a new one that is still connecting (connect timeout armed). */
  acquire(connectTimeoutMs: number): Http1UpstreamConnection {
    const idle = this.idle.pop();
    if (idle !== undefined) return idle;
    this.open++;
    return new Http1UpstreamConnection(this.address, this.port, this.key, this, connectTimeoutMs, this.tlsOptions);
  }

  release(conn: Http1UpstreamConnection): void {
    if (this.retired || this.idle.length >= this.settings.maxIdle) {
      conn.destroy();
      return;
    }
    conn.setTimeout(this.settings.idleTimeoutMs);
    this.idle.push(conn);
  }

  forget(conn: Http1UpstreamConnection): void {
    this.open--;
    const index = this.idle.indexOf(conn);
    if (index >= 0) this.idle.splice(index, 1);
  }

  /** An upgraded connection (WebSocket) to this endpoint, closed with it (see retire, closeTunnels). */
  adoptTunnel(tunnel: ClosableTunnel): void {
    this.tunnels.add(tunnel);
    tunnel.onClosed(() => this.tunnels.delete(tunnel));
  }

  /** Closes idle connections now; busy ones close when their exchange ends. */
  retire(): void {
    this.retired = true;
    for (const conn of this.idle.splice(0)) conn.destroy();
    // Open WebSockets survive snapshot swaps; to an endpoint that is gone they get a grace period.
    if (this.tunnels.size > 0 && this.tunnelTimer === null) {
      this.tunnelTimer = setTimeout(() => {
        this.tunnelTimer = null;
        if (this.retired) for (const tunnel of this.tunnels) tunnel.close();
      }, this.settings.tunnelGraceMs);
      this.tunnelTimer.unref();
    }
  }

  /** Undoes retire() when the endpoint comes back before its pool was dropped. */
  revive(): void {
    this.retired = false;
    if (this.tunnelTimer !== null) {
      clearTimeout(this.tunnelTimer);
      this.tunnelTimer = null;
    }
  }

  /** Shutdown: close every tunnel now (WebSockets get 1001 Going Away); resolves when they are gone. */
  closeTunnels(): Promise<void> {
    const closed = [...this.tunnels].map((tunnel) => new Promise<void>((resolve) => tunnel.onClosed(resolve)));
    for (const tunnel of this.tunnels) tunnel.close();
    return Promise.all(closed).then(() => undefined);
  }
}
