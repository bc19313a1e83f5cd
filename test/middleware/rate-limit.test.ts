import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { LocalTokenBuckets } from '../../src/middleware/builtin/token-bucket.ts';
import { closedPort } from '../support/ports.ts';
import { RedisServer } from '../support/redis.ts';
import { fakeUpstream, run, type TestRequest } from '../support/context.ts';
import { chainOf, configError, recordingEnv } from './helpers.ts';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('LocalTokenBuckets', () => {
  it('allows the burst, refuses with the time until the next token, refills at the rate', () => {
    let now = 0;
    const buckets = new LocalTokenBuckets(2, 3, 100, () => now);
    const take = () => ({ ...buckets.take('k') });
    assert.deepEqual(take(), { allowed: true, granted: 1, remaining: 2, retryAfterMs: 0, resetMs: 500 });
    take();
    assert.deepEqual(take(), { allowed: true, granted: 1, remaining: 0, retryAfterMs: 0, resetMs: 1500 });
    assert.deepEqual(take(), { allowed: false, granted: 0, remaining: 0, retryAfterMs: 500, resetMs: 1500 });
    now = 250;
    assert.equal(take().retryAfterMs, 250);
    now = 500;
    assert.equal(take().allowed, true);
    now = 100_000;
    assert.deepEqual(take(), { allowed: true, granted: 1, remaining: 2, retryAfterMs: 0, resetMs: 500 }, 'never more than the burst');
  });

  it('drops idle buckets and stays within maxKeys under pressure', () => {
    let now = 0;
    const buckets = new LocalTokenBuckets(1, 1, 50, () => now);
    for (let i = 0; i < 50; i++) buckets.take(`idle-${i}`);
    now = 10_000; // every bucket has refilled: they are the same as no bucket
    buckets.take('new');
    assert.equal(buckets.size, 1);
    for (let i = 0; i < 500; i++) buckets.take(`busy-${i}`);
    assert.ok(buckets.size <= 50, `size ${buckets.size}`);
  });
});

describe('rate-limit (local)', () => {
  it('429 with Retry-After and RateLimit headers once the burst is spent; headers on allowed answers too', async () => {
    const chain = chainOf('rate-limit', { requestsPerSecond: 1, burst: 2, scope: 'test-a' });
    const upstream = fakeUpstream();
    const first = await run(chain, {}, upstream);
    assert.deepEqual([first.header('ratelimit-limit'), first.header('ratelimit-remaining')], ['2', '1']);
    const second = await run(chain, {}, upstream);
    assert.equal(second.header('ratelimit-remaining'), '0');
    const third = await run(chain, {}, upstream);
    assert.equal(third.response!.status, 429);
    assert.equal(third.answerBody, '429 Too Many Requests\n');
    assert.equal(third.header('retry-after'), '1');
    assert.deepEqual([third.header('ratelimit-limit'), third.header('ratelimit-remaining'), third.header('ratelimit-reset')], ['2', '0', '2']);
    assert.equal(upstream.calls.length, 2);
  });

  it('keys: one bucket per client address, per header value, per host or per route', async () => {
    const cases: [Record<string, unknown>, TestRequest, TestRequest][] = [
      [{ key: 'client-ip' }, { clientAddress: '10.0.0.1' }, { clientAddress: '10.0.0.2' }],
      [{ key: 'header:X-Api-Key' }, { headers: { 'x-api-key': 'a' } }, { headers: { 'x-api-key': 'b' } }],
      [{ key: 'host' }, { authority: 'a.test' }, { authority: 'b.test' }],
      [{ key: 'route' }, { route: { id: 'r1' } }, { route: { id: 'r2' } }],
    ];
    for (const [i, [config, one, other]] of cases.entries()) {
      const chain = chainOf('rate-limit', { requestsPerSecond: 0.01, burst: 1, scope: `keys-${i}`, ...config });
      assert.equal((await run(chain, one)).response!.status, 200);
      assert.equal((await run(chain, one)).response!.status, 429, JSON.stringify(config));
      assert.equal((await run(chain, other)).response!.status, 200, JSON.stringify(config));
    }
  });

  it('buckets survive a configuration reload (same scope and settings, shared through env)', async () => {
    const env = recordingEnv();
    const config = { requestsPerSecond: 0.01, burst: 1, scope: 'Ingress shop/web' };
    assert.equal((await run(chainOf('rate-limit', config, env))).response!.status, 200);
    assert.equal((await run(chainOf('rate-limit', config, env))).response!.status, 429, 'the rebuilt chain finds the same bucket');
    assert.equal((await run(chainOf('rate-limit', { ...config, scope: 'Ingress shop/other' }, env))).response!.status, 200, 'another owner, another bucket');
  });

  it('rejects bad configuration naming the field', () => {
    assert.equal(configError('rate-limit', {}), 'requestsPerSecond: is required');
    assert.equal(configError('rate-limit', { requestsPerSecond: 0 }), 'requestsPerSecond: must be at least 0.001, got 0');
    assert.equal(configError('rate-limit', { requestsPerSecond: '5' }), 'requestsPerSecond: must be a number, got string "5"');
    assert.equal(configError('rate-limit', { requestsPerSecond: 5, burst: 1.5 }), 'burst: must be a whole number, got 1.5');
    assert.equal(configError('rate-limit', { requestsPerSecond: 5, key: 'cookie:x' }), 'key: "cookie:x" is not "client-ip", "host", "route" or "header:<Name>"');
    assert.equal(configError('rate-limit', { requestsPerSecond: 5, key: 'header:' }), 'key: "header:" is not "client-ip", "host", "route" or "header:<Name>"');
    assert.equal(configError('rate-limit', { requestsPerSecond: 5, store: 'redis' }), 'redis: is required when store is "redis"');
    assert.equal(configError('rate-limit', { requestsPerSecond: 5, redis: { url: 'redis://x' } }), 'redis: is only used with store: redis');
    assert.equal(configError('rate-limit', { requestsPerSecond: 5, store: 'redis', redis: { url: 'http://x' } }), 'redis.url: must be a redis:// or rediss:// URL, got "http://x"');
    assert.equal(configError('rate-limit', { requestsPerSecond: 5, store: 'redis', redis: { url: 'redis://x', db: 1 } }), 'redis.db: unknown field');
    assert.equal(configError('rate-limit', { requestsPerSecond: 5, failureMode: 'maybe' }), 'failureMode: must be one of "open", "closed", got string "maybe"');
  });
});

