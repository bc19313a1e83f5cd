// Gateway API listeners on ports other than 80 and 443, bound as written (DESIGN.md, "Gateway API"):
// plain HTTP/1.1 (and h2c) listeners that share the plain port's context but for the listener port
// routes see, and HTTPS ones that share the HTTPS port's context and certificates likewise. The set follows each snapshot: new ports are bound, ports no Gateway declares any more are
// closed (their connections finish first). A port that cannot be bound is logged and tried again with
// the next snapshot that still declares it.
import type { AppLogger } from '../observability/line-logger.ts';
import { Http1Listener } from '../proxy/http1/listener.ts';
import type { Http1Context } from '../proxy/http1/context.ts';
import { Http2Frontend } from '../proxy/http2/frontend.ts';
import type { Http2Limits } from '../proxy/http2/context.ts';
import { HttpsListener } from '../proxy/tls/https-listener.ts';
import type { RouteTableSpec } from '../routing/spec.ts';

/** One bound port, plain or TLS, as the runtime drives it. */
interface PortServer {
  readonly connectionCount: number;
  close(): Promise<void>;
  closeIdle(): void;
  destroyAll(): void;
}

interface PortListener {
  server: PortServer;
  /** Set on an HTTPS port: it takes each snapshot's certificates. */
  https: HttpsListener | null;
  /** Resolves once bound; rejects when the port could not be bound. */
  bound: Promise<number>;
}

/** A plain port: HTTP/1.1 with h2c by prior knowledge (the main plain port too, see DataPlane). */
export class PlainPort implements PortServer {
  readonly http: Http1Listener;
  readonly h2c: Http2Frontend;

  constructor(ctx: Http1Context, http2Limits: Http2Limits) {
    const h2c = new Http2Frontend(ctx, http2Limits);
    this.h2c = h2c;
    this.http = new Http1Listener(ctx, { h2c: (socket) => h2c.accept(socket) });
  }

  listen(port: number, host: string, reusePort = false): Promise<number> {
    return this.http.listen(port, host, reusePort);
  }

  get connectionCount(): number {
    return this.http.connectionCount + this.h2c.sessionCount;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  closeIdle(): void {
    this.http.closeIdle();
    this.h2c.closeGracefully();
  }

  destroyAll(): void {
    this.http.destroyAll();
    this.h2c.destroyAll();
  }
}

export class GatewayPorts {
  private readonly listeners = new Map<number, PortListener>();
  private readonly base: Http1Context;
  private readonly httpsBase: Http1Context;
  private readonly http2Limits: Http2Limits;
  private readonly bindAddress: string;
  private readonly reusePort: boolean;
  private readonly logger: AppLogger | undefined;
  private closed = false;

  /** `base` is the plain port's context, `httpsBase` the HTTPS port's. */
  constructor(base: Http1Context, httpsBase: Http1Context, http2Limits: Http2Limits, bindAddress: string, reusePort: boolean, logger: AppLogger | undefined) {
    this.base = base;
    this.httpsBase = httpsBase;
    this.http2Limits = http2Limits;
    this.bindAddress = bindAddress;
    this.reusePort = reusePort;
    this.logger = logger;
  }

  /**
   * Binds the ports the snapshot lists (plain and TLS) not bound yet, closes the bound ones it no longer
   * lists (or lists with the other protocol), and gives the TLS ones its certificates. Returns the
   * certificates that could not be loaded.
   */
  reconcile(spec: Pick<RouteTableSpec, 'listenerPorts' | 'tlsListenerPorts' | 'certificates' | 'defaultCertificate'>): string[] {
    if (this.closed) return [];
    const plain = spec.listenerPorts ?? [];
    const tls = spec.tlsListenerPorts ?? [];
    for (const [port, listener] of this.listeners) {
      if ((listener.https === null ? plain : tls).includes(port)) continue;
      this.listeners.delete(port);
      void this.release(listener);
    }
    for (const port of plain) if (!this.listeners.has(port)) this.bind(port, null);
    const problems: string[] = [];
    for (const port of tls) {
      const listener = this.listeners.get(port) ?? this.bind(port, new HttpsListener({ ...this.httpsBase, gatewayPort: port, localPort: String(port) }, this.http2Limits));
      problems.push(...listener.https!.applySnapshot(spec));
    }
    return problems;
  }

  /** The ports bound, for tests and logs. */
  async boundPorts(): Promise<number[]> {
    const settled = await Promise.allSettled([...this.listeners.values()].map((l) => l.bound));
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])).sort((a, b) => a - b);
  }

  get connectionCount(): number {
    let count = 0;
    for (const l of this.listeners.values()) count += l.server.connectionCount;
    return count;
  }

  closeIdle(): void {
    for (const l of this.listeners.values()) l.server.closeIdle();
  }

  destroyAll(): void {
    for (const l of this.listeners.values()) l.server.destroyAll();
  }

  /** Stops accepting on every port; resolves once their connections are gone. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.listeners.values()].map((l) => l.bound.then(() => l.server.close(), () => undefined)));
  }

  private bind(port: number, https: HttpsListener | null): PortListener {
    let entry: PortListener;
    if (https === null) {
      const plain = new PlainPort({ ...this.base, gatewayPort: port, localPort: String(port) }, this.http2Limits);
      entry = { server: plain, https: null, bound: plain.listen(port, this.bindAddress, this.reusePort) };
    } else entry = { server: https, https, bound: https.listen(port, this.bindAddress, this.reusePort) };
    this.listeners.set(port, entry);
    const bound = entry.bound;
    bound.then(
      () => this.logger?.info({ port, tls: https !== null }, 'Gateway listener port bound'),
      (error: Error) => {
        if (this.listeners.get(port) === entry) this.listeners.delete(port);
        this.logger?.error({ port, err: error.message }, `Gateway listener port ${port} cannot be bound: ${error.message}`);
      },
    );
    return entry;
  }

  private async release(listener: PortListener): Promise<void> {
    try {
      await listener.bound;
    } catch {
      return;
    }
    const closed = listener.server.close();
    listener.server.closeIdle();
    await closed;
  }
}
