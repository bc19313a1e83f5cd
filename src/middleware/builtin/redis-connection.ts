// One Redis client per (URL, password, timeout), shared by every rate-limit middleware that uses it and
// kept across snapshots (env.shared). The token bucket is one Lua script, so each decision is one atomic
// round trip (EVALSHA through ioredis's defineCommand, which falls back to EVAL after a Redis restart).
// Redis's own clock is used, so that every gateway replica sees the same time.
import type { Redis } from 'ioredis';
import { lazyModule } from '../../lib/lazy-module.ts';
import type { RedisSettings } from '../config/rate-limit.ts';
import type { MiddlewareEnvironment } from '../types.ts';

const TOKEN_BUCKET_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) * 1000 / rate)
end
local reset = math.ceil((burst - tokens) * 1000 / rate)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], reset + 1000)
return { allowed, math.floor(tokens), retry, reset }
`;

// Loaded when a rate limit with a Redis store is first built: most gateways never configure one.
const ioredis = lazyModule<typeof import('ioredis')>('ioredis');

type TokenBucketCommand = (key: string, rate: number, burst: number) => Promise<[number, number, number, number]>;

/** Logs failures at most once per interval, and the recovery once. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

export class RedisConnection {
  private readonly client: Redis;
  private readonly env: MiddlewareEnvironment;
  private readonly target: string;
  private failing = false;
  private lastFailureLogMs = -Infinity;
  private suppressed = 0;

  constructor(settings: RedisSettings, timeoutMs: number, env: MiddlewareEnvironment) {
    this.env = env;
    this.target = new URL(settings.url).host;
    this.client = new (ioredis().Redis)(settings.url, {
      ...(settings.password !== null ? { password: settings.password } : {}),
      // Decisions wait at most timeoutMs, also while (re)connecting; then the failure mode applies.
      commandTimeout: timeoutMs,
      connectTimeout: Math.max(1000, timeoutMs),
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
    });
    this.client.defineCommand('tidewayTokenBucket', { numberOfKeys: 1, lua: TOKEN_BUCKET_LUA });
    this.client.on('error', (err: Error) => this.failed(err));
  }

  async tokenBucket(key: string, requestsPerSecond: number, burst: number): Promise<[allowed: boolean, remaining: number, retryAfterMs: number, resetMs: number]> {
    let result: [number, number, number, number];
    try {
      result = await (this.client as unknown as { tidewayTokenBucket: TokenBucketCommand }).tidewayTokenBucket(key, requestsPerSecond, burst);
    } catch (err) {
      this.failed(err as Error);
      throw err;
    }
    if (this.failing) {
      this.failing = false;
      this.env.log('info', 'redis for rate limiting is answering again', { redis: this.target });
    }
    return [result[0] === 1, result[1], result[2], result[3]];
  }

  private failed(err: Error): void {
    this.failing = true;
    const now = performance.now();
    if (now - this.lastFailureLogMs < FAILURE_LOG_INTERVAL_MS) {
      this.suppressed++;
      return;
    }
    this.env.log('warn', 'redis for rate limiting failed; the failure mode of each rate limit applies', { redis: this.target, error: err.message, suppressed: this.suppressed });
    this.lastFailureLogMs = now;
    this.suppressed = 0;
  }

  close(): void {
    this.client.disconnect();
  }
}
