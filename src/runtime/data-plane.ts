// The data plane of one process: listeners, the current routing snapshot and the upstream pools. It
// receives route tables as data (a whole RouteTableSpec, or a SpecDelta from the table it serves) and
// compiles them locally, so the same class serves in the single-process gateway and in each worker of
// a multi-process one. It keeps the compiled form only: routes keep their RouteSpecs, backends theirs.
import type { AppLogger } from '../observability/line-logger.ts';
import type { Settings } from '../settings/settings.ts';
import type { RouteTable, RouteTableSpec } from '../routing/index.ts';
import type { RouteRuntime } from '../proxy/route-runtime.ts';
import type { Http1Context } from '../proxy/http1/context.ts';
import { DEFAULT_HTTP2_LIMITS, type Http2Limits } from '../proxy/http2/context.ts';
import { HttpsListener } from '../proxy/tls/https-listener.ts';
import { NO_COUNTERS, NO_OBSERVER, type ProxyCounters, type RequestObserver, type RequestTracerLike } from '../proxy/observer.ts';
import { UpstreamRegistry } from '../upstream/registry.ts';
import { buildSnapshot, emptyTableSpec, keepChains, patchSnapshot } from './snapshot.ts';
import type { SpecDelta } from './spec-delta.ts';
import { MiddlewareRuntime, type RateBudget } from '../middleware/index.ts';
import { requestIdGenerator } from './request-id.ts';
import { GatewayPorts, PlainPort } from './gateway-ports.ts';

export interface DataPlaneOptions {
  settings: Settings;
  observer?: RequestObserver;
  /** Live gauges and retry counters (GatewayMetrics); none by default. */
  counters?: ProxyCounters;
  /** How tables are applied (GatewayMetrics); not counted by default. */
  tableCounters?: TableCounters;
  /** Workers of a multi-process gateway each bind their own socket (SO_REUSEPORT); the kernel balances. */
  reusePort?: boolean;
  /** Where certificates that cannot be loaded, and middleware configuration errors, are reported. */
  logger?: AppLogger;
  /** The instance's rate-limit budget: the primary's (leased) in a worker, the gateway's own in one process. */
  rateBudget?: RateBudget;
}

const DRAIN_POLL_MS = 50;

/** How route tables are applied (GatewayMetrics): a delta should compile a few hosts, not all. */
export interface TableCounters {
  onTableApplied(kind: 'whole' | 'delta', hosts: number): void;
}

/** What the listeners read of a table: certificates, client validation, and the Gateway listener ports beyond 80 and 443. */
type ListenerSpec = Pick<RouteTableSpec, 'certificates' | 'defaultCertificate' | 'listenerPorts' | 'tlsListenerPorts' | 'clientValidation'>;

function listenerSpecOf(spec: RouteTableSpec): ListenerSpec {
  const { certificates, defaultCertificate, listenerPorts, tlsListenerPorts, clientValidation } = spec;
  return {
    certificates, ...(defaultCertificate && { defaultCertificate }), ...(listenerPorts && { listenerPorts }), ...(tlsListenerPorts && { tlsListenerPorts }),
    ...(clientValidation && { clientValidation }),
  };
}

export class DataPlane {
  readonly settings: Settings;
  readonly registry: UpstreamRegistry;
  readonly snapshot: { table: RouteTable<RouteRuntime> };
  /** The plain port: HTTP/1.1 and h2c. */
  private readonly http: PlainPort;
  private readonly httpContext: Http1Context;
  private readonly httpsContext: Http1Context;
  /** HTTP/2 with prior knowledge on the plain port. */
  private readonly https: HttpsListener | null;
  /** Gateway API listeners on ports other than 80 and 443, bound as written. */
  readonly gatewayPorts: GatewayPorts;
  private readonly reusePort: boolean;
  readonly middleware: MiddlewareRuntime;
  private readonly logger: AppLogger | undefined;
  private listenerSpec: ListenerSpec = { certificates: [] };
  private readonly tableCounters: TableCounters | null;

  constructor(options: DataPlaneOptions) {
    const { settings } = options;
    this.settings = settings;
    this.reusePort = options.reusePort ?? false;
    this.logger = options.logger;
    this.tableCounters = options.tableCounters ?? null;
    const logger = options.logger;
    this.middleware = new MiddlewareRuntime({
      log: (level, message, fields) => logger?.[level](fields ?? {}, message),
      ...(options.rateBudget === undefined ? {} : { rateBudget: options.rateBudget }),
    });
    this.registry = new UpstreamRegistry({
      maxIdle: settings.upstream.maxIdlePerEndpoint,
      idleTimeoutMs: settings.upstream.idleTimeoutMs,
      tunnelGraceMs: settings.upstream.tunnelGraceMs,
    });
    this.snapshot = { table: buildSnapshot(emptyTableSpec(), this.registry) };
    this.httpContext = {
      snapshot: this.snapshot,
      limits: settings.limits,
      trustedProxies: settings.trustedProxies,
      scheme: 'http',
      gatewayPort: 80,
      httpsPort: settings.httpsPort ?? null,
      localPort: String(settings.httpPort),
      observer: options.observer ?? NO_OBSERVER,
      counters: options.counters ?? NO_COUNTERS,
      tracer: null,
      nextRequestId: requestIdGenerator(),
    };
    const http2Limits: Http2Limits = { ...DEFAULT_HTTP2_LIMITS, idleTimeoutMs: settings.limits.keepAliveTimeoutMs };
    this.http = new PlainPort(this.httpContext, http2Limits);
    this.httpsContext = { ...this.httpContext, scheme: 'https', gatewayPort: 443, localPort: String(settings.httpsPort) };
    this.https = settings.httpsPort === undefined ? null : new HttpsListener(this.httpsContext, http2Limits);
    this.gatewayPorts = new GatewayPorts(this.httpContext, this.httpsContext, http2Limits, settings.bindAddress, this.reusePort, options.logger);
  }

