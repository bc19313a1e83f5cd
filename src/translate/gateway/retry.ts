// HTTPRoute rules[].retry -> the route's RouteRetrySpec. Unreadable values are reported and left out
// (the rule keeps serving with what could be read), as for timeouts.
import { parseDuration } from '../../lib/units.ts';
import type { RouteRetrySpec } from '../../routing/spec.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { arrayField, field, isRecord } from '../shape.ts';

/** Retries when `attempts` is not written: ingress-nginx's proxy_next_upstream_tries 3 (two retries). */
export const DEFAULT_RETRIES = 2;
/** Bounds a written `attempts`: more retries than this only multiply the load on a failing backend. */
export const MAX_RETRIES = 10;

/** The rule's retry policy, or null when it has none. `tryTimeoutMs` is its timeouts.backendRequest. */
export function readRetry(retry: unknown, tryTimeoutMs: number, at: string, diag: ObjectDiagnostics): RouteRetrySpec | null {
  if (retry === undefined || retry === null) return null;
  if (!isRecord(retry)) {
    diag.error(at, 'UnsupportedValue', 'retry must be an object; requests of this rule are not retried');
    return null;
  }
  let retries = DEFAULT_RETRIES;
  const attempts = field(retry, 'attempts');
  if (attempts !== undefined && attempts !== null) {
    if (typeof attempts === 'number' && Number.isInteger(attempts) && attempts >= 1 && attempts <= MAX_RETRIES) retries = attempts;
    else diag.error(`${at}.attempts`, 'UnsupportedValue', `attempts ${JSON.stringify(attempts)} must be a whole number from 1 to ${MAX_RETRIES}; ${DEFAULT_RETRIES} retries are used`);
  }
  const codes: number[] = [];
  arrayField(retry, 'codes').forEach((code, i) => {
    if (typeof code === 'number' && Number.isInteger(code) && code >= 400 && code <= 599) {
      if (!codes.includes(code)) codes.push(code);
    } else diag.error(`${at}.codes[${i}]`, 'UnsupportedValue', `status ${JSON.stringify(code)} must be a whole number from 400 to 599; it is not retried`);
  });
  let backoffMs = 0;
  const backoff = field(retry, 'backoff');
  if (backoff !== undefined && backoff !== null) {
    try {
      backoffMs = parseDuration(String(backoff));
    } catch (err) {
      diag.error(`${at}.backoff`, 'UnsupportedValue', `${(err as Error).message}; retries are not delayed`);
    }
  }
  return { retries, codes, backoffMs, tryTimeoutMs };
}
