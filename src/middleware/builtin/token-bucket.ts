// In-process token buckets, one per key, with bounded memory. A bucket that has refilled completely is
// the same as no bucket, so idle ones are dropped by amortized sweeps; past maxKeys the oldest buckets
// go first (a client whose bucket was evicted under that pressure starts again with a full bucket).

export interface RateDecision {
  allowed: boolean;
  /** Tokens taken (take() with want > 1 hands over up to that many; 0 when refused). */
  granted: number;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When refused: time until one token is back. */
  retryAfterMs: number;
  /** Time until the bucket is full again. */
  resetMs: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class LocalTokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private insertsSinceSweep = 0;
  /** Reused for every decision: take() is synchronous and callers read it before they await. */
  private readonly decision: RateDecision = { allowed: false, granted: 0, remaining: 0, retryAfterMs: 0, resetMs: 0 };

  constructor(requestsPerSecond: number, burst: number, maxKeys: number, now: () => number = () => performance.now()) {
    this.ratePerMs = requestsPerSecond / 1000;
    this.burst = burst;
    this.maxKeys = maxKeys;
    this.now = now;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key`, or up to `want` (a worker's lease, bank.ts). */
  take(key: string, want = 1): RateDecision {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      this.makeRoom(now);
      bucket = { tokens: this.burst, updatedMs: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updatedMs) * this.ratePerMs);
      bucket.updatedMs = now;
    }
    const d = this.decision;
    if (bucket.tokens >= 1) {
      const granted = want === 1 ? 1 : Math.min(want, Math.floor(bucket.tokens));
      bucket.tokens -= granted;
      d.allowed = true;
      d.granted = granted;
      d.retryAfterMs = 0;
    } else {
      d.allowed = false;
      d.granted = 0;
      d.retryAfterMs = (1 - bucket.tokens) / this.ratePerMs;
    }
    d.remaining = Math.floor(bucket.tokens);
    d.resetMs = (this.burst - bucket.tokens) / this.ratePerMs;
    return d;
  }

  /** Every bucket has refilled: dropping them all changes no decision. */
  allIdle(): boolean {
    const now = this.now();
    for (const bucket of this.buckets.values()) if (!this.isIdle(bucket, now)) return false;
    return true;
  }

  private isIdle(bucket: Bucket, now: number): boolean {
    return bucket.tokens + (now - bucket.updatedMs) * this.ratePerMs >= this.burst;
  }

  private makeRoom(now: number): void {
    // Sweeping once per max(1024, size) inserts keeps the cost per request constant on average.
    if (++this.insertsSinceSweep >= Math.max(1024, this.buckets.size) || this.buckets.size >= this.maxKeys) {
      this.insertsSinceSweep = 0;
      for (const [key, bucket] of this.buckets) if (this.isIdle(bucket, now)) this.buckets.delete(key);
    }
    if (this.buckets.size < this.maxKeys) return;
    // Every bucket is in use: drop the oldest 1% so that this does not repeat on every new key.
    let drop = Math.max(1, Math.floor(this.maxKeys / 100));
    for (const key of this.buckets.keys()) {
      this.buckets.delete(key);
      if (--drop === 0) break;
    }
  }
}
