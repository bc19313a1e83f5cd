// The control plane: a source (manifest files or the Kubernetes API) fills the store; each batch of
// changes is translated into a versioned RouteTableSpec plus diagnostics and handed to `publish`.
// Nothing here touches requests, so it runs unchanged in a single process or in the primary.
import type { Logger } from 'pino';
import type { Settings } from '../settings/settings.ts';
import { ObjectStore, type StoreChange } from '../store/index.ts';
import type { EndpointSlice } from '../kube/types.ts';
import { configMapReferences, DEFAULT_ROUTE_OPTIONS, migrationReport, readyReplicas, secretReferences, translate, type GatewayApiStatus, type ReportLine, type TranslateOptionsInput } from '../translate/index.ts';
import { IncrementalTranslator, type TableDelta } from '../translate/incremental/index.ts';
import { formatDiagnostic, type Diagnostic } from '../kube/diagnostic.ts';
import { CONTROLLER_NAME } from '../kube/constants.ts';
import type { RouteTableSpec } from '../routing/index.ts';
import { startFileSource } from '../sources/files/index.ts';
import { emptyTableSpec } from './snapshot.ts';
import { specDelta, type SpecDelta } from './spec-delta.ts';
import { explainTableOf, type ExplainTable } from '../admin/index.ts';
import { defaultIdentity, servedIngresses, startStatus, uidFromStore, type StatusHandle, type StatusTiming } from '../status/index.ts';

/** Longest the control plane's shutdown waits for the API server (Lease release). */
const STOP_BUDGET_MS = 1000;

/** Quiet time after a change before translating (a rollout's burst of EndpointSlices is one batch). */
const CHANGE_DEBOUNCE_MS = 20;

/** Translation hands the event loop back after this much work, so that nothing else waits long. */
const SLICE_MS = 10;

const NO_GATEWAY_STATUS: GatewayApiStatus = Object.freeze({ entries: [] });

/** A new table as published: built on demand (spec()), and as a difference from the previous one. */
export interface PublishedSnapshot {
  version: number;
  /** The whole table; assembled on first call. */
  spec(): RouteTableSpec;
  /** The difference from the previous version; null for the first table. */
  delta: SpecDelta | null;
  diagnostics: readonly Diagnostic[];
  /** Time spent translating (the slices' sum, not the wall time in between). */
  translateMs: number;
}

export type PublishSpec = (snapshot: PublishedSnapshot) => void;

export class ControlPlane {
  readonly settings: Settings;
  readonly store = new ObjectStore();
  private readonly logger: Logger;
  private readonly publishSpec: PublishSpec;
  private version = 0;
  private diagnostics: Diagnostic[] = [];
  /** The last published table, once assembled (see currentSpec). */
  private assembled: RouteTableSpec = emptyTableSpec();
  /** The table of the full translation, while the incremental one is not complete (see IncrementalTranslator.complete). */
  private fullTable: RouteTableSpec | null = null;
  /** A translation in progress, run slice by slice; another change waits for it (rerun). */
  private running: Generator<void, TableDelta, void> | null = null;
  private rerun = false;
  private firstPublished!: () => void;
  /** Resolves when the first table is published. */
  readonly firstSnapshot = new Promise<void>((resolve) => (this.firstPublished = resolve));
  private source: { close(): Promise<void> } | null = null;
  /** Routes are published only once the source delivered a complete first view (readiness). */
  private synced = false;
  private unsubscribe: (() => void) | null = null;
  private status: StatusHandle | null = null;
  private lastGatewayStatus: GatewayApiStatus = NO_GATEWAY_STATUS;
  ready = false;
  draining = false;
  /**
   * Ready replicas of Tideway's own Service (--publish-service), at least 1: what "cluster" rate limits
   * divide their budget by. 1 without --publish-service, or while its EndpointSlices are unknown.
   */
  replicas = 1;
  /** The EndpointSlices of --publish-service, followed change by change. */
  private readonly ownSlices = new Map<string, EndpointSlice>();

