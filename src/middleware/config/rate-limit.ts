// Configuration of the rate-limit middleware: a token bucket per key, kept in this process or in Redis.
import type { CidrSet } from '../../lib/cidr.ts';
import { cidrs } from './ip-filter.ts';
import { ConfigReader, HEADER_NAME } from './read.ts';

export type RateLimitKey = { kind: 'client-ip' } | { kind: 'host' } | { kind: 'route' } | { kind: 'header'; header: string };

export interface RedisSettings {
  /** redis://[user@]host:port[/db] or rediss:// for TLS. */
  url: string;
  /** Resolved by translate() from passwordSecret; never written in the Middleware object itself. */
  password: string | null;
}

export interface RateLimitConfig {
  /** Who owns the buckets ("Middleware ns/name", "Ingress ns/name"): two owners never share a bucket. */
  scope: string;
  requestsPerSecond: number;
  /** Bucket size: the requests allowed at once after a quiet period. */
  burst: number;
  key: RateLimitKey;
  /**
   * local: one budget per gateway instance (shared by its workers); cluster: the same, divided by the
   * ready replicas of Tideway's own Service; redis: one budget in Redis for every replica.
   */
  store: 'local' | 'cluster' | 'redis';
  redis: RedisSettings | null;
  /** With the redis store: what to do when Redis cannot answer. */
  failureMode: 'open' | 'closed';
  /** Time a decision may wait for Redis before failureMode applies. */
  redisTimeoutMs: number;
  /** Local store: most buckets kept; the least recently used go first beyond it. */
  maxKeys: number;
  /** Answer to refused requests: 429 (default) or, as ingress-nginx, 503; any 4xx or 5xx. */
  statusCode: number;
  /** Client addresses never limited (ingress-nginx's limit-allowlist), or null. */
  exempt: CidrSet | null;
}

export const RATE_LIMIT_KEY_HINT = '"client-ip", "host", "route" or "header:<Name>"';

/** Parses "client-ip", "host", "route" or "header:<Name>"; null when invalid. */
export function parseRateLimitKey(text: string): RateLimitKey | null {
  const value = text.trim();
  if (value === 'client-ip' || value === 'host' || value === 'route') return { kind: value };
  if (value.toLowerCase().startsWith('header:')) {
    const header = value.slice('header:'.length).trim();
    return HEADER_NAME.test.test(header) ? { kind: 'header', header } : null;
  }
  return null;
}

function redisSettings(r: ConfigReader): RedisSettings {
  const url = r.requiredString('url');
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (parsed?.protocol !== 'redis:' && parsed?.protocol !== 'rediss:') r.fail('url', `must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  const password = r.string('password') ?? null;
  r.finish();
  return { url, password };
}

export function parseRateLimitConfig(raw: unknown): RateLimitConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const requestsPerSecond = r.number('requestsPerSecond', { min: 0.001, max: 1_000_000 });
  if (requestsPerSecond === undefined) r.fail('requestsPerSecond', 'is required');
  const burst = r.number('burst', { min: 1, max: 1_000_000, integer: true }) ?? Math.max(1, Math.ceil(requestsPerSecond));
  const keyText = r.string('key') ?? 'client-ip';
  const key = parseRateLimitKey(keyText);
  if (key === null) r.fail('key', `${JSON.stringify(keyText)} is not ${RATE_LIMIT_KEY_HINT}`);
  const store = r.oneOf('store', ['local', 'cluster', 'redis'] as const) ?? 'local';
  const redisReader = r.child('redis');
  if (store === 'redis' && !redisReader) r.fail('redis', 'is required when store is "redis"');
  if (store !== 'redis' && redisReader) r.fail('redis', 'is only used with store: redis');
  const redis = redisReader ? redisSettings(redisReader) : null;
  const failureMode = r.oneOf('failureMode', ['open', 'closed'] as const) ?? 'open';
  const redisTimeoutMs = r.duration('redisTimeout', 1) ?? 200;
  const maxKeys = r.number('maxKeys', { min: 1, max: 10_000_000, integer: true }) ?? 100_000;
  const scope = r.string('scope') ?? '';
  const statusCode = r.number('statusCode', { min: 400, max: 599, integer: true }) ?? 429;
  const exempt = cidrs(r, 'exemptSourceRanges');
  r.finish();
  return { scope, requestsPerSecond, burst, key, store, redis, failureMode, redisTimeoutMs, maxKeys, statusCode, exempt };
}
