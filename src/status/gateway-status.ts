// Writes the status of the Gateway API objects Tideway serves, while leader: GatewayClass conditions and
// supportedFeatures; Gateway conditions, addresses (the publish address), listeners and
// attachedListenerSets; ListenerSet conditions and listeners; each route's status.parents entries of
// our controllerName, and each BackendTLSPolicy's status.ancestors entries (other controllers' entries
// are kept as they are).
//
// translate() says what the status should be; this writer reads the object, keeps lastTransitionTime of
// conditions whose status did not change, sets observedGeneration, and writes only when something
// differs, with a merge patch carrying the resourceVersion it read (409: read again and retry).
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { GATEWAY_CONTROLLER_NAME } from '../kube/constants.ts';
import type { ClientNode } from '../kube/client.ts';
import type { ConditionSpec, GatewayApiStatus, StatusEntry } from '../translate/index.ts';
import { apiCallOptions, attempt } from './api-call.ts';
import { gatewayAddresses } from './gateway-addresses.ts';
import type { AddressSource } from './publish-address.ts';
import { ProblemLog, type StatusLog } from './problem-log.ts';
import type { StatusTiming } from './timing.ts';
import { timedWorkQueue, TokenBucket, type WorkQueue, type WorkResult } from './work-queue.ts';

const GROUP = 'gateway.networking.k8s.io';
const VERSION = 'v1';
const PLURALS: Record<StatusEntry['kind'], string> = {
  GatewayClass: 'gatewayclasses', Gateway: 'gateways', ListenerSet: 'listenersets', HTTPRoute: 'httproutes', GRPCRoute: 'grpcroutes', BackendTLSPolicy: 'backendtlspolicies',
};
/** Where each kind holds its per-parent statuses: a route's parents, a policy's ancestors. */
const PARENT_LISTS = { HTTPRoute: ['parents', 'parentRef'], GRPCRoute: ['parents', 'parentRef'], BackendTLSPolicy: ['ancestors', 'ancestorRef'] } as const;
const TOPIC = 'writing Gateway API status';

type Json = Record<string, any>;

export interface GatewayStatusWriterOptions {
  k8s: ClientNode;
  api: CustomObjectsApi;
  /** The address written to Gateways' status.addresses; undefined: none. */
  address: AddressSource | undefined;
  timing: StatusTiming;
  log: StatusLog;
  /** The clock for lastTransitionTime (tests). */
  now?: () => Date;
}

function keyOf(entry: { kind: string; namespace?: string; name: string }): string {
  return `${entry.kind}/${entry.namespace ?? ''}/${entry.name}`;
}

/** Conditions as the API holds them: lastTransitionTime kept when the status did not change. */
function withTimes(wanted: readonly ConditionSpec[], current: unknown, generation: number, now: string): Json[] {
  const previous = Array.isArray(current) ? (current as Json[]) : [];
  return wanted.map((c) => {
    const before = previous.find((p) => p?.type === c.type);
    const since = before !== undefined && before.status === c.status && typeof before.lastTransitionTime === 'string' ? before.lastTransitionTime : now;
    return { type: c.type, status: c.status, reason: c.reason, message: c.message.slice(0, 32768), observedGeneration: generation, lastTransitionTime: since };
  });
}

function sameParent(a: Json, b: Json): boolean {
  const norm = (p: Json) => JSON.stringify([p?.group ?? GROUP, p?.kind ?? 'Gateway', p?.namespace ?? '', p?.name, p?.sectionName ?? '', p?.port ?? 0]);
  return norm(a) === norm(b);
}

export class GatewayStatusWriter {
  private readonly o: GatewayStatusWriterOptions;
  private readonly problems: ProblemLog;
  private readonly queue: WorkQueue;
  private readonly bucket: TokenBucket;
  /** What the last translation wants, by key. */
  private wanted = new Map<string, StatusEntry>();
  /** Routes and policies we wrote parents for this term: when one leaves `wanted`, our entries are removed. */
  private readonly written = new Set<string>();
  private term: AbortSignal | undefined;

  constructor(options: GatewayStatusWriterOptions) {
    this.o = options;
    this.problems = new ProblemLog(options.log);
    this.bucket = new TokenBucket(options.timing.statusQps, options.timing.statusBurst);
    this.queue = timedWorkQueue(options.timing, (key) => this.reconcile(key), (key, error) => options.log('error', `${key}: status writer failed: ${(error as Error).stack ?? error}`));
    options.address?.onChange(() => {
      if (this.term) for (const [key, entry] of this.wanted) if (entry.kind === 'Gateway') this.queue.add(key);
    });
  }

  /** The status a new snapshot wants; queues what changed (and routes that are no longer ours). */
  setStatus(status: GatewayApiStatus): void {
    const next = new Map(status.entries.map((e) => [keyOf(e), e]));
    const changed: string[] = [];
    for (const [key, entry] of next) if (JSON.stringify(this.wanted.get(key)) !== JSON.stringify(entry)) changed.push(key);
    for (const key of this.wanted.keys()) if (!next.has(key)) changed.push(key);
    this.wanted = next;
    if (this.term) for (const key of changed) this.queue.add(key);
  }

  lead(term: AbortSignal): void {
    this.term = term;
    for (const key of this.wanted.keys()) this.queue.add(key);
  }

  follow(): void {
    this.term = undefined;
    this.queue.clear();
    this.written.clear();
  }