  /** Translation kept up to date change by change (translate() is its reference). */
  private readonly translator: IncrementalTranslator;
  private readonly options: TranslateOptionsInput;

  /** Leader election and status timing; tests shorten it (default: client-go's). */
  private readonly statusTiming: Partial<StatusTiming> | undefined;

  constructor(settings: Settings, logger: Logger, publish: PublishSpec, statusTiming?: Partial<StatusTiming>) {
    this.settings = settings;
    this.statusTiming = statusTiming;
    this.logger = logger;
    this.publishSpec = publish;
    this.options = translateOptions(settings);
    this.translator = new IncrementalTranslator(this.options);
  }

  /** Starts the source; resolves when it runs (files: after the first read; cluster: at once). */
  async start(): Promise<void> {
    const s = this.settings;
    // Translating a change costs little now (incremental): a short quiet time keeps change-to-served low.
    this.unsubscribe = this.store.onChange(() => this.synced && this.update(), { debounceMs: CHANGE_DEBOUNCE_MS });
    const log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void => this.logger[level](fields ?? {}, msg);
    if (s.manifests.length > 0) {
      const files = await startFileSource(s.manifests, this.store, log);
      this.source = files;
      await files.ready;
      this.onSourceSynced();
      await this.firstSnapshot; // standalone: start() resolves with the files' routes served
      return;
    }
    // Loaded only in cluster mode: the Kubernetes client costs ~80 MB and a second to import.
    const { loadKubeConfig } = await import('../kube/client.ts');
    const { startKubernetesSource } = await import('../sources/kubernetes/index.ts');
    const kubeConfig = await loadKubeConfig(s.kubeconfig === undefined ? {} : { kubeconfig: s.kubeconfig });
    // Status and Events are written by the elected leader only (Lease tideway-<class>).
    if (s.updateStatus) {
      this.status = await startStatus({
        kubeConfig, settings: s, log, identity: defaultIdentity(), objectUid: uidFromStore((key) => this.store.get(key)),
        ...(this.statusTiming ? { timing: this.statusTiming } : {}),
      });
    }
    this.source = await startKubernetesSource({
      kubeConfig,
      namespaces: s.watchNamespaces,
      ...(s.ingressNginxConfigMap === undefined ? {} : { configMaps: [s.ingressNginxConfigMap] }),
      sink: this.store,
      log,
      secretReferences: (object) => secretReferences(object, this.options),
      configMapReferences,
      onSyncChange: (synced) => synced && this.onSourceSynced(),
    });
  }

  private onSourceSynced(): void {
    if (this.synced) return;
    this.synced = true;
    const before = this.version;
    this.store.flush();
    if (this.version === before && this.running === null) this.update();
  }

  /** Translates what changed since the last table, in slices, and publishes the new one. */
  private update(): void {
    if (this.draining) return;
    if (this.running !== null) {
      this.rerun = true;
      return;
    }
    const changes = this.store.takeChanges();
    this.followOwnSlices(changes);
    this.running = this.translator.applyGradually(changes);
    this.continueTranslation(0);
  }

  private followOwnSlices(changes: readonly StoreChange[]): void {
    const service = this.settings.publishService;
    if (service === undefined) return;
    const namespace = service.slice(0, service.indexOf('/'));
    let touched = false;
    for (const change of changes) {
      if (change.kind !== 'EndpointSlice' || change.namespace !== namespace) continue;
      const key = change.name;
      const slice = change.object as EndpointSlice | undefined;
      if (slice === undefined) touched = this.ownSlices.delete(key) || touched;
      else {
        this.ownSlices.set(key, slice);
        touched = true;
      }
    }
    if (!touched) return;
    // No ready replica listed (this one is starting): count this one.
    const replicas = Math.max(1, readyReplicas([...this.ownSlices.values()], service) ?? 1);
    if (replicas !== this.replicas) this.logger.info({ service, replicas }, 'ready replicas changed: cluster rate limits are shared among them');
    this.replicas = replicas;
  }