describe('rate-limit (redis)', () => {
  let redis: RedisServer;
  const envs: ReturnType<typeof recordingEnv>[] = [];
  const newEnv = () => {
    const env = recordingEnv();
    envs.push(env);
    return env;
  };
  const redisConfig = (extra: Record<string, unknown> = {}) => ({ requestsPerSecond: 0.01, burst: 3, store: 'redis', redis: { url: redis.url }, scope: 'shop/limits', ...extra });

  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    for (const env of envs) await env.close();
    await redis.kill();
  });

  it('one budget shared by every replica, decided atomically in Redis, with keys that expire', async () => {
    // Two environments stand for two gateway replicas, each with its own Redis connection.
    const replicas = [chainOf('rate-limit', redisConfig(), newEnv()), chainOf('rate-limit', redisConfig(), newEnv())];
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await run(replicas[i % 2]!, { clientAddress: '10.9.9.9' })).response!.status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const refused = await run(replicas[0]!, { clientAddress: '10.9.9.9' });
    assert.ok(Number(refused.header('retry-after')) >= 99, 'a token every 100 s');
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('tideway:rl:*');
      assert.equal(keys.length, 1);
      const ttl = await client.pttl(keys[0]!);
      assert.ok(ttl > 0 && ttl <= 301_000, `ttl ${ttl}`);
    } finally {
      client.disconnect();
    }
  });

  it('refills at the configured rate', async () => {
    const chain = chainOf('rate-limit', redisConfig({ requestsPerSecond: 20, burst: 1, scope: 'refill' }), newEnv());
    assert.equal((await run(chain)).response!.status, 200);
    assert.equal((await run(chain)).response!.status, 429);
    await until('a new token', async () => (await run(chain)).response!.status === 200, 2000);
  });

  it('when Redis dies: failureMode open lets requests through, closed answers 503; both recover when it is back', async () => {
    const env = newEnv();
    const open = chainOf('rate-limit', redisConfig({ scope: 'outage', burst: 1000, failureMode: 'open' }), env);
    const closed = chainOf('rate-limit', redisConfig({ scope: 'outage', burst: 1000, failureMode: 'closed' }), env);
    assert.equal((await run(open)).header('ratelimit-limit'), '1000');
    assert.equal((await run(closed)).response!.status, 200);

    const port = redis.port;
    await redis.kill();
    const upstream = fakeUpstream();
    const passed = await run(open, {}, upstream);
    assert.equal(passed.response!.status, 200);
    assert.equal(passed.header('ratelimit-limit'), undefined, 'no decision, no headers');
    const refused = await run(closed, {}, upstream);
    assert.equal(refused.response!.status, 503);
    assert.equal(refused.logFields.denied, 'rate-limit-unavailable');
    assert.equal(upstream.calls.length, 1);
    assert.ok(env.logs.some((l) => l.level === 'warn' && /redis for rate limiting failed/.test(l.message)));

    redis = await RedisServer.start(port);
    await until('redis decisions again', async () => (await run(closed)).response!.status === 200);
    assert.equal((await run(open)).header('ratelimit-limit'), '1000');
    assert.ok(env.logs.some((l) => l.level === 'info' && /answering again/.test(l.message)));
  });

  it('a Redis that never answered: closed fails within the timeout', async () => {
    const chain = chainOf('rate-limit', { requestsPerSecond: 1, store: 'redis', redis: { url: `redis://127.0.0.1:${await closedPort()}` }, failureMode: 'closed', redisTimeout: '100ms' }, newEnv());
    const started = Date.now();
    assert.equal((await run(chain)).response!.status, 503);
    assert.ok(Date.now() - started < 2000);
  });
});
