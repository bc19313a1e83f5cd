// One process running the whole gateway: a source fills the store, each batch of changes is translated
// into a new routing snapshot that is swapped in with one assignment, and the listeners serve it.
// Requests in flight keep the route (and backend runtime) they matched, so a swap never disturbs them.
import type { Logger } from 'pino';
import type { Settings } from '../settings/settings.ts';
import { ObjectStore, type ClusterState } from '../store/index.ts';
import { translate, DEFAULT_ROUTE_OPTIONS } from '../translate/index.ts';
import { formatDiagnostic, type Diagnostic } from '../kube/diagnostic.ts';
import { CONTROLLER_NAME } from '../kube/constants.ts';
import type { RouteTable, RouteTableSpec } from '../routing/index.ts';
import type { RouteRuntime } from '../proxy/route-runtime.ts';
import { Http1Listener } from '../proxy/http1/listener.ts';
import { NO_OBSERVER, type RequestObserver } from '../proxy/observer.ts';
import { UpstreamRegistry } from '../upstream/registry.ts';
import { AdminServer, json } from '../admin/server.ts';
import { buildSnapshot, emptyTableSpec } from './snapshot.ts';
import { requestIdGenerator } from './request-id.ts';
import { startFileSource } from '../sources/files/index.ts';

export interface GatewayOptions {
  settings: Settings;
  logger: Logger;
  observer?: RequestObserver;
}

export interface ListeningPorts {
  http: number;
  admin: number;
}

export class Gateway {
  readonly settings: Settings;
  readonly store = new ObjectStore();
  readonly registry: UpstreamRegistry;
  readonly snapshot: { table: RouteTable<RouteRuntime> };
  readonly admin: AdminServer;
  private readonly logger: Logger;
  private readonly http: Http1Listener;
  private version = 0;
  private diagnostics: Diagnostic[] = [];
  private source: { close(): Promise<void> } | null = null;
  /** Routes are published only once the source delivered a complete first view (readiness). */
  private synced = false;
  private unsubscribe: (() => void) | null = null;
  ready = false;
  draining = false;

  constructor(options: GatewayOptions) {
    const { settings, logger } = options;
    this.settings = settings;
    this.logger = logger;
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
    this.admin = new AdminServer(this);
    this.admin.route('/api/routes', () => json(200, this.snapshot.table.spec));
    this.admin.route('/api/diagnostics', () => json(200, { version: this.version, diagnostics: this.diagnostics }));
  }

  /** Starts listeners and the source; resolves once listening (readiness follows the first snapshot). */
  async start(): Promise<ListeningPorts> {
    const s = this.settings;
    const admin = await this.admin.listen(s.adminPort, s.adminAddress);
    const http = await this.http.listen(s.httpPort, s.bindAddress);
    this.unsubscribe = this.store.subscribe((state) => this.synced && this.apply(state), { debounceMs: 50 });
    const log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void => this.logger[level](fields ?? {}, msg);
    if (s.manifests.length > 0) {
      const files = await startFileSource(s.manifests, this.store, log);
      this.source = files;
      await files.ready;
      this.onSourceSynced();
    } else {
      // Loaded only in cluster mode: the Kubernetes client costs ~80 MB and a second to import.
      const { loadKubeConfig } = await import('../kube/client.ts');
      const { startKubernetesSource } = await import('../sources/kubernetes/index.ts');
      const kubeConfig = await loadKubeConfig(s.kubeconfig === undefined ? {} : { kubeconfig: s.kubeconfig });
      this.source = await startKubernetesSource({
        kubeConfig,
        namespaces: s.watchNamespaces,
        sink: this.store,
        log,
        onSyncChange: (synced) => synced && this.onSourceSynced(),
      });
    }
    return { http, admin };
  }

  private onSourceSynced(): void {
    if (this.synced) return;
    this.synced = true;
    const before = this.version;
    this.store.flush();
    if (this.version === before) this.apply(this.store.state());
  }

  /** Translates the current objects and swaps in the new snapshot. */
  apply(state: ClusterState): void {
    const started = performance.now();
    const { table, diagnostics } = translate(state, {
      ingressClass: this.settings.ingressClass,
      controllerName: CONTROLLER_NAME,
      allowCrossNamespace: this.settings.allowCrossNamespace,
      defaults: {
        ...DEFAULT_ROUTE_OPTIONS,
        connectTimeoutMs: this.settings.upstream.connectTimeoutMs,
        readTimeoutMs: this.settings.upstream.readTimeoutMs,
        maxBodyBytes: this.settings.upstream.maxBodyBytes,
      },
    });
    this.publish(table, diagnostics, performance.now() - started);
  }

  private publish(spec: RouteTableSpec, diagnostics: Diagnostic[], translateMs: number): void {
    spec.version = ++this.version;
    this.snapshot.table = buildSnapshot(spec, this.registry);
    this.logNewDiagnostics(diagnostics);
    this.diagnostics = diagnostics;
    this.ready = true;
    const routes = spec.hosts.reduce((n, h) => n + h.routes.length, 0) + (spec.defaultRoute ? 1 : 0);
    this.logger.info({ version: spec.version, routes, backends: Object.keys(spec.backends).length, diagnostics: diagnostics.length, translateMs: Math.round(translateMs * 10) / 10 }, 'routing snapshot served');
  }

  private logNewDiagnostics(next: Diagnostic[]): void {
    const seen = new Set(this.diagnostics.map(formatDiagnostic));
    for (const d of next) {
      const line = formatDiagnostic(d);
      if (seen.has(line)) continue;
      this.logger[d.severity === 'error' ? 'error' : 'warn']({ kind: d.kind, object: d.object, field: d.field, reason: d.reason }, line);
    }
  }

  get currentDiagnostics(): readonly Diagnostic[] {
    return this.diagnostics;
  }

  /** Stops accepting, lets in-flight requests finish up to drainTimeoutMs, then closes everything. */
  async stop(drainTimeoutMs = this.settings.drainTimeoutMs): Promise<void> {
    this.draining = true;
    this.unsubscribe?.();
    await this.source?.close();
    const closed = this.http.close();
    const deadline = Date.now() + drainTimeoutMs;
    while (this.http.connectionCount > 0 && Date.now() < deadline) {
      this.http.closeIdle();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.http.destroyAll();
    await closed;
    this.registry.closeAll();
    await this.admin.close();
  }
}
