// One list+watch loop for one resource in one scope (a namespace, or all): list (paginated), then watch
// from the list's resourceVersion, resume from the last resourceVersion seen (events and bookmarks)
// after any interruption, and relist when the server says that version is gone (410). Failures retry
// forever with jittered exponential backoff; the consumer keeps its last state meanwhile.
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyKubeError, KubeBadResponseError, KubeStatusError, type KubeErrorInfo } from '../../kube/errors.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { jsonLines } from './json-lines.ts';
import type { KubeHttp } from './api-http.ts';
import { collectionPath, describeScope, type WatchedResource } from './resources.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SourceLog = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export type RawObject = Record<string, any> & { metadata: { name: string; namespace?: string; resourceVersion?: string; [field: string]: unknown } };

export interface WatchTiming {
  /**
   * The shortest watch the server is asked for (timeoutSeconds). Each watch asks for a random length
   * between this and twice this, as client-go does (5 to 10 minutes by default), so that the server
   * itself ends quiet streams, and the watches of many replicas do not end together.
   */
  watchTimeoutSeconds: number;
  /**
   * A stream still silent this long after the end it asked for is dead (e.g. a terminating API server
   * keeps watches open and silent). The server ends every watch at its timeoutSeconds, and a real API
   * server sends no bookmark on a quiet resource, so only silence past that end means anything.
   */
  inactivityMs: number;
  /** Deadline for one list page. */
  requestTimeoutMs: number;
  backoff: BackoffOptions;
  /** How often to look again for a custom resource whose CRD is not installed. */
  missingCrdRetryMs: number;
  /** Objects per list page. */
  pageSize: number;
}

export const DEFAULT_TIMING: WatchTiming = {
  watchTimeoutSeconds: 300,
  inactivityMs: 30_000,
  requestTimeoutMs: 60_000,
  backoff: { initialMs: 1000, maxMs: 30_000 },
  missingCrdRetryMs: 60_000,
  pageSize: 500,
};

/** client-go's choice: a random length between the minimum and twice the minimum. */
export function watchTimeoutSeconds(minimumSeconds: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(minimumSeconds * (1 + random())));
}

/** What the loop reports to its owner. */
export interface ListWatchEvents {
  /** A complete list: exactly these objects exist now in this loop's scope. May take turns of the event loop. */
  relisted(items: RawObject[]): Promise<void>;
  changed(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: RawObject): void;
  /** The first complete list (or the finding that an optional resource does not exist). */
  synced(): void;
  /** An optional resource's CRD is (not) installed. */
  missing(missing: boolean): void;
}

type WatchOutcome = 'ended' | 'empty' | 'expired' | 'stalled';

export class ListWatchLoop {
  readonly resource: WatchedResource;
  readonly namespace: string | undefined;
  private readonly http: KubeHttp;
  private readonly events: ListWatchEvents;
  private readonly timing: WatchTiming;
  private readonly log: SourceLog;
  private readonly stopping = new AbortController();
  private readonly path: string;
  private readonly scope: string;
  private running: Promise<void> | undefined;
  /** Where the watch resumes; undefined means "list first". */
  private resourceVersion: string | undefined;
  private failures = 0;
  private expiredInARow = 0;
  private synced = false;
  private missing = false;
  /** The last problem logged, so that a long outage logs once, not once per retry. */
  private problem: string | undefined;

  constructor(http: KubeHttp, resource: WatchedResource, namespace: string | undefined, events: ListWatchEvents, timing: WatchTiming, log: SourceLog) {
    this.http = http;
    this.resource = resource;
    this.namespace = namespace;
    this.events = events;
    this.timing = timing;
    this.log = log;
    this.path = collectionPath(resource, namespace);
    this.scope = describeScope(resource, namespace);
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private query(params: Record<string, string | number | undefined>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
    if (this.resource.labelSelector) q.set('labelSelector', this.resource.labelSelector);
    if (this.resource.fieldSelector) q.set('fieldSelector', this.resource.fieldSelector);
    return `${this.path}?${q}`;
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      let phase: 'list' | 'watch' = 'list';
      try {
        if (this.resourceVersion === undefined) await this.relist();
        phase = 'watch';
        const outcome = await this.watch(this.resourceVersion!);
        if (outcome === 'expired') await this.expired();
        else if (outcome === 'empty') await this.pause(this.nextBackoff());
      } catch (err) {
        if (signal.aborted) return;
        await this.failed(err, phase);
      }
    }
  }

