// Gateway API listeners on ports other than 80 and 443, bound as written (DESIGN.md, "Gateway API"):
// plain HTTP/1.1 (and h2c) listeners that share the plain port's context but for the listener port
// routes see. The set follows each snapshot: new ports are bound, ports no Gateway declares any more are
// closed (their connections finish first). A port that cannot be bound is logged and tried again with
// the next snapshot that still declares it.
import type { Logger } from 'pino';
import { Http1Listener } from '../proxy/http1/listener.ts';
import type { Http1Context } from '../proxy/http1/context.ts';
import { Http2Frontend } from '../proxy/http2/frontend.ts';
import type { Http2Limits } from '../proxy/http2/context.ts';

interface PortListener {
  http: Http1Listener;
  h2c: Http2Frontend;
  /** Resolves once bound; rejects when the port could not be bound. */
  bound: Promise<number>;
}

export class GatewayPorts {
  private readonly listeners = new Map<number, PortListener>();
  private readonly base: Http1Context;
  private readonly http2Limits: Http2Limits;
  private readonly bindAddress: string;
  private readonly reusePort: boolean;
  private readonly logger: Logger | undefined;
  private closed = false;

  constructor(base: Http1Context, http2Limits: Http2Limits, bindAddress: string, reusePort: boolean, logger: Logger | undefined) {
    this.base = base;
    this.http2Limits = http2Limits;
    this.bindAddress = bindAddress;
    this.reusePort = reusePort;
    this.logger = logger;
  }

  /** Binds the ports of `wanted` not bound yet and closes the bound ones it no longer lists. */
  reconcile(wanted: readonly number[]): void {
    if (this.closed) return;
    for (const [port, listener] of this.listeners) {
      if (wanted.includes(port)) continue;
      this.listeners.delete(port);
      void this.release(listener);
    }
    for (const port of wanted) if (!this.listeners.has(port)) this.bind(port);
  }

  /** The ports bound, for tests and logs. */
  async boundPorts(): Promise<number[]> {
    const settled = await Promise.allSettled([...this.listeners.values()].map((l) => l.bound));
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])).sort((a, b) => a - b);
  }

  get connectionCount(): number {
    let count = 0;
    for (const l of this.listeners.values()) count += l.http.connectionCount + l.h2c.sessionCount;
    return count;
  }

  closeIdle(): void {
    for (const l of this.listeners.values()) {
      l.http.closeIdle();
      l.h2c.closeGracefully();
    }
  }

  destroyAll(): void {
    for (const l of this.listeners.values()) {
      l.http.destroyAll();
      l.h2c.destroyAll();
    }
  }

  /** Stops accepting on every port; resolves once their connections are gone. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.listeners.values()].map((l) => l.bound.then(() => l.http.close(), () => undefined)));
  }

  private bind(port: number): void {
    const ctx: Http1Context = { ...this.base, gatewayPort: port, localPort: String(port) };
    const h2c = new Http2Frontend(ctx, this.http2Limits);
    const http = new Http1Listener(ctx, { h2c: (socket) => h2c.accept(socket) });
    const bound = http.listen(port, this.bindAddress, this.reusePort);
    const entry: PortListener = { http, h2c, bound };
    this.listeners.set(port, entry);
    bound.then(
      () => this.logger?.info({ port }, 'Gateway listener port bound'),
      (error: Error) => {
        if (this.listeners.get(port) === entry) this.listeners.delete(port);
        this.logger?.error({ port, err: error.message }, `Gateway listener port ${port} cannot be bound: ${error.message}`);
      },
    );
  }

  private async release(listener: PortListener): Promise<void> {
    try {
      await listener.bound;
    } catch {
      return;
    }
    const closed = listener.http.close();
    listener.h2c.closeGracefully();
    listener.http.closeIdle();
    await closed;
  }
}
