// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it (the
// library ships none): one replica holds the Lease and renews it; the others wait until it is released
// or has not been renewed for leaseDurationSeconds, then take it with an update that carries the
// resourceVersion they read, so that of two replicas racing for it exactly one wins (the other gets
// 409 Conflict).
//
// Expiry is judged on the local monotonic clock, from when this replica last saw the Lease change,
// never from the renewTime written by another machine's clock (clock skew).
//
// A leader that cannot renew steps down on its own at renewDeadline after its last successful renewal,
// even when the API server is unreachable, and aborts its calls in flight (the term's AbortSignal):
// renewDeadline < leaseDuration, so it has stopped writing before anyone else may take over.
import type { CoordinationV1Api, V1Lease } from '@kubernetes/client-node';
import type { ClientNode } from '../kube/client.ts';
import { apiCallOptions, attempt } from './api-call.ts';
import { ProblemLog, type StatusLog } from './problem-log.ts';
import { jittered, pause, type StatusTiming } from './timing.ts';

export interface LeaderElectorOptions {
  k8s: ClientNode;
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  timing: StatusTiming;
  log: StatusLog;
  /** Called when this replica becomes leader; `term` aborts when it stops being leader. */
  onStartedLeading(term: AbortSignal): void;
  onStoppedLeading(): void;
}

type Round = 'leading' | 'following' | 'failed';

export class LeaderElector {
  private readonly o: LeaderElectorOptions;
  private readonly problems: ProblemLog;
  private readonly closing = new AbortController();
  private loop: Promise<void> | undefined;
  private term: AbortController | undefined;
  private stepDownTimer: NodeJS.Timeout | undefined;
  /** The last Lease read or written, and when (monotonic ms) its resourceVersion was first seen. */
  private observed: V1Lease | undefined;
  private observedAt = 0;

  constructor(options: LeaderElectorOptions) {
    this.o = options;
    this.problems = new ProblemLog(options.log);
  }

