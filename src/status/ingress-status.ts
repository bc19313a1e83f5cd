// Writes status.loadBalancer.ingress of the Ingresses Tideway serves, while leader, and clears it from
// the ones it stops serving, but only where the status is still what Tideway wrote (another
// controller may have taken the Ingress over and written its own).
//
// What the API holds is learnt by listing the Ingresses when leadership starts (and every resyncMs),
// then kept up to date from our own writes. Writes are merge patches on /status; a clear is a JSON
// patch that first tests the current value, so comparing and clearing is one atomic step on the server
// (a failed test is 422: someone else wrote in between, and their status stays).
import type { NetworkingV1Api, V1IngressList } from '@kubernetes/client-node';
import type { ClientNode } from '../kube/client.ts';
import { apiCallOptions, attempt } from './api-call.ts';
import { addressKey, type AddressSource, type LoadBalancerAddress } from './publish-address.ts';
import { ProblemLog, type StatusLog } from './problem-log.ts';
import { pause, type StatusTiming } from './timing.ts';
import { timedWorkQueue, TokenBucket, type WorkQueue, type WorkResult } from './work-queue.ts';

export interface IngressStatusWriterOptions {
  k8s: ClientNode;
  api: NetworkingV1Api;
  address: AddressSource;
  /** Namespaces whose Ingresses are listed at takeover; empty means all. */
  namespaces: readonly string[];
  timing: StatusTiming;
  log: StatusLog;
}

/** Ingresses per list page: the client library turns a page into objects in one go, on the event loop. */
const LIST_PAGE = 100;
const TOPIC = 'writing Ingress status';

export class IngressStatusWriter {
  private readonly o: IngressStatusWriterOptions;
  private readonly problems: ProblemLog;
  private readonly queue: WorkQueue;
  private readonly bucket: TokenBucket;
  /** "ns/name" of the Ingresses the current snapshot serves. */
  private served = new Set<string>();
  /** The list `served` was made from. */
  private servedKeys: readonly string[] = [];
  /** Status as the API server holds it, where known (listed or written by us this term). */
  private readonly observed = new Map<string, LoadBalancerAddress[]>();
  /** addressKey()s of every address this process published: a status equal to one of them is ours. */
  private readonly published = new Set<string>();
  private term: AbortSignal | undefined;

  constructor(options: IngressStatusWriterOptions) {
    this.o = options;
    this.problems = new ProblemLog(options.log);
    this.bucket = new TokenBucket(options.timing.statusQps, options.timing.statusBurst);
    this.queue = timedWorkQueue(options.timing, (key) => this.reconcile(key), (key, error) => options.log('error', `Ingress ${key}: status writer failed: ${(error as Error).stack ?? error}`));
    options.address.onChange(() => this.addressChanged());
  }

  /** The Ingresses the newly served snapshot serves ("ns/name"); queues those whose status may change. */
  setServed(keys: readonly string[]): void {
    // The same list as last time (the translator keeps it while no route changes): nothing to compare.
    if (keys === this.servedKeys) return;
    this.servedKeys = keys;
    const next = new Set(keys);
    const changed: string[] = [];
    for (const key of next) if (!this.served.has(key)) changed.push(key);
    for (const key of this.served) if (!next.has(key)) changed.push(key);
    this.served = next;
    if (this.term) for (const key of changed) this.queue.add(key);
  }

  lead(term: AbortSignal): void {
    this.term = term;
    this.resyncLoop(term).catch((error) => this.o.log('error', `Ingress status resync stopped: ${(error as Error).stack ?? error}`));
  }

  follow(): void {
    this.term = undefined;
    this.queue.clear();
    // Another replica writes now: what we knew goes stale.
    this.observed.clear();
  }

  close(): void {
    this.term = undefined;
    this.queue.close();
  }


  private addressChanged(): void {
    const current = this.o.address.current;
    if (current && current.length > 0) this.published.add(addressKey(current));
    if (this.term) this.queueEverything();
  }

  private queueEverything(): void {
    for (const key of this.served) this.queue.add(key);
    for (const key of this.observed.keys()) this.queue.add(key);
  }

  private async resyncLoop(term: AbortSignal): Promise<void> {
    while (!term.aborted) {
      await this.relist(term);
      if (term.aborted) return;
      this.addressChanged(); // records the current address as ours and queues every Ingress
      await pause(this.o.timing.resyncMs, term);
    }
  }

