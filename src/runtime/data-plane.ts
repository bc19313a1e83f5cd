// The data plane of one process: listeners, the current routing snapshot and the upstream pools. It
// receives route tables as data (RouteTableSpec) and compiles them locally, so the same class serves
// in the single-process gateway and in each worker of a multi-process one.
import type { Settings } from '../settings/settings.ts';
import type { RouteTable, RouteTableSpec } from '../routing/index.ts';
import type { RouteRuntime } from '../proxy/route-runtime.ts';
import { Http1Listener } from '../proxy/http1/listener.ts';
import { NO_OBSERVER, type RequestObserver } from '../proxy/observer.ts';
import { UpstreamRegistry } from '../upstream/registry.ts';
import { buildSnapshot, emptyTableSpec } from './snapshot.ts';
import { requestIdGenerator } from './request-id.ts';

export interface DataPlaneOptions {
  settings: Settings;
  observer?: RequestObserver;
  /** Workers of a multi-process gateway each bind their own socket (SO_REUSEPORT); the kernel balances. */
  reusePort?: boolean;
}

const DRAIN_POLL_MS = 50;

export class DataPlane {
  readonly settings: Settings;
  readonly registry: UpstreamRegistry;
  readonly snapshot: { table: RouteTable<RouteRuntime> };
  private readonly http: Http1Listener;
  private readonly reusePort: boolean;

  constructor(options: DataPlaneOptions) {
    const { settings } = options;
    this.settings = settings;
    this.reusePort = options.reusePort ?? false;
    this.registry = new UpstreamRegistry({
      maxIdle: settings.upstream.maxIdlePerEndpoint,
      idleTimeoutMs: settings.upstream.idleTimeoutMs,
      tunnelGraceMs: settings.upstream.tunnelGraceMs,
    });
    this.snapshot = { table: buildSnapshot(emptyTableSpec(), this.registry) };
    this.http = new Http1Listener({
      snapshot: this.snapshot,
      limits: settings.limits,
      trustedProxies: settings.trustedProxies,
      scheme: 'http',
      httpsPort: settings.httpsPort ?? null,
      localPort: String(settings.httpPort),
      observer: options.observer ?? NO_OBSERVER,
      nextRequestId: requestIdGenerator(),
    });
  }

  async listen(): Promise<{ http: number }> {
    const http = await this.http.listen(this.settings.httpPort, this.settings.bindAddress, this.reusePort);
    return { http };
  }

  /** Compiles a route table and swaps it in; requests in flight keep the one they started with. */
  serve(spec: RouteTableSpec): void {
    this.snapshot.table = buildSnapshot(spec, this.registry);
  }

  get version(): number {
    return this.snapshot.table.version;
  }

  get connectionCount(): number {
    return this.http.connectionCount;
  }

  /**
   * Graceful stop: no new connections; idle keep-alive connections close now, busy ones right after
   * their current response; whatever is still open at the deadline is cut (tunnels included).
   */
  async drain(timeoutMs: number): Promise<void> {
    const closed = this.http.close();
    const deadline = Date.now() + timeoutMs;
    this.http.closeIdle();
    while (this.http.connectionCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      this.http.closeIdle();
    }
    this.http.destroyAll();
    await closed;
    this.registry.closeAll();
  }
}