  get isLeader(): boolean {
    return this.term !== undefined;
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.closing.signal.aborted) {
      let round: Round;
      try {
        round = await this.tryAcquireOrRenew();
      } catch (error) {
        // A bug, not an API failure (those are values): keep electing rather than end the loop.
        this.o.log('error', `${this.lease}: election round failed: ${(error as Error).stack ?? error}`);
        round = 'failed';
      }
      if (this.closing.signal.aborted) break;
      const interval = round === 'leading' ? this.o.timing.renewIntervalMs : this.o.timing.retryIntervalMs;
      await pause(jittered(interval), this.closing.signal);
    }
  }

  private get lease(): string {
    return `Lease ${this.o.namespace}/${this.o.name}`;
  }

  private callOptions() {
    return apiCallOptions(this.o.k8s, { timeoutMs: this.o.timing.callTimeoutMs, signal: this.closing.signal });
  }

  private observe(lease: V1Lease): void {
    if (lease.metadata?.resourceVersion !== this.observed?.metadata?.resourceVersion) this.observedAt = performance.now();
    this.observed = lease;
  }

  private expired(lease: V1Lease): boolean {
    const seconds = lease.spec?.leaseDurationSeconds ?? this.o.timing.leaseDurationMs / 1000;
    return performance.now() >= this.observedAt + seconds * 1000;
  }

  private spec(previous: V1Lease['spec'], now: Date, acquiring: boolean): NonNullable<V1Lease['spec']> {
    const micro = new this.o.k8s.V1MicroTime(now.getTime());
    return {
      ...previous,
      holderIdentity: this.o.identity,
      leaseDurationSeconds: this.o.timing.leaseDurationMs / 1000,
      renewTime: micro,
      ...(acquiring ? { acquireTime: micro, leaseTransitions: previous ? (previous.leaseTransitions ?? 0) + 1 : 0 } : {}),
    };
  }

  /** One round; at most one extra read after a 409, as the Lease changed under us. */
  private async tryAcquireOrRenew(): Promise<Round> {
    for (let tries = 0; tries < 2; tries++) {
      const started = performance.now();
      const read = await attempt(() => this.o.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace }, this.callOptions()));
      if (!read.ok && read.error.kind === 'not-found') {
        const body: V1Lease = { metadata: { name: this.o.name, namespace: this.o.namespace }, spec: this.spec(undefined, new Date(), true) };
        const created = await attempt(() => this.o.api.createNamespacedLease({ namespace: this.o.namespace, body }, this.callOptions()));
        if (created.ok) return this.renewed(created.value, started);
        if (created.error.kind === 'conflict') continue; // someone else created it first
        return this.failed(`cannot create it: ${created.error.message}`);
      }
      if (!read.ok) return this.failed(`cannot read it: ${read.error.message}`);
      const lease = read.value;
      this.observe(lease);
      const holder = lease.spec?.holderIdentity ?? '';
      if (holder !== '' && holder !== this.o.identity && !this.expired(lease)) {
        this.problems.resolved(this.lease);
        if (this.isLeader) this.stepDown(`${holder} holds the lease now`);
        return 'following';
      }
      const body: V1Lease = { ...lease, spec: this.spec(lease.spec, new Date(), holder !== this.o.identity) };
      const replaced = await attempt(() => this.o.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body }, this.callOptions()));
      if (replaced.ok) return this.renewed(replaced.value, started);
      if (replaced.error.kind !== 'conflict') return this.failed(`cannot update it: ${replaced.error.message}`);
    }
    return this.isLeader ? 'leading' : 'following';
  }

  private renewed(lease: V1Lease, started: number): Round {
    this.observe(lease);
    this.problems.resolved(this.lease);
    if (this.closing.signal.aborted) return 'following';
    // The deadline counts from when the renewing call started: the API server may have seen it then.
    clearTimeout(this.stepDownTimer);
    const remaining = started + this.o.timing.renewDeadlineMs - performance.now();
    this.stepDownTimer = setTimeout(() => this.stepDown(`the lease was not renewed for ${this.o.timing.renewDeadlineMs} ms`), Math.max(0, remaining));
    if (!this.term) {
      this.term = new AbortController();
      this.o.log('info', `leading: ${this.lease} acquired by ${this.o.identity}`);
      this.notify(() => this.o.onStartedLeading(this.term!.signal));
    }
    return 'leading';
  }

  private failed(message: string): Round {
    this.problems.problem(this.lease, message, { identity: this.o.identity });
    return 'failed';
  }

  private stepDown(why: string): void {
    clearTimeout(this.stepDownTimer);
    this.stepDownTimer = undefined;
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    term.abort();
    this.o.log('warn', `no longer leading (${this.lease}): ${why}`);
    this.notify(() => this.o.onStoppedLeading());
  }

  /** Runs a leadership callback; its failure is logged, never thrown into the election (or a timer). */
  private notify(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.o.log('error', `${this.lease}: leadership callback failed: ${(error as Error).stack ?? error}`);
    }
  }

  /**
   * Stops the election. A leader gives the Lease up (empty holder) so that a successor takes over on
   * its next try instead of waiting for the lease to expire.
   */
  async close(budgetMs = this.o.timing.callTimeoutMs): Promise<void> {
    const wasLeader = this.isLeader;
    this.closing.abort();
    await this.loop;
    if (!wasLeader) return;
    this.stepDown('shutting down');
    await this.release(budgetMs);
  }

  /**
   * Clears the holder if it is still us; re-reads once after a 409 (a renewal we aborted may have
   * landed). All of it within budgetMs: if the API server is slow, the Lease simply expires.
   */
  private async release(budgetMs: number): Promise<void> {
    const options = apiCallOptions(this.o.k8s, { timeoutMs: this.o.timing.callTimeoutMs, signal: AbortSignal.timeout(Math.max(1, budgetMs)) });
    let problem = 'it changed twice while releasing';
    for (let tries = 0; tries < 2; tries++) {
      const read = await attempt(() => this.o.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace }, options));
      if (!read.ok) {
        problem = read.error.message;
        break;
      }
      const lease = read.value;
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      const body: V1Lease = {
        ...lease,
        spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: new this.o.k8s.V1MicroTime() },
      };
      const released = await attempt(() => this.o.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body }, options));
      if (released.ok) {
        this.o.log('info', `released ${this.lease}`);
        return;
      }
      problem = released.error.message;
      if (released.error.kind !== 'conflict') break;
    }
    this.o.log('warn', `could not release ${this.lease} (others take over when it expires): ${problem}`);
  }
}
