// When the proxy may try a request again on another endpoint. A pure policy object: the proxy asks it
// after a failed attempt and does the retry itself. Rules:
// - A request that never reached the upstream (connect failure) may be retried whatever its method:
//   nothing was sent. Once bytes were sent (reset, timeout, a 502/503/504 answer), only idempotent
//   methods are retried unless retryNonIdempotent is set (nginx's proxy_next_upstream non_idempotent).
// - A request whose body was streamed and not kept cannot be replayed.
// - attempts bounds the tries of one request (the first included).
// - A retry budget bounds retries across requests: within the last window, retries may not exceed
//   budgetRatio of the requests, plus a small floor so that low traffic can still retry. This is what
//   keeps retries from multiplying the load on a struggling backend (Envoy and Finagle retry budgets).

export type AttemptFailure = 'connect' | 'reset' | 'timeout' | 'status';

export interface RetryPolicyOptions {
  /** Tries per request, the first included; 1 disables retries. */
  attempts: number;
  retryNonIdempotent: boolean;
  /** Upstream statuses worth another endpoint (failure "status"). */
  retryStatuses: readonly number[];
  budgetRatio: number;
  /** Retries per second always allowed, whatever the ratio says. */
  minRetriesPerSecond: number;
  windowMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicyOptions> = Object.freeze({
  attempts: 3,
  retryNonIdempotent: false,
  retryStatuses: [502, 503, 504],
  budgetRatio: 0.2,
  minRetriesPerSecond: 3,
  windowMs: 10_000,
});

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const SLOTS = 10;

export class RetryPolicy {
  readonly options: Readonly<RetryPolicyOptions>;
  private readonly now: () => number;
  private readonly slotMs: number;
  // Ring of per-slot counters over the window.
  private readonly requests = new Array<number>(SLOTS).fill(0);
  private readonly retries = new Array<number>(SLOTS).fill(0);
  private slotStart = 0;
  private slot = 0;

  constructor(options: Partial<RetryPolicyOptions> = {}, now: () => number = () => performance.now()) {
    this.options = { ...DEFAULT_RETRY_POLICY, ...options };
    if (!(this.options.attempts >= 1) || !Number.isInteger(this.options.attempts)) throw new RangeError('attempts must be a whole number of at least 1');
    if (!(this.options.budgetRatio >= 0)) throw new RangeError('budgetRatio must be 0 or more');
    this.now = now;
    this.slotMs = this.options.windowMs / SLOTS;
    this.slotStart = now();
  }

  /** Counts a request (its first attempt) towards the budget. */
  recordRequest(): void {
    this.advance();
    this.requests[this.slot]!++;
  }

  /** Whether an upstream status should count as a failed attempt. */
  isRetryableStatus(status: number): boolean {
    return this.options.retryStatuses.includes(status);
  }

  /**
   * Whether to try again after attempt number `attemptsMade` failed. A true answer spends one retry of
   * the budget, so call it once per decision. A route's own policy passes its bound on `attempts` and
   * `budgeted` false: the user's attempts bound it (as the Gateway API asks), its retries still count
   * against the budget of the backend's other routes.
   */
  shouldRetry(method: string, attemptsMade: number, failure: AttemptFailure, bodyReplayable: boolean, attempts = this.options.attempts, budgeted = true): boolean {
    if (attemptsMade >= attempts || !bodyReplayable) return false;
    if (failure !== 'connect' && !this.options.retryNonIdempotent && !IDEMPOTENT.has(method)) return false;
    this.advance();
    const windowSeconds = this.options.windowMs / 1000;
    const allowed = Math.max(this.options.minRetriesPerSecond * windowSeconds, this.options.budgetRatio * sum(this.requests));
    if (budgeted && sum(this.retries) + 1 > allowed) return false;
    this.retries[this.slot]!++;
    return true;
  }

  private advance(): void {
    const now = this.now();
    let elapsed = Math.floor((now - this.slotStart) / this.slotMs);
    if (elapsed <= 0) return;
    this.slotStart += elapsed * this.slotMs;
    for (elapsed = Math.min(elapsed, SLOTS); elapsed > 0; elapsed--) {
      this.slot = (this.slot + 1) % SLOTS;
      this.requests[this.slot] = 0;
      this.retries[this.slot] = 0;
    }
  }
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
