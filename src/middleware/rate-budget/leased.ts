// A worker's side of the instance budget: tokens leased from the primary's buckets (bank.ts) in small
// batches, so that most decisions stay in the worker and the instance still admits one budget, not one
// per worker. Trade-off (docs/middleware.md): leased tokens a worker has not spent within LEASE_MS are
// dropped, never returned, so the instance never admits more than its budget and may admit up to
// (batch - 1) per worker and key less. The batch is a tenth of the per-worker share of a second's
// tokens: a limit of 10/s on 2 workers leases one token at a time (every decision asks the primary,
// about 0.1 ms over IPC); 1000/s leases 50. A refusal is remembered until its Retry-After, so a client
// over its limit costs no IPC.
import type { RateDecision } from '../builtin/token-bucket.ts';
import type { RateBudget, RateGrant, RateLease, RateLimitSpec } from './types.ts';

/** Unspent leased tokens expire after this. */
const LEASE_MS = 1000;
/** Leases of other keys are swept every this many new keys. */
const SWEEP_EVERY = 1024;

interface Lease {
  tokens: number;
  expiresAt: number;
  /** Until then the primary said no: refuse without asking. */
  refusedUntil: number;
  remaining: number;
  resetMs: number;
  pending: Promise<void> | null;
}

export class LeasedBudget implements RateBudget {
  private readonly send: (lease: RateLease) => void;
  private readonly workers: number;
  private readonly leases = new Map<string, Lease>();
  private readonly waiting = new Map<number, (grant: RateGrant | null) => void>();
  private nextId = 1;
  private inserts = 0;

  constructor(send: (lease: RateLease) => void, workers: number) {
    this.send = send;
    this.workers = Math.max(1, workers);
  }

  take(limit: RateLimitSpec, key: string): RateDecision | Promise<RateDecision> {
    const leaseKey = limit.id + '\n' + key;
    const lease = this.leases.get(leaseKey);
    const now = performance.now();
    if (lease !== undefined && lease.pending === null) {
      if (lease.tokens >= 1 && lease.expiresAt > now) return spend(lease);
      if (lease.refusedUntil > now) return refusal(lease.refusedUntil - now, lease.resetMs);
    }
    return this.ask(limit, key, leaseKey, lease);
  }

  /** The primary's answer to a lease. */
  onGrant(grant: RateGrant): void {
    const resolve = this.waiting.get(grant.id);
    if (resolve === undefined) return;
    this.waiting.delete(grant.id);
    resolve(grant);
  }

  /** The primary is gone (shutdown): pending decisions let their requests through. */
  close(): void {
    for (const resolve of this.waiting.values()) resolve(null);
    this.waiting.clear();
  }

  private async ask(limit: RateLimitSpec, key: string, leaseKey: string, existing: Lease | undefined): Promise<RateDecision> {
    let lease = existing;
    if (lease === undefined) {
      if (++this.inserts % SWEEP_EVERY === 0) this.sweep();
      lease = { tokens: 0, expiresAt: 0, refusedUntil: 0, remaining: 0, resetMs: 0, pending: null };
      this.leases.set(leaseKey, lease);
    }
    for (;;) {
      // Requests that arrive while a lease is asked for wait for its answer instead of asking too.
      lease.pending ??= this.request(limit, key, lease);
      await lease.pending;
      const now = performance.now();
      if (lease.tokens >= 1 && lease.expiresAt > now) return spend(lease);
      if (lease.refusedUntil > now) return refusal(lease.refusedUntil - now, lease.resetMs);
      if (lease.expiresAt === Infinity) return spend(lease); // primary gone: let it through
      // The tokens went to requests that waited with this one: ask again.
    }
  }

  private async request(limit: RateLimitSpec, key: string, lease: Lease): Promise<void> {
    const id = this.nextId++;
    const perWorkerSecond = Math.min(limit.burst, limit.requestsPerSecond) / this.workers;
    const want = Math.max(1, Math.floor(perWorkerSecond / 10));
    const answer = new Promise<RateGrant | null>((resolve) => this.waiting.set(id, resolve));
    this.send({ id, limit, key, want });
    const grant = await answer;
    lease.pending = null;
    const now = performance.now();
    if (grant === null) {
      lease.tokens = Infinity;
      lease.expiresAt = Infinity;
      return;
    }
    lease.tokens = grant.granted;
    lease.expiresAt = now + LEASE_MS;
    lease.remaining = grant.remaining;
    lease.resetMs = grant.resetMs;
    lease.refusedUntil = grant.granted === 0 ? now + grant.retryAfterMs : 0;
  }

  private sweep(): void {
    const now = performance.now();
    for (const [key, lease] of this.leases) if (lease.pending === null && lease.expiresAt <= now && lease.refusedUntil <= now) this.leases.delete(key);
  }
}

function spend(lease: Lease): RateDecision {
  lease.tokens--;
  const remaining = Number.isFinite(lease.tokens) ? lease.remaining + Math.floor(lease.tokens) : 0;
  return { allowed: true, granted: 1, remaining, retryAfterMs: 0, resetMs: lease.resetMs };
}

function refusal(retryAfterMs: number, resetMs: number): RateDecision {
  return { allowed: false, granted: 0, remaining: 0, retryAfterMs, resetMs };
}
