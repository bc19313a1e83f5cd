// rate-limit: a token bucket per key (client address, a header, the host or the route), in this process
// or in Redis for a limit shared by every gateway replica. Refused requests get 429 with Retry-After;
// every answer carries RateLimit-Limit, -Remaining and -Reset (draft-ietf-httpapi-ratelimit-headers).
// When Redis cannot answer, failureMode decides: "open" lets the request through, "closed" answers 503.
import { createHash } from 'node:crypto';
import { parseRateLimitConfig, type RateLimitConfig, type RateLimitKey } from '../config/rate-limit.ts';
import type { Context, HeaderMap, Middleware, MiddlewareEnvironment, MiddlewareFactory } from '../types.ts';
import { answer } from './answer.ts';
import { RedisConnection } from './redis-connection.ts';
import { BucketBank, type RateLimitSpec } from '../rate-budget/index.ts';

function keyFunction(key: RateLimitKey): (ctx: Context) => string {
  switch (key.kind) {
    case 'client-ip':
      return (ctx) => ctx.request.clientAddress;
    case 'host':
      return (ctx) => ctx.request.authority.toLowerCase();
    case 'route':
      return (ctx) => ctx.route.id;
    case 'header': {
      const name = key.header;
      // Requests without the header share one bucket.
      return (ctx) => ctx.request.headers.get(name) ?? '';
    }
  }
}

function describeKey(key: RateLimitKey): string {
  return key.kind === 'header' ? `header:${key.header.toLowerCase()}` : key.kind;
}

const seconds = (ms: number): string => String(Math.ceil(ms / 1000));

function setRateHeaders(headers: HeaderMap, limit: string, remaining: number, resetMs: number): void {
  headers.set('ratelimit-limit', limit);
  headers.set('ratelimit-remaining', String(remaining));
  headers.set('ratelimit-reset', seconds(resetMs));
}

function refuse(ctx: Context, status: number, limit: string, retryAfterMs: number, resetMs: number): void {
  ctx.logFields.denied = 'rate-limit';
  answer(ctx, status, {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    'ratelimit-limit': limit,
    'ratelimit-remaining': '0',
    'ratelimit-reset': seconds(resetMs),
  });
}

function localLimiter(c: RateLimitConfig, env: MiddlewareEnvironment): Middleware {
  const keyOf = keyFunction(c.key);
  const limit = String(c.burst);
  // The buckets' identity: a configuration reload must not hand every client a fresh bucket, and two
  // owners (or a changed limit) never share one.
  const spec: RateLimitSpec = {
    id: `${c.scope}|${c.requestsPerSecond}|${c.burst}|${describeKey(c.key)}|${c.maxKeys}`,
    requestsPerSecond: c.requestsPerSecond,
    burst: c.burst,
    maxKeys: c.maxKeys,
    perReplica: c.store === 'cluster',
  };
  // In a worker the budget is the instance's (leased from the primary); a process on its own keeps it.
  const budget = env.rateBudget ?? env.shared('rate-limit:local', () => new BucketBank());
  return async (ctx, next) => {
    const taken = budget.take(spec, keyOf(ctx));
    const d = taken instanceof Promise ? await taken : taken;
    if (!d.allowed) return refuse(ctx, c.statusCode, limit, d.retryAfterMs, d.resetMs);
    const remaining = d.remaining;
    const resetMs = d.resetMs;
    await next();
    if (ctx.response !== null) setRateHeaders(ctx.response.headers, limit, remaining, resetMs);
  };
}

/** Long keys (header values) are hashed so that a client cannot make Redis keys of any size. */
function redisKey(prefix: string, key: string): string {
  return key.length <= 128 ? prefix + key : prefix + createHash('sha256').update(key).digest('base64url');
}

function redisLimiter(c: RateLimitConfig, env: MiddlewareEnvironment): Middleware {
  const settings = c.redis!;
  const keyOf = keyFunction(c.key);
  const limit = String(c.burst);
  const prefix = `tideway:rl:${c.scope}|${c.requestsPerSecond}|${c.burst}|${describeKey(c.key)}:`;
  const connection = env.shared(`redis:${settings.url}|${settings.password ?? ''}|${c.redisTimeoutMs}`, () => new RedisConnection(settings, c.redisTimeoutMs, env));
  const closed = c.failureMode === 'closed';
  return async (ctx, next) => {
    let decision: [boolean, number, number, number];
    try {
      decision = await connection.tokenBucket(redisKey(prefix, keyOf(ctx)), c.requestsPerSecond, c.burst);
    } catch {
      if (closed) {
        ctx.logFields.denied = 'rate-limit-unavailable';
        return answer(ctx, 503);
      }
      return next();
    }
    const [allowed, remaining, retryAfterMs, resetMs] = decision;
    if (!allowed) return refuse(ctx, c.statusCode, limit, retryAfterMs, resetMs);
    await next();
    if (ctx.response !== null) setRateHeaders(ctx.response.headers, limit, remaining, resetMs);
  };
}

export const rateLimitFactory: MiddlewareFactory = {
  type: 'rate-limit',
  create(config, env) {
    const c = parseRateLimitConfig(config);
    const limiter = c.store === 'redis' ? redisLimiter(c, env) : localLimiter(c, env);
    const exempt = c.exempt;
    return exempt === null ? limiter : (ctx, next) => (exempt.contains(ctx.request.clientAddress) ? next() : limiter(ctx, next));
  },
};
