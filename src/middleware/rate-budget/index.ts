// The rate-limit budget of one gateway instance: the buckets (bank.ts, in the single process or the
// primary) and the workers' leases of tokens from them (leased.ts).
export { BucketBank } from './bank.ts';
export { LeasedBudget } from './leased.ts';
export type { RateBudget, RateGrant, RateLease, RateLimitSpec } from './types.ts';
