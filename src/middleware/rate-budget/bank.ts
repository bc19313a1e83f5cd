// The authoritative buckets of one gateway instance: in the single process, or in the primary, which
// hands tokens to its workers (leased.ts). A "cluster" limit is divided by the ready replicas, read
// at decision time; when that number changes the limit gets fresh buckets at the new rate.
import { LocalTokenBuckets, type RateDecision } from '../builtin/token-bucket.ts';
import type { RateBudget, RateGrant, RateLease, RateLimitSpec } from './types.ts';

/** Every this many decisions, limits unused since the last sweep and fully refilled are dropped. */
const SWEEP_EVERY = 4096;

interface LimitBuckets {
  buckets: LocalTokenBuckets;
  lastUse: number;
}

export class BucketBank implements RateBudget {
  private readonly limits = new Map<string, LimitBuckets>();
  private readonly replicas: () => number;
  private decisions = 0;

  /** `replicas`: ready replicas of Tideway's Service (1 when unknown). */
  constructor(replicas: () => number = () => 1) {
    this.replicas = replicas;
  }

  take(limit: RateLimitSpec, key: string, want = 1): RateDecision {
    return this.bucketsFor(limit).take(key, want);
  }

  /** Answers a worker's lease. */
  grant(lease: RateLease): RateGrant {
    const d = this.take(lease.limit, lease.key, Math.max(1, Math.floor(lease.want)));
    return { id: lease.id, granted: d.granted, remaining: d.remaining, retryAfterMs: d.retryAfterMs, resetMs: d.resetMs };
  }

  /** Distinct limits held (for tests and stats). */
  get size(): number {
    return this.limits.size;
  }

  private bucketsFor(limit: RateLimitSpec): LocalTokenBuckets {
    const divisor = limit.perReplica ? Math.max(1, Math.floor(this.replicas())) : 1;
    const id = divisor === 1 ? limit.id : `${limit.id}/${divisor}`;
    const n = ++this.decisions;
    if (n % SWEEP_EVERY === 0) this.sweep(n);
    let entry = this.limits.get(id);
    if (entry === undefined) {
      // Each replica admits its share; a burst smaller than the replicas still lets one request through.
      const buckets = new LocalTokenBuckets(limit.requestsPerSecond / divisor, Math.max(1, Math.floor(limit.burst / divisor)), limit.maxKeys);
      entry = { buckets, lastUse: n };
      this.limits.set(id, entry);
    }
    entry.lastUse = n;
    return entry.buckets;
  }

  /** Limits unused for a whole sweep period whose buckets all refilled are dropped: a full bucket is no bucket. */
  private sweep(now: number): void {
    for (const [id, entry] of this.limits) if (now - entry.lastUse >= SWEEP_EVERY && entry.buckets.allIdle()) this.limits.delete(id);
  }
}
