import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../../src/upstream/circuit-breaker.ts';
import { RetryPolicy } from '../../src/upstream/retry-policy.ts';

describe('RetryPolicy', () => {
  it('retries idempotent methods up to the attempt limit', () => {
    const policy = new RetryPolicy({ attempts: 3, minRetriesPerSecond: 100 });
    policy.recordRequest();
    assert.equal(policy.shouldRetry('GET', 1, 'reset', true), true);
    assert.equal(policy.shouldRetry('GET', 2, 'timeout', true), true);
    assert.equal(policy.shouldRetry('GET', 3, 'reset', true), false);
    assert.equal(new RetryPolicy({ attempts: 1 }).shouldRetry('GET', 1, 'connect', true), false);
  });

  it('non-idempotent methods only when nothing was sent, unless opted in; never an unreplayable body', () => {
    const policy = new RetryPolicy({ minRetriesPerSecond: 100 });
    assert.equal(policy.shouldRetry('POST', 1, 'connect', true), true);
    for (const failure of ['reset', 'timeout', 'status'] as const) assert.equal(policy.shouldRetry('POST', 1, failure, true), false, failure);
    assert.equal(policy.shouldRetry('PATCH', 1, 'status', true), false);
    assert.equal(policy.shouldRetry('PUT', 1, 'status', true), true);
    assert.equal(new RetryPolicy({ retryNonIdempotent: true, minRetriesPerSecond: 100 }).shouldRetry('POST', 1, 'reset', true), true);
    assert.equal(policy.shouldRetry('GET', 1, 'connect', false), false);
    assert.equal(policy.isRetryableStatus(503), true);
    assert.equal(policy.isRetryableStatus(500), false);
  });

  it('a retry budget caps retries to a ratio of recent requests, and frees up as the window slides', () => {
    let now = 0;
    const policy = new RetryPolicy({ budgetRatio: 0.1, minRetriesPerSecond: 0, windowMs: 10_000 }, () => now);
    for (let i = 0; i < 100; i++) policy.recordRequest();
    let granted = 0;
    for (let i = 0; i < 50; i++) if (policy.shouldRetry('GET', 1, 'reset', true)) granted++;
    assert.equal(granted, 10);
    now = 10_500;
    for (let i = 0; i < 10; i++) policy.recordRequest();
    granted = 0;
    for (let i = 0; i < 50; i++) if (policy.shouldRetry('GET', 1, 'reset', true)) granted++;
    assert.equal(granted, 1, 'the old requests left the window: 10% of 10');
  });

  it('the floor allows some retries when traffic is low', () => {
    const policy = new RetryPolicy({ budgetRatio: 0.1, minRetriesPerSecond: 1, windowMs: 10_000 }, () => 0);
    let granted = 0;
    for (let i = 0; i < 20; i++) if (policy.shouldRetry('GET', 1, 'connect', true)) granted++;
    assert.equal(granted, 10);
  });

  it("a route's own policy is bounded by its attempts, not the budget, and its retries count against the budget", () => {
    const policy = new RetryPolicy({ budgetRatio: 0, minRetriesPerSecond: 1, windowMs: 10_000 }, () => 0);
    for (let i = 0; i < 10; i++) assert.equal(policy.shouldRetry('GET', 1, 'status', true, 6, false), true);
    assert.equal(policy.shouldRetry('GET', 6, 'status', true, 6, false), false, 'attempts spent');
    assert.equal(policy.shouldRetry('POST', 1, 'status', true, 6, false), false, 'not idempotent');
    assert.equal(policy.shouldRetry('GET', 1, 'reset', true), false, 'the floor of 10 was used up by the route');
  });

  it('refuses nonsensical options', () => {
    assert.throws(() => new RetryPolicy({ attempts: 0 }), RangeError);
    assert.throws(() => new RetryPolicy({ budgetRatio: -1 }), RangeError);
  });
});

describe('CircuitBreaker', () => {
  it('ejects after consecutive failures, for longer each time, and re-admits on trial', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ consecutiveFailures: 3, baseEjectionMs: 1000, maxEjectionMs: 2500, maxEjectedPercent: 100 }, () => now);
    const pool = ['a:1', 'b:1'];
    breaker.recordFailure('a:1', 2);
    breaker.recordFailure('a:1', 2);
    breaker.recordSuccess('a:1');
    breaker.recordFailure('a:1', 2);
    breaker.recordFailure('a:1', 2);
    assert.equal(breaker.isEjected('a:1'), false, 'a success resets the count');
    assert.equal(breaker.recordFailure('a:1', 2), true);
    assert.deepEqual(breaker.available(pool), ['b:1']);
    now = 999;
    assert.equal(breaker.isEjected('a:1'), true);
    now = 1000;
    assert.deepEqual(breaker.available(pool), pool, 're-admitted on trial');
    assert.equal(breaker.recordFailure('a:1', 2), true, 'one failure on trial ejects again');
    now = 2999;
    assert.equal(breaker.isEjected('a:1'), true, 'twice the base');
    now = 3000;
    breaker.recordSuccess('a:1');
    assert.equal(breaker.recordFailure('a:1', 2), false, 'a success on trial clears the record');
    // Ejected three times in a row on trial: 1000, 2000, then 2500 (capped by maxEjectionMs), not 3000.
    const durations: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = now;
      // Three failures the first time (consecutiveFailures), a single one on trial.
      while (!breaker.recordFailure('b:1', 2));
      while (breaker.isEjected('b:1')) now += 100;
      durations.push(now - start);
    }
    assert.deepEqual(durations, [1000, 2000, 2500]);
  });

  it('never ejects more than maxEjectedPercent of a pool (at least one), and never leaves nothing', () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, maxEjectedPercent: 50 }, () => 0);
    const pool = ['a', 'b', 'c', 'd'];
    for (const e of pool) breaker.recordFailure(e, pool.length);
    assert.deepEqual(breaker.available(pool), ['c', 'd']);
    const single = new CircuitBreaker({ consecutiveFailures: 1 }, () => 0);
    assert.equal(single.recordFailure('only', 1), true);
    assert.deepEqual(single.available(['only']), ['only'], 'with every endpoint ejected, all are tried');
  });
});
