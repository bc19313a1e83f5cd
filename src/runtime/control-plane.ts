// The control plane: a source (manifest files or the Kubernetes API) fills the store; each batch of
// changes is translated into a versioned RouteTableSpec plus diagnostics and handed to `publish`.
// Nothing here touches requests, so it runs unchanged in a single process or in the primary.
import type { Logger } from 'pino';
import type { Settings } from '../settings/settings.ts';
import { ObjectStore } from '../store/index.ts';
import { DEFAULT_ROUTE_OPTIONS, type TranslateOptionsInput } from '../translate/index.ts';
import { IncrementalTranslator } from '../translate/incremental/index.ts';
import { formatDiagnostic, type Diagnostic } from '../kube/diagnostic.ts';
import { CONTROLLER_NAME } from '../kube/constants.ts';
import type { RouteTableSpec } from '../routing/index.ts';
import { startFileSource } from '../sources/files/index.ts';
import { emptyTableSpec } from './snapshot.ts';
import { specDelta, type SpecDelta } from './spec-delta.ts';
import { defaultIdentity, servedIngresses, startStatus, uidFromStore, type StatusHandle } from '../status/index.ts';

/** Longest the control plane's shutdown waits for the API server (Lease release). */
const STOP_BUDGET_MS = 1000;

/** A new table; `delta` is its difference from the previous one (null for the first table). */
export type PublishSpec = (spec: RouteTableSpec, diagnostics: readonly Diagnostic[], translateMs: number, delta: SpecDelta | null) => void;

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

  /** Translation kept up to date change by change (translate() is its reference). */
  private readonly translator: IncrementalTranslator;

  constructor(settings: Settings, logger: Logger, publish: PublishSpec) {
    this.settings = settings;
    this.logger = logger;
    this.publishSpec = publish;
    this.translator = new IncrementalTranslator(translateOptions(settings));
  }

  /** Starts the source; resolves when it runs (files: after the first read; cluster: at once). */
  async start(): Promise<void> {
    const s = this.settings;
    this.unsubscribe = this.store.onChange(() => this.synced && this.update(), { debounceMs: 50 });
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
    if (s.updateStatus) this.status = await startStatus({ kubeConfig, settings: s, log, identity: defaultIdentity(), objectUid: uidFromStore((key) => this.store.get(key)) });
    this.source = await startKubernetesSource({
      kubeConfig,
      namespaces: s.watchNamespaces,
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
    if (this.version === before) this.update();
  }

  /** Translates what changed since the last table and publishes the new one. */
  private update(): void {
    const started = performance.now();
    const changed = this.translator.apply(this.store.takeChanges());
    const { table, diagnostics } = this.translator.result(this.store.sourceDiagnostics());
    const base = this.version;
    table.version = ++this.version;
    const translateMs = performance.now() - started;
    this.logNewDiagnostics(diagnostics);
    this.diagnostics = diagnostics;
    this.latest = table;
    const delta = base === 0 ? null : specDelta(base, table, changed, (host) => this.translator.routesOf(host));
    this.publishSpec(table, diagnostics, translateMs, delta);
    this.status?.onSnapshot(servedIngresses(table), diagnostics);
    this.ready = true;
    const routes = table.hosts.reduce((n, h) => n + h.routes.length, 0) + (table.defaultRoute ? 1 : 0);
    this.logger.info({ version: table.version, routes, backends: Object.keys(table.backends).length, diagnostics: diagnostics.length, translateMs: Math.round(translateMs * 10) / 10 }, 'routing snapshot served');
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

  /**
   * Readiness fails at once; the Lease is given up (for at most budgetMs: a slow API server must not
   * hold shutdown up) while the source stops.
   */
  async stop(budgetMs = STOP_BUDGET_MS): Promise<void> {
    this.draining = true;
    this.unsubscribe?.();
    // Releasing the Lease lets another replica take over status writing at once.
    await Promise.all([this.status?.close(budgetMs), this.source?.close()]);
  }
}

/** translate()'s options from Tideway's settings. */
export function translateOptions(settings: Settings): TranslateOptionsInput {
  return {
    ingressClass: settings.ingressClass,
    controllerName: CONTROLLER_NAME,
    allowCrossNamespace: settings.allowCrossNamespace,
    defaultCertificate: settings.defaultCertificate ?? null,
    defaults: {
      ...DEFAULT_ROUTE_OPTIONS,
      connectTimeoutMs: settings.upstream.connectTimeoutMs,
      readTimeoutMs: settings.upstream.readTimeoutMs,
      maxBodyBytes: settings.upstream.maxBodyBytes,
    },
  };
}
