// The control plane: a source (manifest files or the Kubernetes API) fills the store; each batch of
// changes is translated into a versioned RouteTableSpec plus diagnostics and handed to `publish`.
// Nothing here touches requests, so it runs unchanged in a single process or in the primary.
import type { Logger } from 'pino';
import type { Settings } from '../settings/settings.ts';
import { ObjectStore, type ClusterState } from '../store/index.ts';
import { translate, readyReplicas, DEFAULT_ROUTE_OPTIONS } from '../translate/index.ts';
import { formatDiagnostic, type Diagnostic } from '../kube/diagnostic.ts';
import { CONTROLLER_NAME } from '../kube/constants.ts';
import type { RouteTableSpec } from '../routing/index.ts';
import { startFileSource } from '../sources/files/index.ts';
import { emptyTableSpec } from './snapshot.ts';
import { defaultIdentity, servedIngresses, startStatus, uidFromState, type StatusHandle } from '../status/index.ts';

export type PublishSpec = (spec: RouteTableSpec, diagnostics: readonly Diagnostic[], translateMs: number) => void;

export class ControlPlane {
  readonly settings: Settings;
  readonly store = new ObjectStore();
  private readonly logger: Logger;
  private readonly publishSpec: PublishSpec;
  private version = 0;
  private diagnostics: Diagnostic[] = [];
  private latest: RouteTableSpec = emptyTableSpec();
  private source: { close(): Promise<void> } | null = null;
  /** Routes are published only once the source delivered a complete first view (readiness). */
  private synced = false;
  private unsubscribe: (() => void) | null = null;
  private status: StatusHandle | null = null;
  ready = false;
  draining = false;
  /**
   * Ready replicas of Tideway's own Service (--publish-service), at least 1: what "cluster" rate limits
   * divide their budget by. 1 without --publish-service, or while its EndpointSlices are unknown.
   */
  replicas = 1;

  constructor(settings: Settings, logger: Logger, publish: PublishSpec) {
    this.settings = settings;
    this.logger = logger;
    this.publishSpec = publish;
  }

  /** Starts the source; resolves when it runs (files: after the first read; cluster: at once). */
  async start(): Promise<void> {
    const s = this.settings;
    this.unsubscribe = this.store.subscribe((state) => this.synced && this.apply(state), { debounceMs: 50 });
    const log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void => this.logger[level](fields ?? {}, msg);
    if (s.manifests.length > 0) {
      const files = await startFileSource(s.manifests, this.store, log);
      this.source = files;
      await files.ready;
      this.onSourceSynced();
      return;
    }
    // Loaded only in cluster mode: the Kubernetes client costs ~80 MB and a second to import.
    const { loadKubeConfig } = await import('../kube/client.ts');
    const { startKubernetesSource } = await import('../sources/kubernetes/index.ts');
    const kubeConfig = await loadKubeConfig(s.kubeconfig === undefined ? {} : { kubeconfig: s.kubeconfig });
    // Status and Events are written by the elected leader only (Lease tideway-<class>).
    if (s.updateStatus) this.status = await startStatus({ kubeConfig, settings: s, log, identity: defaultIdentity(), objectUid: uidFromState(() => this.store.state()) });
    this.source = await startKubernetesSource({
      kubeConfig,
      namespaces: s.watchNamespaces,
      ...(s.ingressNginxConfigMap === undefined ? {} : { configMaps: [s.ingressNginxConfigMap] }),
      sink: this.store,
      log,
      onSyncChange: (synced) => synced && this.onSourceSynced(),
    });
  }

  private onSourceSynced(): void {
    if (this.synced) return;
    this.synced = true;
    const before = this.version;
    this.store.flush();
    if (this.version === before) this.apply(this.store.state());
  }

  /** Translates the current objects and publishes the new table. */
  apply(state: ClusterState): void {
    const started = performance.now();
    const { table, diagnostics } = translate(state, {
      ingressClass: this.settings.ingressClass,
      controllerName: CONTROLLER_NAME,
      allowCrossNamespace: this.settings.allowCrossNamespace,
      ingressNginxCompat: this.settings.ingressNginxCompat,
      nginxAnnotationPrefix: this.settings.ingressNginxAnnotationPrefix,
      nginxConfigMap: this.settings.ingressNginxConfigMap ?? null,
      defaultCertificate: this.settings.defaultCertificate ?? null,
      defaults: {
        ...DEFAULT_ROUTE_OPTIONS,
        connectTimeoutMs: this.settings.upstream.connectTimeoutMs,
        readTimeoutMs: this.settings.upstream.readTimeoutMs,
        maxBodyBytes: this.settings.upstream.maxBodyBytes,
      },
    });
    table.version = ++this.version;
    this.updateReplicas(state);
    const translateMs = performance.now() - started;
    this.logNewDiagnostics(diagnostics);
    this.diagnostics = diagnostics;
    this.latest = table;
    this.publishSpec(table, diagnostics, translateMs);
    this.status?.onSnapshot(servedIngresses(table), diagnostics);
    this.ready = true;
    const routes = table.hosts.reduce((n, h) => n + h.routes.length, 0) + (table.defaultRoute ? 1 : 0);
    this.logger.info({ version: table.version, routes, backends: Object.keys(table.backends).length, diagnostics: diagnostics.length, translateMs: Math.round(translateMs * 10) / 10 }, 'routing snapshot served');
  }

  private updateReplicas(state: ClusterState): void {
    const service = this.settings.publishService;
    if (service === undefined) return;
    // No ready replica listed (this one is starting): count this one.
    const replicas = Math.max(1, readyReplicas(state, service) ?? 1);
    if (replicas !== this.replicas) this.logger.info({ service, replicas }, 'ready replicas changed: cluster rate limits are shared among them');
    this.replicas = replicas;
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

  /** The last published table (what workers serve, or are about to). */
  get currentSpec(): RouteTableSpec {
    return this.latest;
  }

  get currentVersion(): number {
    return this.version;
  }

  async stop(): Promise<void> {
    this.draining = true;
    // Releases the Lease so another replica takes over status writing at once.
    await this.status?.close();
    this.unsubscribe?.();
    await this.source?.close();
  }
}
