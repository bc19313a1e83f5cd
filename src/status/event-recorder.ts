// Turns diagnostics into Warning Events (core/v1) on the objects they name, while leader, so that
// `kubectl describe ingress` shows what is wrong.
//
// De-duplication: one Event per distinct diagnostic (object, field, reason, message), whatever the
// number of snapshots that repeat it. Its name is derived from those fields, so every replica and
// every restart names it the same; a create that finds it exists (409) adopts it instead of adding a
// second one. Counting, as `kubectl describe` shows it (count and lastTimestamp):
//   - a diagnostic that stays from snapshot to snapshot is one occurrence: no write (except a count++
//     every eventRefreshMs, so that the Event outlives the API server's event TTL while the problem lasts);
//   - a diagnostic that goes away and comes back while this leader remembers the Event (eventMemoryMs)
//     raises its count by one (merge patch);
//   - a leader that finds the Event already there (an earlier leader, or itself before a restart,
//     wrote it) adopts it without counting: the count is exact while one leader runs.
import { createHash } from 'node:crypto';
import type { CoreV1Api, CoreV1Event } from '@kubernetes/client-node';
import type { ClientNode } from '../kube/client.ts';
import { CONTROLLER_NAME, MIDDLEWARE_API_VERSION } from '../kube/constants.ts';
import type { Diagnostic } from '../kube/diagnostic.ts';
import { apiCallOptions, attempt } from './api-call.ts';
import { API_VERSIONS, GATEWAY_API_KINDS, isClusterScoped } from '../kube/types.ts';
import { ProblemLog, type StatusLog } from './problem-log.ts';
import { pause, type StatusTiming } from './timing.ts';
import { timedWorkQueue, TokenBucket, type WorkQueue, type WorkResult } from './work-queue.ts';

/** The kinds an Event can be about: API version, and whether they live in a namespace. */
const EVENT_KINDS: Record<string, { apiVersion: string; namespaced: boolean }> = {
  Ingress: { apiVersion: 'networking.k8s.io/v1', namespaced: true },
  IngressClass: { apiVersion: 'networking.k8s.io/v1', namespaced: false },
  Service: { apiVersion: 'v1', namespaced: true },
  EndpointSlice: { apiVersion: 'discovery.k8s.io/v1', namespaced: true },
  Secret: { apiVersion: 'v1', namespaced: true },
  Middleware: { apiVersion: MIDDLEWARE_API_VERSION, namespaced: true },
  ...Object.fromEntries(GATEWAY_API_KINDS.map((kind) => [kind, { apiVersion: API_VERSIONS[kind], namespaced: !isClusterScoped(kind) }])),
};

const MAX_MESSAGE = 1024;
const MAX_REASON = 128;
const MAX_NAME = 253;
/** Events about cluster-scoped objects live here, as kubectl and client-go put them. */
const CLUSTER_EVENT_NAMESPACE = 'default';
const TOPIC = 'writing Events';

/** Looks up an object's uid (kubectl describe matches Events by it). */
export type ObjectUidLookup = (kind: string, namespace: string | undefined, name: string) => string | undefined;

/** An Event to be: everything that identifies it, derived from one diagnostic. */
export interface EventIntent {
  key: string;
  /** The Event's own name and namespace. */
  name: string;
  namespace: string;
  involved: { apiVersion: string; kind: string; namespace?: string; name: string; fieldPath?: string };
  reason: string;
  message: string;
}