  private nextBackoff(): number {
    return backoffDelay(++this.failures, this.timing.backoff);
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.stopping.signal });
    } catch {
      // stopped
    }
  }

  private async failed(err: unknown, phase: 'list' | 'watch'): Promise<void> {
    const info = classifyKubeError(err);
    if (info.kind === 'expired') return this.expired(); // a continue token or a watch start answered 410

    if (info.kind === 'not-found' && this.resource.optional) {
      this.setMissing(true);
      this.resourceVersion = undefined;
      await this.events.relisted([]); // the CRD went away with its objects
      this.markSynced();
      await this.pause(this.timing.missingCrdRetryMs);
      return;
    }
    const delay = this.nextBackoff();
    this.report(info, phase);
    await this.pause(delay);
  }

  /** The resourceVersion is gone: relist at once; 410s in a row (a confused server) back off. */
  private async expired(): Promise<void> {
    this.resourceVersion = undefined;
    if (++this.expiredInARow > 1) await this.pause(this.nextBackoff());
  }

  private report(info: KubeErrorInfo, phase: 'list' | 'watch'): void {
    const what = `${phase === 'list' ? 'listing' : 'watching'} ${this.scope}`;
    let msg: string;
    let level: LogLevel = 'warn';
    if (info.kind === 'unauthorized') {
      level = 'error';
      msg = `Kubernetes API rejected the credentials while ${what} (${info.message}): the token or client certificate is missing, wrong or expired`;
    } else if (info.kind === 'forbidden') {
      level = 'error';
      msg = `not allowed to ${phase} ${this.resource.plural}: ${info.message}. Grant list and watch on ${this.resource.plural} (see deploy/ RBAC)`;
    } else {
      msg = `Kubernetes API error while ${what}: ${info.message}; retrying, serving the last known state meanwhile`;
    }
    const fields = { resource: this.resource.plural, namespace: this.namespace, kind: info.kind, code: info.code, attempt: this.failures };
    // Log a problem once when it starts or changes; repeats go to debug.
    this.log(msg === this.problem ? 'debug' : level, msg, fields);
    this.problem = msg;
  }

  private recovered(): void {
    this.failures = 0;
    this.expiredInARow = 0;
    if (this.problem !== undefined) {
      this.log('info', `Kubernetes API reachable again for ${this.scope}`, { resource: this.resource.plural, namespace: this.namespace });
      this.problem = undefined;
    }
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.events.synced();
  }

  private setMissing(missing: boolean): void {
    if (this.missing === missing) return;
    this.missing = missing;
    this.events.missing(missing);
    if (missing) {
      this.log('warn', `${this.resource.kind} resources are not served (${this.resource.apiVersion} not found: is the CRD installed?); looking again every ${Math.round(this.timing.missingCrdRetryMs / 1000)}s`,
        { resource: this.resource.plural });
    } else {
      this.log('info', `${this.resource.kind} resources are served now`, { resource: this.resource.plural });
    }
  }

  private withTypeMeta(obj: unknown): RawObject {
    const o = obj as RawObject | null;
    if (typeof o !== 'object' || o === null || typeof o.metadata?.name !== 'string') {
      throw new KubeBadResponseError(`${this.scope}: an object without metadata.name`);
    }
    // Built-in lists omit kind and apiVersion on their items; watch events carry them.
    o.kind ??= this.resource.kind;
    o.apiVersion ??= this.resource.apiVersion;
    return o;
  }

  private async relist(): Promise<void> {
    const items: RawObject[] = [];
    let listRv: string | undefined;
    let continueToken: string | undefined;
    do {
      const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.timing.requestTimeoutMs)]);
      const page = await this.http.getJson(this.query({ limit: this.timing.pageSize, continue: continueToken }), signal) as
        { items?: unknown; metadata?: { resourceVersion?: unknown; continue?: unknown } };
      if (!Array.isArray(page?.items) || typeof page.metadata?.resourceVersion !== 'string') {
        throw new KubeBadResponseError(`list of ${this.scope} has no items or no metadata.resourceVersion`);
      }
      for (const item of page.items) items.push(this.withTypeMeta(item));
      listRv ??= page.metadata.resourceVersion; // every page is read at the first page's version
      continueToken = typeof page.metadata.continue === 'string' && page.metadata.continue !== '' ? page.metadata.continue : undefined;
    } while (continueToken);
    this.setMissing(false);
    await this.events.relisted(items);
    this.resourceVersion = listRv;
    this.log('debug', `listed ${items.length} ${this.scope}`, { resource: this.resource.plural, namespace: this.namespace, resourceVersion: listRv });
    this.recovered();
    this.markSynced();
  }

  private async watch(fromRv: string): Promise<WatchOutcome> {
    const timeoutSeconds = watchTimeoutSeconds(this.timing.watchTimeoutSeconds);
    const path = this.query({ watch: 'true', resourceVersion: fromRv, allowWatchBookmarks: 'true', timeoutSeconds });
    const started = Date.now();
    let stalled = false;
    const inactivity = new AbortController();
    const silenceMs = timeoutSeconds * 1000 + this.timing.inactivityMs;
    const timer = setTimeout(() => {
      stalled = true;
      inactivity.abort(new DOMException('watch inactivity timeout', 'TimeoutError'));
    }, silenceMs);
    let received = 0;
    const body = await this.http.stream(path, AbortSignal.any([this.stopping.signal, inactivity.signal])).catch((err) => {
      clearTimeout(timer);
      throw err;
    });
    try {
      for await (const event of jsonLines(body, () => timer.refresh())) {
        const { type, object } = (event ?? {}) as { type?: unknown; object?: any };
        if (type === 'ERROR') {
          if (object?.code === 410 || object?.reason === 'Expired' || object?.reason === 'Gone') return 'expired';
          throw new KubeStatusError(typeof object?.code === 'number' ? object.code : 500, path, object);
        }
        if (type === 'BOOKMARK') {
          const rv = object?.metadata?.resourceVersion;
          if (typeof rv !== 'string') throw new KubeBadResponseError(`${this.scope}: BOOKMARK without resourceVersion`);
          this.resourceVersion = rv;
        } else if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
          const obj = this.withTypeMeta(object);
          this.events.changed(type, obj);
          if (obj.metadata.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
        } else {
          throw new KubeBadResponseError(`${this.scope}: unknown watch event type ${JSON.stringify(type)}`);
        }
        if (received++ === 0) this.recovered();
      }
    } catch (err) {
      if (stalled) {
        this.log('warn', `no data on the watch of ${this.scope} for ${Math.round(silenceMs / 1000)}s, past the end it asked for; reconnecting`,
          { resource: this.resource.plural, namespace: this.namespace });
        return 'stalled';
      }
      throw err;
    } finally {
      clearTimeout(timer);
      body.destroy();
    }
    // A watch the server ended at once, with nothing in it, counts as a failure (no reconnect storm).
    return received > 0 || Date.now() - started >= 1000 ? 'ended' : 'empty';
  }
}