  close(): void {
    this.term = undefined;
    this.queue.close();
  }

  private async reconcile(key: string): Promise<WorkResult> {
    const term = this.term;
    if (!term) return 'done';
    const entry = this.wanted.get(key);
    const [kind, namespace, name] = key.split('/') as [StatusEntry['kind'], string, string];
    if (entry === undefined && !this.written.has(key)) return 'done';
    const target = { group: GROUP, version: VERSION, plural: PLURALS[kind], name };
    const options = () => apiCallOptions(this.o.k8s, { timeoutMs: this.o.timing.callTimeoutMs, signal: term });
    const read = await attempt<Json>(() => (namespace === ''
      ? this.o.api.getClusterCustomObject(target, options())
      : this.o.api.getNamespacedCustomObject({ ...target, namespace }, options())) as Promise<Json>);
    if (!read.ok) return this.failed(key, read.error.kind, `cannot read it: ${read.error.message}`, term);
    const object = read.value;
    const status = this.desiredStatus(kind, entry, object);
    if (JSON.stringify(status) === JSON.stringify(object.status ?? {})) return 'done';
    if (!(await this.bucket.acquire(term))) return 'done';
    const body = { metadata: { resourceVersion: object.metadata?.resourceVersion }, status };
    const patchOptions = apiCallOptions(this.o.k8s, { timeoutMs: this.o.timing.callTimeoutMs, signal: term, patch: 'merge' });
    const patched = await attempt(() => (namespace === ''
      ? this.o.api.patchClusterCustomObjectStatus({ ...target, body }, patchOptions)
      : this.o.api.patchNamespacedCustomObjectStatus({ ...target, namespace, body }, patchOptions)));
    if (!patched.ok) return this.failed(key, patched.error.kind, `cannot write it: ${patched.error.message}`, term);
    this.problems.resolved(TOPIC);
    if (entry === undefined) this.written.delete(key);
    else if (kind in PARENT_LISTS) this.written.add(key);
    return 'done';
  }

  /** The whole status the object should have; parts written by others are kept. */
  private desiredStatus(kind: StatusEntry['kind'], entry: StatusEntry | undefined, object: Json): Json {
    const now = (this.o.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const current: Json = object.status ?? {};
    if (entry?.kind === 'GatewayClass') {
      return { ...current, conditions: withTimes(entry.conditions, current.conditions, entry.generation, now), supportedFeatures: entry.supportedFeatures.map((name) => ({ name })) };
    }
    if (entry?.kind === 'Gateway' || entry?.kind === 'ListenerSet') {
      const listeners = entry.listeners.map((l) => {
        const before = (Array.isArray(current.listeners) ? current.listeners : []).find((c: Json) => c?.name === l.name);
        return { name: l.name, supportedKinds: l.supportedKinds, attachedRoutes: l.attachedRoutes, conditions: withTimes(l.conditions, before?.conditions, entry.generation, now) };
      });
      if (entry.kind === 'ListenerSet') return { ...current, conditions: withTimes(entry.conditions, current.conditions, entry.generation, now), listeners };
      const { addresses, notUsable } = gatewayAddresses(entry.requestedAddresses, this.o.address?.current ?? []);
      // Only the writer knows Tideway's addresses: an accepted Gateway asking for others is not Programmed.
      const accepted = entry.conditions.some((c) => c.type === 'Accepted' && c.status === 'True');
      const wanted = notUsable === null || !accepted ? entry.conditions : entry.conditions.map((c) => (c.type === 'Programmed' ? { type: 'Programmed', status: 'False' as const, reason: 'AddressNotUsable', message: notUsable } : c));
      const { addresses: _previous, ...rest } = current;
      return {
        ...rest, ...(addresses.length > 0 || entry.requestedAddresses.length > 0 ? { addresses } : {}),
        conditions: withTimes(wanted, current.conditions, entry.generation, now), listeners, attachedListenerSets: entry.attachedListenerSets,
      };
    }
    // Routes and policies (or one no longer ours: entry undefined). Merge patches replace lists: every
    // parent is sent, ours rewritten and the others as they are.
    const [list, refField] = PARENT_LISTS[kind as keyof typeof PARENT_LISTS];
    const parents: Json[] = Array.isArray(current[list]) ? current[list] : [];
    const others = parents.filter((p) => p?.controllerName !== GATEWAY_CONTROLLER_NAME);
    const wanted = entry === undefined ? [] : entry.kind === 'BackendTLSPolicy' ? entry.ancestors.map((a) => ({ ref: a.ancestorRef, conditions: a.conditions })) : entry.parents.map((p) => ({ ref: p.parentRef, conditions: p.conditions }));
    const ours = wanted.map((p) => {
      const before = parents.find((c) => c?.controllerName === GATEWAY_CONTROLLER_NAME && sameParent(c[refField], p.ref));
      return { [refField]: p.ref, controllerName: GATEWAY_CONTROLLER_NAME, conditions: withTimes(p.conditions, before?.conditions, entry!.generation, now) };
    });
    return { ...current, [list]: [...others, ...ours] };
  }

  private failed(key: string, kind: string, message: string, term: AbortSignal): WorkResult {
    if (kind === 'not-found') {
      this.written.delete(key); // deleted meanwhile
      return 'done';
    }
    if (term.aborted) return 'done';
    this.problems.problem(TOPIC, message, { object: key });
    return 'retry';
  }
}