  /** Reads every Ingress's status in scope; on failure keeps what it knew (writes still happen). */
  private async relist(term: AbortSignal): Promise<void> {
    const seen = new Map<string, LoadBalancerAddress[]>();
    const scopes = this.o.namespaces.length > 0 ? [...this.o.namespaces] : [undefined];
    for (const namespace of scopes) {
      let token: string | undefined;
      do {
        const options = apiCallOptions(this.o.k8s, { timeoutMs: this.o.timing.callTimeoutMs, signal: term });
        const page = await attempt<V1IngressList>(() => namespace === undefined
          ? this.o.api.listIngressForAllNamespaces({ limit: LIST_PAGE, _continue: token }, options)
          : this.o.api.listNamespacedIngress({ namespace, limit: LIST_PAGE, _continue: token }, options));
        if (!page.ok) {
          if (!term.aborted) this.problems.problem('listing Ingresses for their status', page.error.message);
          return;
        }
        for (const ingress of page.value.items) {
          const key = `${ingress.metadata?.namespace}/${ingress.metadata?.name}`;
          seen.set(key, (ingress.status?.loadBalancer?.ingress ?? []).map((e) => withoutUndefined(e)));
        }
        token = page.value.metadata?._continue || undefined;
      } while (token !== undefined);
    }
    this.problems.resolved('listing Ingresses for their status');
    if (term !== this.term) return;
    this.observed.clear();
    for (const [key, status] of seen) this.observed.set(key, status);
  }

  private async reconcile(key: string): Promise<WorkResult> {
    const term = this.term;
    const address = this.o.address.current;
    if (!term || address === undefined) return 'done'; // queued again at takeover or when the address is known
    const want = this.served.has(key) && address.length > 0 ? address : undefined;
    const have = this.observed.get(key);
    const [namespace, name] = key.split('/') as [string, string];
    if (want !== undefined) {
      if (have !== undefined && addressKey(have) === addressKey(want)) return 'done';
      if (!(await this.bucket.acquire(term))) return 'done';
      const body = { status: { loadBalancer: { ingress: want } } };
      const patched = await attempt(() => this.o.api.patchNamespacedIngressStatus({ name, namespace, body },
        apiCallOptions(this.o.k8s, { timeoutMs: this.o.timing.callTimeoutMs, signal: term, patch: 'merge' })));
      if (patched.ok) {
        this.problems.resolved(TOPIC);
        if (term === this.term) this.observed.set(key, want);
        return 'done';
      }
      return this.failed(key, patched.error.kind, `cannot write it: ${patched.error.message}`, term);
    }
    if (have === undefined || have.length === 0 || !this.published.has(addressKey(have))) return 'done';
    if (!(await this.bucket.acquire(term))) return 'done';
    const body = [
      { op: 'test', path: '/status/loadBalancer/ingress', value: have },
      { op: 'remove', path: '/status/loadBalancer/ingress' },
    ];
    const cleared = await attempt(() => this.o.api.patchNamespacedIngressStatus({ name, namespace, body },
      apiCallOptions(this.o.k8s, { timeoutMs: this.o.timing.callTimeoutMs, signal: term })));
    if (cleared.ok) {
      this.problems.resolved(TOPIC);
      if (term === this.term) this.observed.set(key, []);
      return 'done';
    }
    if (cleared.error.kind === 'invalid') {
      this.observed.delete(key); // the status changed under us: it is no longer ours to clear
      return 'done';
    }
    return this.failed(key, cleared.error.kind, `cannot clear it: ${cleared.error.message}`, term);
  }

  private failed(key: string, kind: string, message: string, term: AbortSignal): WorkResult {
    if (kind === 'not-found') {
      this.observed.delete(key); // deleted meanwhile
      return 'done';
    }
    if (term.aborted) return 'done'; // leadership ended: the next leader takes over
    // One topic for all Ingresses: an API outage is one log line, not one per Ingress.
    this.problems.problem(TOPIC, message, { ingress: key });
    return 'retry';
  }
}

/** The library's model objects carry every field, most undefined; the API holds only the set ones. */
function withoutUndefined(entry: object): LoadBalancerAddress {
  return JSON.parse(JSON.stringify(entry));
}
