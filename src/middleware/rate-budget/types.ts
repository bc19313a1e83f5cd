// One gateway instance keeps one rate-limit budget, however many worker processes it runs (the primary
// holds the buckets; workers lease tokens from it), and in "cluster" mode that budget is the limit
// divided by the number of ready Tideway replicas. These are the shapes shared by both sides.
import type { RateDecision } from '../builtin/token-bucket.ts';

/** One configured limit, as the buckets see it; sent with every lease (it is small). */
export interface RateLimitSpec {
  /** Identity of the buckets: the owner and the parameters (a changed limit gets new buckets). */
  id: string;
  requestsPerSecond: number;
  burst: number;
  maxKeys: number;
  /** "cluster" mode: rate and burst are divided by the ready replicas of Tideway's own Service. */
  perReplica: boolean;
}

/** Where a rate-limit middleware takes its tokens. A decision now, or a promise when it must ask. */
export interface RateBudget {
  take(limit: RateLimitSpec, key: string): RateDecision | Promise<RateDecision>;
}

/** A worker's request for tokens, answered by a RateGrant with the same id. */
export interface RateLease {
  id: number;
  limit: RateLimitSpec;
  key: string;
  want: number;
}

export interface RateGrant {
  id: number;
  /** Tokens handed over (0: refused). */
  granted: number;
  remaining: number;
  retryAfterMs: number;
  resetMs: number;
}
