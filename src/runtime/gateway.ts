// The whole gateway in one process (`--workers 1`, and what tests start): the control plane publishes
// each new route table straight into the local data plane. Requests in flight keep the route (and
// backend runtime) they matched, so a swap never disturbs them.
import type { Logger } from 'pino';
import type { Settings } from '../settings/settings.ts';
import type { Diagnostic } from '../kube/diagnostic.ts';
import type { RouteTable } from '../routing/index.ts';
import type { RouteRuntime } from '../proxy/route-runtime.ts';
import type { RequestObserver } from '../proxy/observer.ts';
import type { ObjectStore } from '../store/index.ts';
import type { UpstreamRegistry } from '../upstream/registry.ts';
import { AdminServer, metricsHandler, mountAdminApi, mountDashboard } from '../admin/index.ts';
import { ControlPlane } from './control-plane.ts';
import { DataPlane } from './data-plane.ts';
import { createObservability, type ProcessObservability } from './observability.ts';
import { BucketBank, loadPlugins } from '../middleware/index.ts';
import type { StatusTiming } from '../status/index.ts';

export interface GatewayOptions {
  settings: Settings;
  logger: Logger;
  /** An extra observer of finished requests (tests). */
  observer?: RequestObserver;
  /** Leader election and status timing (tests shorten it). */
  statusTiming?: Partial<StatusTiming>;
}

export interface ListeningPorts {
  http: number;
  /** The TLS port, when --https-port is set. */
  https: number | null;
  admin: number;
}

export class Gateway {
  readonly settings: Settings;
  readonly control: ControlPlane;
  readonly data: DataPlane;
  readonly admin: AdminServer;
  readonly observability: ProcessObservability;
  /** Set once start() has bound the listeners. */
  ports: ListeningPorts | null = null;

  constructor(options: GatewayOptions) {
    const { settings, logger } = options;
    this.settings = settings;
    this.observability = createObservability(settings, options.observer);
    const metrics = this.observability.metrics;
    // Cluster rate limits divide their budget by the replicas the control plane counts.
    const rateBudget = new BucketBank(() => this.control.replicas);
    this.data = new DataPlane({ settings, logger, observer: this.observability.observer, counters: metrics, tableCounters: metrics, rateBudget });
    this.control = new ControlPlane(settings, logger, (snapshot) => {
      if (snapshot.delta === null || !this.data.apply(snapshot.delta)) this.data.serve(snapshot.spec());
      metrics.onSnapshot(snapshot.version, snapshot.translateMs);
      metrics.onDiagnostics(snapshot.diagnostics);
    }, options.statusTiming);
    this.admin = new AdminServer(this.control);
    mountAdminApi(this.admin, { spec: () => this.control.currentSpec, explainTable: () => this.control.explainTable, diagnostics: () => this.control.currentDiagnostics, stats: () => metrics.stats(), ingressNginxReport: () => this.control.ingressNginxReport() });
    this.admin.route('/metrics', metricsHandler(metrics, 'single'));
    mountDashboard(this.admin);
  }

  get store(): ObjectStore {
    return this.control.store;
  }

  get snapshot(): { table: RouteTable<RouteRuntime> } {
    return this.data.snapshot;
  }

  get registry(): UpstreamRegistry {
    return this.data.registry;
  }

  get currentDiagnostics(): readonly Diagnostic[] {
    return this.control.currentDiagnostics;
  }

  /** Starts listeners and the source; resolves once listening (readiness follows the first snapshot). */
  async start(): Promise<ListeningPorts> {
    const s = this.settings;
    await loadPlugins(s.plugins);
    await this.observability.startTracing();
    this.data.setTracer(this.observability.tracer);
    const admin = await this.admin.listen(s.adminPort, s.adminAddress);
    const { http, https } = await this.data.listen();
    await this.control.start();
    this.ports = { http, https, admin };
    return this.ports;
  }

  /** Readiness fails at once; in-flight requests get up to drainTimeoutMs; then everything closes. */
  async stop(drainTimeoutMs = this.settings.drainTimeoutMs): Promise<void> {
    await Promise.all([this.control.stop(), this.data.drain(drainTimeoutMs)]);
    await this.admin.close();
    await this.observability.close();
  }
}