  private continueTranslation(spentMs: number): void {
    const run = this.running;
    if (run === null || this.draining) return;
    const sliceStart = performance.now();
    let step = run.next();
    while (!step.done && performance.now() - sliceStart < SLICE_MS) step = run.next();
    const translateMs = spentMs + performance.now() - sliceStart;
    if (!step.done) {
      setImmediate(() => this.continueTranslation(translateMs));
      return;
    }
    this.running = null;
    this.publish(step.value, translateMs);
    if (this.rerun) {
      this.rerun = false;
      this.update();
    }
  }

  private publish(changed: TableDelta, translateMs: number): void {
    const started = performance.now();
    const base = this.version;
    const version = ++this.version;
    // What the incremental translator does not cover yet is translated in full, as before it existed.
    const full = this.translator.complete ? null : translate(this.store.state(), this.options);
    // After a full table, workers serve what translate() made: the translator's changes are no delta from it.
    const afterFull = this.fullTable !== null;
    this.fullTable = full && { ...full.table, version };
    const diagnostics = full?.diagnostics ?? this.translator.diagnosticList(this.store.sourceDiagnostics());
    this.logNewDiagnostics(diagnostics);
    this.diagnostics = diagnostics;
    const delta = base === 0 || full !== null || afterFull ? null : specDelta(base, version, changed, this.translator);
    this.publishSpec({ version, spec: () => this.currentSpec, delta, diagnostics, translateMs: translateMs + performance.now() - started });
    // Gateway API objects are translated in full only (the incremental translator is then incomplete).
    this.lastGatewayStatus = full?.gatewayStatus ?? NO_GATEWAY_STATUS;
    this.status?.onSnapshot(this.fullTable ? servedIngresses(this.fullTable) : this.translator.servedIngresses(), diagnostics, this.lastGatewayStatus);
    this.ready = true;
    this.firstPublished();
    const { routes, backends } = this.translator.size;
    this.logger.info({ version, routes, backends, diagnostics: diagnostics.length, translateMs: Math.round(translateMs * 10) / 10 }, 'routing snapshot served');
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

  /** The ingress-nginx migration report of the objects held now (computed on request: admin API). */
  ingressNginxReport(): ReportLine[] {
    return migrationReport(this.store.state(), this.options);
  }

  /** The Gateway API status of the last translation (what the leader writes). */
  get currentGatewayStatus(): GatewayApiStatus {
    return this.lastGatewayStatus;
  }

  /**
   * The last published table (what workers serve, or are about to), assembled on first use after a
   * change. While a translation runs, the last one assembled (a version behind at most: a worker that
   * resyncs with it gets the next delta's base wrong and asks again once it is done).
   */
  get currentSpec(): RouteTableSpec {
    if (this.fullTable !== null) return this.fullTable;
    if (this.assembled.version !== this.version && this.running === null) this.assembled = { ...this.translator.table(), version: this.version };
    return this.assembled;
  }

  /**
   * The last published table as /api/explain reads it: looked up in the translator's own maps, so that
   * an explanation after a change does not assemble and index the whole table first (tens of
   * milliseconds on the event loop at 5,000 hosts). While a translation runs, or while the full
   * translation is in use, the whole table.
   */
  get explainTable(): ExplainTable {
    if (this.fullTable !== null || this.running !== null) return explainTableOf(this.currentSpec);
    const translator = this.translator;
    return { version: this.version, defaultRoute: translator.defaultRoute, routesOf: (host) => translator.routesOf(host), backend: (key) => translator.backend(key) };
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
    ingressNginxCompat: settings.ingressNginxCompat,
    nginxAnnotationPrefix: settings.ingressNginxAnnotationPrefix,
    nginxConfigMap: settings.ingressNginxConfigMap ?? null,
    defaultCertificate: settings.defaultCertificate ?? null,
    defaults: {
      ...DEFAULT_ROUTE_OPTIONS,
      connectTimeoutMs: settings.upstream.connectTimeoutMs,
      readTimeoutMs: settings.upstream.readTimeoutMs,
      maxBodyBytes: settings.upstream.maxBodyBytes,
    },
  };
}