  /** Tracing starts after construction (OpenTelemetry loads asynchronously). */
  setTracer(tracer: RequestTracerLike | null): void {
    this.httpContext.tracer = tracer;
    this.httpsContext.tracer = tracer;
  }

  async listen(): Promise<{ http: number; https: number | null }> {
    const http = await this.http.listen(this.settings.httpPort, this.settings.bindAddress, this.reusePort);
    const https = this.https === null ? null : await this.https.listen(this.settings.httpsPort!, this.settings.bindAddress, this.reusePort);
    // Redirects and X-Forwarded-Port name the port clients reach: the public one when set (in a cluster,
    // the Service's 80 and 443), else the port actually bound (--https-port 0 picks one).
    const published = this.settings.publicPorts;
    if (published.http !== null) this.httpContext.localPort = String(published.http);
    if (https !== null) this.httpContext.httpsPort = published.https ?? https;
    if (published.https !== null) this.httpsContext.localPort = String(published.https);
    return { http, https };
  }

  /** Compiles a whole route table and swaps it in; requests in flight keep the one they started with. */
  serve(spec: RouteTableSpec): void {
    const chains = this.middleware.snapshot();
    const table = buildSnapshot(spec, this.registry, chains);
    this.snapshot.table = table;
    void chains.finish();
    this.tableCounters?.onTableApplied('whole', table.compiledHosts);
    this.applyListeners(spec.version, listenerSpecOf(spec));
  }

  /**
   * Patches the table served with a delta and swaps the result in (see patchSnapshot); false, and
   * nothing changed, when the delta was made for another version (the caller then needs the whole table).
   */
  apply(delta: SpecDelta): boolean {
    const served = this.snapshot.table;
    if (delta.base !== served.version) return false;
    const chains = this.middleware.snapshot();
    const table = patchSnapshot(served, delta, this.registry, chains);
    if (this.middleware.holdsServices) keepChains(table, chains);
    this.snapshot.table = table;
    void chains.finish();
    this.tableCounters?.onTableApplied('delta', table.compiledHosts);
    // Deltas come from Ingress-only tables, which validate no client certificates: what a whole
    // (Gateway API) table asked for is dropped with the first delta.
    if (delta.certificates !== undefined || this.listenerSpec.clientValidation !== undefined) {
      const { clientValidation: _dropped, ...next } = this.listenerSpec;
      if (delta.certificates !== undefined) {
        const { list, defaultCertificate } = delta.certificates;
        next.certificates = list;
        if (defaultCertificate === null) delete next.defaultCertificate;
        else next.defaultCertificate = defaultCertificate;
      }
      this.applyListeners(delta.version, next);
    }
    return true;
  }

  private applyListeners(version: number, spec: ListenerSpec): void {
    this.listenerSpec = spec;
    for (const problem of this.https?.applySnapshot(spec) ?? []) this.logger?.error({ version }, problem);
    for (const problem of this.gatewayPorts.reconcile(spec)) this.logger?.error({ version }, problem);
  }

  get connectionCount(): number {
    return this.http.connectionCount + (this.https?.connectionCount ?? 0) + this.gatewayPorts.connectionCount;
  }

  /**
   * Graceful stop: no new connections; idle keep-alive connections close now, busy ones right after
   * their current response; whatever is still open at the deadline is cut (tunnels included).
   */
  async drain(timeoutMs: number): Promise<void> {
    const closed = Promise.all([this.http.close(), this.https?.close(), this.gatewayPorts.close()]);
    const deadline = Date.now() + timeoutMs;
    // HTTP/2 sessions get GOAWAY (once per session): their open streams finish, new ones go elsewhere.
    this.http.closeIdle();
    this.https?.closeIdle();
    this.gatewayPorts.closeIdle();
    while (this.connectionCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      this.http.closeIdle();
      this.https?.closeIdle();
      this.gatewayPorts.closeIdle();
    }
    // WebSockets last: a close frame with 1001 Going Away, a moment for the peers to close, then cut.
    await this.registry.closeTunnels();
    this.http.destroyAll();
    this.https?.destroyAll();
    this.gatewayPorts.destroyAll();
    await closed;
    this.registry.closeAll();
    await this.middleware.close();
  }
}
