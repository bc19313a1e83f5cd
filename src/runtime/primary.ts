// The primary of a multi-process gateway (`--workers N`, N > 1): runs the control plane and the admin
// port, forks N workers (node:cluster), sends every new route table to each of them, restarts a worker
// that dies, and on SIGTERM drains them all. Readiness means every live worker serves a table.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Settings } from '../settings/settings.ts';
import { AdminServer, metricsHandler, mountAdminApi, mountDashboard } from '../admin/index.ts';
import { GatewayMetrics, workersStats } from '../observability/index.ts';
import { ControlPlane } from './control-plane.ts';
import { BucketBank } from '../middleware/index.ts';
import { isWorkerMessage, type PrimaryMessage } from './messages.ts';
import type { RouteTableSpec } from '../routing/index.ts';
import { snapshotParts } from './snapshot-parts.ts';
import { WorkerOutbox } from './worker-outbox.ts';
import { WORKER_EXEC_ARGV } from './v8-flags.ts';

/** A worker that dies this soon after starting is restarted with growing delay (crash loop guard). */
const STABLE_AFTER_MS = 10_000;
const MAX_RESTART_DELAY_MS = 10_000;
const WORKER_EXIT_GRACE_MS = 1000;

export class Primary {
  readonly control: ControlPlane;
  readonly admin: AdminServer;
  private readonly settings: Settings;
  private readonly logger: Logger;
  /** Live workers and the route table version each one serves (0: none yet). */
  private readonly served = new Map<Worker, number>();
  /** Workers whose listeners are bound: a table can reach a worker before its ports are open. */
  private readonly listening = new Set<Worker>();
  /** Route tables and deltas on their way to each worker, in order. */
  private readonly outboxes = new Map<Worker, WorkerOutbox>();
  private readonly startedAt = new Map<Worker, number>();
  private restartDelayMs = 100;
  /** The instance's rate-limit buckets; workers lease tokens from them. */
  private readonly rateBank: BucketBank;
  private stopping = false;

  constructor(settings: Settings, logger: Logger) {
    this.settings = settings;
    this.logger = logger;
    // The primary's own metrics are the control plane's; /metrics adds the workers' data-plane ones.
    const metrics = new GatewayMetrics();
    this.control = new ControlPlane(settings, logger, (snapshot) => {
      if (snapshot.delta === null) {
        const spec = snapshot.spec();
        for (const outbox of this.outboxes.values()) outbox.enqueue(wholeTable(spec));
      } else {
        const message: PrimaryMessage = { type: 'delta', delta: snapshot.delta };
        for (const outbox of this.outboxes.values()) outbox.enqueue([message]);
      }
      metrics.onSnapshot(snapshot.version, snapshot.translateMs);
      metrics.onDiagnostics(snapshot.diagnostics);
    });
    this.rateBank = new BucketBank(() => this.control.replicas);
    this.admin = new AdminServer(this);
    mountAdminApi(this.admin, { spec: () => this.control.currentSpec, explainTable: () => this.control.explainTable, diagnostics: () => this.control.currentDiagnostics, stats: () => workersStats(), ingressNginxReport: () => this.control.ingressNginxReport() });
    this.admin.route('/metrics', metricsHandler(metrics, 'primary'));
    mountDashboard(this.admin);
  }

  /** Every live worker listens and serves a route table. */
  get ready(): boolean {
    if (!this.control.ready || this.served.size === 0) return false;
    for (const [worker, version] of this.served) if (version === 0 || !this.listening.has(worker)) return false;
    return true;
  }

  get draining(): boolean {
    return this.control.draining;
  }

  async start(): Promise<{ admin: number }> {
    const admin = await this.admin.listen(this.settings.adminPort, this.settings.adminAddress);
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    cluster.setupPrimary({ execArgv: [...process.execArgv, ...WORKER_EXEC_ARGV] });
    const listening: Promise<void>[] = [];
    for (let i = 0; i < this.settings.workers; i++) listening.push(this.fork());
    await Promise.all(listening);
    await this.control.start();
    return { admin };
  }

  private fork(): Promise<void> {
    const worker = cluster.fork();
    const outbox = new WorkerOutbox(worker);
    this.served.set(worker, 0);
    this.outboxes.set(worker, outbox);
    this.startedAt.set(worker, Date.now());
    return new Promise((resolve, reject) => {
      worker.on('message', (message: unknown) => {
        if (!isWorkerMessage(message)) return;
        if (message.type === 'rate-lease') {
          if (worker.isConnected()) worker.send({ type: 'rate-grant', ...this.rateBank.grant(message) } satisfies PrimaryMessage);
        } else if (message.type === 'served') this.served.set(worker, message.version);
        else if (message.type === 'resync') outbox.enqueue(wholeTable(this.control.currentSpec));
        else if (message.type === 'listening') {
          this.listening.add(worker);
          // A worker that starts after the first table gets the current one at once.
          if (this.control.ready) outbox.enqueue(wholeTable(this.control.currentSpec));
          resolve();
        }
      });
      worker.once('exit', (code) => reject(new Error(`worker ${worker.process.pid} exited with code ${code} before listening`)));
    });
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    this.served.delete(worker);
    this.listening.delete(worker);
    this.outboxes.delete(worker);
    const startedAt = this.startedAt.get(worker) ?? 0;
    this.startedAt.delete(worker);
    if (this.stopping) return;
    this.restartDelayMs = Date.now() - startedAt > STABLE_AFTER_MS ? 100 : Math.min(this.restartDelayMs * 2, MAX_RESTART_DELAY_MS);
    this.logger.error({ pid: worker.process.pid, code, signal, restartInMs: this.restartDelayMs }, 'worker died; restarting it');
    setTimeout(() => {
      if (!this.stopping) this.fork().catch((error: Error) => this.logger.error({ err: error.message }, 'worker restart failed'));
    }, this.restartDelayMs).unref();
  }

  /** Readiness fails at once; workers drain for up to drainTimeoutMs and exit; then the admin port closes. */
  async stop(drainTimeoutMs = this.settings.drainTimeoutMs): Promise<void> {
    this.stopping = true;
    const control = this.control.stop();
    const workers = [...this.served.keys()];
    const exited = workers.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const w of workers) if (w.isConnected()) w.send({ type: 'drain', timeoutMs: drainTimeoutMs } satisfies PrimaryMessage);
    // A worker that has not exited shortly after its drain deadline is stuck: the pod must still stop in time.
    const hardStop = setTimeout(() => workers.forEach((w) => w.isDead() || w.kill('SIGKILL')), drainTimeoutMs + WORKER_EXIT_GRACE_MS);
    await Promise.all([...exited, control]);
    clearTimeout(hardStop);
    await this.admin.close();
  }
}

/** A whole table as the messages that carry it, made one at a time as the outbox sends them. */
function* wholeTable(spec: RouteTableSpec): Generator<PrimaryMessage, void, void> {
  for (const part of snapshotParts(spec)) yield { type: 'snapshot-part', part };
}