/** The Event a diagnostic becomes, or undefined for diagnostics about no API object (files). */
export function eventIntent(d: Diagnostic): EventIntent | undefined {
  const kind = EVENT_KINDS[d.kind];
  if (!kind) return undefined;
  const slash = d.object.indexOf('/');
  const namespace = slash > 0 ? d.object.slice(0, slash) : undefined;
  const name = slash >= 0 ? d.object.slice(slash + 1) : d.object;
  if (name === '' || (kind.namespaced && namespace === undefined)) return undefined;
  const message = truncate(d.field ? `${d.field}: ${d.message}` : d.message, MAX_MESSAGE);
  const reason = truncate(d.reason || 'InvalidConfiguration', MAX_REASON);
  const key = [d.kind, d.object, d.field, reason, message].join('\u0000');
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return {
    key,
    name: `${name.slice(0, MAX_NAME - hash.length - 1)}.${hash}`,
    namespace: kind.namespaced ? namespace! : CLUSTER_EVENT_NAMESPACE,
    involved: {
      apiVersion: kind.apiVersion, kind: d.kind, name,
      ...(kind.namespaced ? { namespace } : {}),
      ...(d.field ? { fieldPath: d.field } : {}),
    },
    reason,
    message,
  };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

export interface EventRecorderOptions {
  k8s: ClientNode;
  api: CoreV1Api;
  /** reportingInstance: this replica. */
  identity: string;
  timing: StatusTiming;
  log: StatusLog;
  objectUid?: ObjectUidLookup;
}

interface KnownEvent {
  count: number;
  /** performance.now() of the last create or count++. */
  emittedAt: number;
}

export class EventRecorder {
  private readonly o: EventRecorderOptions;
  private readonly problems: ProblemLog;
  private readonly queue: WorkQueue;
  private readonly bucket: TokenBucket;
  /** The diagnostics of the current snapshot, by Event key. */
  private active = new Map<string, EventIntent>();
  /** Events that exist on the server, as far as this leader knows. */
  private readonly known = new Map<string, KnownEvent>();
  /** Keys whose Event needs count++ (a new occurrence, or a refresh), or creating if unknown. */
  private readonly recurring = new Set<string>();
  private term: AbortSignal | undefined;

  constructor(options: EventRecorderOptions) {
    this.o = options;
    this.problems = new ProblemLog(options.log);
    this.bucket = new TokenBucket(options.timing.eventQps, options.timing.eventBurst);
    this.queue = timedWorkQueue(options.timing, (key) => this.emit(key), (key, error) => options.log('error', `Event ${JSON.stringify(key)}: recorder failed: ${(error as Error).stack ?? error}`));
  }

  setDiagnostics(diagnostics: readonly Diagnostic[]): void {
    const next = new Map<string, EventIntent>();
    for (const d of diagnostics) {
      const intent = eventIntent(d);
      if (intent) next.set(intent.key, intent);
    }
    const previous = this.active;
    this.active = next; // before queueing: a worker may start at once and reads it
    if (this.term) {
      for (const key of next.keys()) if (!previous.has(key)) this.occurred(key);
    }
    const now = performance.now();
    for (const [key, known] of this.known) {
      if (!next.has(key) && now - known.emittedAt > this.o.timing.eventMemoryMs) this.known.delete(key);
    }
  }

  /** Leadership starts: every current diagnostic gets its Event (created, or adopted if it exists). */
  lead(term: AbortSignal): void {
    this.term = term;
    for (const key of this.active.keys()) this.queue.add(key);
    this.refreshLoop(term).catch((error) => this.o.log('error', `Event refresh stopped: ${(error as Error).stack ?? error}`));
  }

  private occurred(key: string): void {
    this.recurring.add(key);
    this.queue.add(key);
  }

  /** Persisting diagnostics: count++ once their Event is eventRefreshMs old, so it does not expire. */
  private async refreshLoop(term: AbortSignal): Promise<void> {
    const every = this.o.timing.eventRefreshMs;
    while (!term.aborted) {
      await pause(Math.min(every, 60_000), term);
      const now = performance.now();
      for (const key of this.active.keys()) {
        const known = this.known.get(key);
        if (known && now - known.emittedAt >= every && !term.aborted) this.occurred(key);
      }
    }
  }

  follow(): void {
    this.term = undefined;
    this.queue.clear();
    this.recurring.clear();
    this.known.clear(); // the next leader counts now
  }

  close(): void {
    this.term = undefined;
    this.queue.close();
  }


  private callOptions(term: AbortSignal, patch?: 'merge') {
    return apiCallOptions(this.o.k8s, { timeoutMs: this.o.timing.callTimeoutMs, signal: term, ...(patch ? { patch } : {}) });
  }

  private async emit(key: string): Promise<WorkResult> {
    const term = this.term;
    const intent = this.active.get(key);
    if (!term || !intent) {
      this.recurring.delete(key);
      return 'done';
    }
    const known = this.known.get(key);
    // The recurrence is taken now: one that happens while this call is in flight stays flagged, and the
    // queue runs the key again afterwards (clearing the flag at the end lost it under a slow API).
    const recurred = this.recurring.delete(key);
    if (known && !recurred) return 'done';
    if (!(await this.bucket.acquire(term))) return 'done';
    const { name, namespace } = intent;
    if (known) {
      const body = { count: known.count + 1, lastTimestamp: new Date().toISOString() };
      const patched = await attempt(() => this.o.api.patchNamespacedEvent({ name, namespace, body }, this.callOptions(term, 'merge')));
      if (patched.ok) return this.emitted(key, patched.value.count ?? body.count);
      if (patched.error.kind !== 'not-found') return this.failed(term, `cannot update an Event: ${patched.error.message}`, intent, key, recurred);
      this.known.delete(key); // expired on the server (event TTL): create it anew
    }
    const created = await attempt(() => this.o.api.createNamespacedEvent({ namespace, body: this.newEvent(intent) }, this.callOptions(term)));
    if (created.ok) return this.emitted(key, 1);
    if (created.error.kind !== 'conflict') return this.failed(term, `cannot create an Event: ${created.error.message}`, intent, key, recurred);
    // It exists: written by an earlier leader, or by this replica before a restart. Adopted as it is:
    // counting it again would raise the count at every leader change.
    const read = await attempt(() => this.o.api.readNamespacedEvent({ name, namespace }, this.callOptions(term)));
    if (!read.ok) return this.failed(term, `cannot read an existing Event: ${read.error.message}`, intent, key, recurred);
    return this.emitted(key, read.value.count ?? 1);
  }

  private emitted(key: string, count: number): WorkResult {
    this.problems.resolved(TOPIC);
    if (this.term) this.known.set(key, { count, emittedAt: performance.now() });
    return 'done';
  }

  private failed(term: AbortSignal, message: string, intent: EventIntent, key: string, recurred: boolean): WorkResult {
    if (term.aborted) return 'done';
    if (recurred) this.recurring.add(key); // still owed by the retry
    // The Event's name goes in the fields: the message stays the same for every Event, so an API
    // outage is logged once.
    this.problems.problem(TOPIC, message, { event: `${intent.namespace}/${intent.name}` });
    return 'retry';
  }

  private newEvent(intent: EventIntent): CoreV1Event {
    const now = new Date();
    const uid = this.o.objectUid?.(intent.involved.kind, intent.involved.namespace, intent.involved.name);
    return {
      metadata: { name: intent.name, namespace: intent.namespace },
      involvedObject: { ...intent.involved, ...(uid ? { uid } : {}) },
      type: 'Warning',
      reason: intent.reason,
      message: intent.message,
      source: { component: CONTROLLER_NAME },
      reportingComponent: CONTROLLER_NAME,
      reportingInstance: this.o.identity,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
  }
}
