// The retry decisions both HTTP/1.1 and HTTP/2 clients' relays to HTTP/1.1 upstreams take: how long a
// try may last, and whether a failed try may be followed by another. A read timeout is never retried:
// it bounds the whole wait, retries included; only a route's own per-try timeout is.
import type { RouteOptions } from '../routing/index.ts';
import type { BackendRuntime } from '../upstream/registry.ts';
import type { AttemptFailure } from '../upstream/retry-policy.ts';

/**
 * The timeout of a try's phase (`ms`: connect or read): a route's per-try timeout bounds it as well, and
 * a retry gets only what is left of the read timeout counted from the first try.
 */
export function tryTimeout(options: RouteOptions, ms: number, firstTry: boolean, upstreamStart: number): number {
  const retry = options.retry;
  if (retry !== undefined && retry.tryTimeoutMs > 0 && retry.tryTimeoutMs < ms) ms = retry.tryTimeoutMs;
  if (firstTry) return ms;
  const left = upstreamStart + options.readTimeoutMs - Date.now();
  return left >= ms ? ms : Math.max(left, 1);
}

/**
 * Whether try number `triesMade` that failed may be followed by another: the route's (or the
 * backend's) bound on tries and the backend's budget (a route's own policy is bounded by its attempts
 * alone), and more than the backoff left of the read timeout. A true answer counts the retry.
 */
export function mayRetry(options: RouteOptions, backend: BackendRuntime, method: string, triesMade: number, kind: AttemptFailure, replayable: boolean, upstreamStart: number): boolean {
  const retry = options.retry;
  const left = upstreamStart + options.readTimeoutMs - Date.now();
  if (left <= (retry === undefined ? 0 : retry.backoffMs)) return false;
  return retry === undefined
    ? backend.retry.shouldRetry(method, triesMade, kind, replayable)
    : backend.retry.shouldRetry(method, triesMade, kind, replayable, retry.retries + 1, false);
}

/** A relay or exchange that sends its request again once a route's backoff is over. */
export interface Retrying {
  /** The pending backoff, cancelled when the exchange ends first. */
  retryTimer: NodeJS.Timeout | null;
  retryNow(): void;
}

/** Starts the next try after `backoffMs`, or at once when there is no backoff. */
export function retryAfter(target: Retrying, backoffMs: number): void {
  if (backoffMs > 0) retryDeferred(target, backoffMs);
  else target.retryNow();
}

/** Starts the next try after `backoffMs`, never within this call (the caller is inside a parse that must unwind first). */
export function retryDeferred(target: Retrying, backoffMs: number): void {
  target.retryTimer = setTimeout(callRetryNow, backoffMs, target);
}

/** A plain function with the target as argument: no closure per retry. */
function callRetryNow(target: Retrying): void {
  target.retryNow();
}
