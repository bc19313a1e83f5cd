// HTTPRoute rules[].retry through the whole gateway (files mode), after the conformance tests
// HTTPRouteRetry, HTTPRouteRetryConnectionError and HTTPRouteRetryBackendTimeout: a real backend that
// fails the first tries of each request (by status, by resetting the connection, or by answering too
// late) and then succeeds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';
import { h2Connect, h2Request } from '../protocols/support/h2.ts';
import { flakyHandler } from '../support/flaky-backend.ts';

const ref = { name: 'flaky', port: 80 };
const prefix = (value: string) => [{ path: { type: 'PathPrefix', value } }];

describe('HTTPRoute retry through the gateway (files)', () => {
  let gw: RunningGateway;
  let flaky: TestBackend;
  /** Tries seen per request id, with the time each arrived. */
  const tries = new Map<string, number[]>();
  const pendingTimers = new Set<NodeJS.Timeout>();

  before(async () => {
    flaky = await startBackend('flaky');
    flaky.handler = flakyHandler({ tries, timers: pendingTimers }, (req) => req.socket.destroy());
    gw = await startGateway({
      'svc.yaml': serviceYaml({ name: 'flaky', endpoints: [['127.0.0.1', flaky.port]] }),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'http' }])),
      'routes.yaml': yamlDocs(
        httpRoute('retries', {
          parentRefs: [{ name: 'gw' }],
          rules: [
            { matches: prefix('/code-500-attempts-3'), retry: { codes: [500], attempts: 3 }, backendRefs: [ref] },
            { matches: prefix('/code-all-attempts-2'), retry: { codes: [500, 502, 503, 504], attempts: 2 }, backendRefs: [ref] },
            { matches: prefix('/no-status-code-attempts-3'), retry: { attempts: 3 }, backendRefs: [ref] },
            { matches: prefix('/backend-request-timeout-200ms'), retry: { attempts: 2 }, timeouts: { backendRequest: '200ms' }, backendRefs: [ref] },
            { matches: prefix('/request-timeout-400ms'), retry: { codes: [500], attempts: 5 }, timeouts: { backendRequest: '200ms', request: '400ms' }, backendRefs: [ref] },
            { matches: prefix('/backoff-150ms'), retry: { codes: [500], attempts: 1, backoff: '150ms' }, backendRefs: [ref] },
            { matches: prefix('/no-retry'), backendRefs: [ref] },
          ],
        }),
        httpRoute('bad-retry', {
          parentRefs: [{ name: 'gw' }],
          hostnames: ['bad.test'],
          rules: [
            { matches: prefix('/bad'), retry: { attempts: 0, codes: [200, 'x', 502], backoff: 'soon' }, backendRefs: [ref] },
            { matches: prefix('/not-an-object'), retry: 'always', backendRefs: [ref] },
          ],
        }),
      ),
    });
  });
  after(async () => {
    for (const timer of pendingTimers) clearTimeout(timer);
    await gw?.close();
    await flaky?.close();
  });

  let nextId = 0;
  /** One request; the status and how many tries the backend saw. */
  const attempt = async (path: string, query: Record<string, string>, options: { host?: string; method?: string } = {}) => {
    const id = String(++nextId);
    const res = await request(gw.port, { method: options.method ?? 'GET', path: `${path}?${new URLSearchParams({ id, ...query })}`, headers: { host: options.host ?? 'retry.test' } });
    return { status: res.status, tries: tries.get(id)?.length ?? 0, times: tries.get(id) ?? [] };
  };

  it('retries the listed statuses up to attempts, then relays the last answer', async () => {
    assert.deepEqual(await attempt('/code-500-attempts-3', { fail: '500', succeedAfter: '2' }), { status: 200, tries: 3, times: tries.get(String(nextId)) });
    const spent = await attempt('/code-500-attempts-3', { fail: '500', succeedAfter: '4' });
    assert.deepEqual([spent.status, spent.tries], [500, 4], 'attempts counts retries: 1 + 3 tries');
    const unlisted = await attempt('/code-500-attempts-3', { fail: '503', succeedAfter: '2' });
    assert.deepEqual([unlisted.status, unlisted.tries], [503, 1], '503 is not listed: not retried');
    for (const code of ['500', '502', '503']) {
      const ok = await attempt('/code-all-attempts-2', { fail: code, succeedAfter: '1' });
      assert.deepEqual([ok.status, ok.tries], [200, 2], code);
      const failed = await attempt('/code-all-attempts-2', { fail: code, succeedAfter: '3' });
      assert.deepEqual([failed.status, failed.tries], [Number(code), 3], code);
    }
  });

  it('never replays a request that is not idempotent once it was sent', async () => {
    const post = await attempt('/code-500-attempts-3', { fail: '500', succeedAfter: '1' }, { method: 'POST' });
    assert.deepEqual([post.status, post.tries], [500, 1]);
  });

  it('retries connection resets without listed statuses, and answers 503 once attempts are spent', async () => {
    const ok = await attempt('/no-status-code-attempts-3', { fail: 'reset', succeedAfter: '2' });
    assert.deepEqual([ok.status, ok.tries], [200, 3]);
    const spent = await attempt('/no-status-code-attempts-3', { fail: 'reset', succeedAfter: '4' });
    assert.deepEqual([spent.status, spent.tries], [503, 4]);
    const status = await attempt('/no-status-code-attempts-3', { fail: '500', succeedAfter: '1' });
    assert.deepEqual([status.status, status.tries], [500, 1], 'no codes listed: statuses are relayed');
  });

  it('retries a try that outlives backendRequest, and answers 504 once attempts are spent', async () => {
    const ok = await attempt('/backend-request-timeout-200ms', { fail: '500', succeedAfter: '2', delay: '300' });
    assert.deepEqual([ok.status, ok.tries], [200, 3]);
    const spent = await attempt('/backend-request-timeout-200ms', { fail: '500', succeedAfter: '3', delay: '300' });
    assert.deepEqual([spent.status, spent.tries], [504, 3]);
  });

  it('keeps every retry within the request timeout', async () => {
    const ok = await attempt('/request-timeout-400ms', { fail: '500', succeedAfter: '1' });
    assert.deepEqual([ok.status, ok.tries], [200, 2]);
    const start = performance.now();
    const late = await attempt('/request-timeout-400ms', { fail: '500', succeedAfter: '4', delay: '100' });
    assert.equal(late.status, 504);
    assert.ok(late.tries <= 5, `${late.tries} tries`);
    assert.ok(performance.now() - start < 2000, 'answered when the request timeout ran out, not after every try');
  });

  it('waits the backoff before a retry', async () => {
    const res = await attempt('/backoff-150ms', { fail: '500', succeedAfter: '1' });
    assert.deepEqual([res.status, res.tries], [200, 2]);
    assert.ok(res.times[1]! - res.times[0]! >= 140, `retried after ${res.times[1]! - res.times[0]!} ms`);
  });

  it('retries for HTTP/2 clients too (statuses, resets, per-try timeouts)', async () => {
    const session = await h2Connect(gw.port);
    try {
      const h2 = async (path: string, query: Record<string, string>) => {
        const id = String(++nextId);
        const res = await h2Request(session, { ':path': `${path}?${new URLSearchParams({ id, ...query })}`, ':authority': 'retry.test' });
        return [res.status, tries.get(id)?.length ?? 0];
      };
      assert.deepEqual(await h2('/code-500-attempts-3', { fail: '500', succeedAfter: '2' }), [200, 3]);
      assert.deepEqual(await h2('/code-500-attempts-3', { fail: '500', succeedAfter: '4' }), [500, 4]);
      assert.deepEqual(await h2('/code-500-attempts-3', { fail: '503', succeedAfter: '1' }), [503, 1]);
      assert.deepEqual(await h2('/no-status-code-attempts-3', { fail: 'reset', succeedAfter: '2' }), [200, 3]);
      assert.deepEqual(await h2('/no-status-code-attempts-3', { fail: 'reset', succeedAfter: '4' }), [503, 4]);
      assert.deepEqual(await h2('/backend-request-timeout-200ms', { fail: '500', succeedAfter: '2', delay: '300' }), [200, 3]);
      assert.deepEqual(await h2('/backend-request-timeout-200ms', { fail: '500', succeedAfter: '3', delay: '300' }), [504, 3]);
      assert.deepEqual(await h2('/no-retry', { fail: '500', succeedAfter: '1' }), [500, 1]);
    } finally {
      session.close();
    }
  });

  it('does not retry a route without retry', async () => {
    const res = await attempt('/no-retry', { fail: '500', succeedAfter: '1' });
    assert.deepEqual([res.status, res.tries], [500, 1]);
  });

  it('reports unreadable retry fields, serves the rule with the rest and keeps the other routes serving', async () => {
    const found = gw.gateway.currentDiagnostics.filter((d) => d.object === 'default/bad-retry').map((d) => `${d.field} ${d.reason}`);
    for (const field of ['spec.rules[0].retry.attempts', 'spec.rules[0].retry.codes[0]', 'spec.rules[0].retry.codes[1]', 'spec.rules[0].retry.backoff', 'spec.rules[1].retry']) {
      assert.ok(found.includes(`${field} UnsupportedValue`), `${field} in ${found.join('; ')}`);
    }
    // attempts falls back to 2 retries, 502 is still listed, no backoff.
    const bad = await attempt('/bad', { fail: '502', succeedAfter: '2' }, { host: 'bad.test' });
    assert.deepEqual([bad.status, bad.tries], [200, 3]);
    const notRetried = await attempt('/not-an-object', { fail: '500', succeedAfter: '1' }, { host: 'bad.test' });
    assert.deepEqual([notRetried.status, notRetried.tries], [500, 1]);
    assert.equal((await attempt('/code-500-attempts-3', { fail: '500', succeedAfter: '1' })).status, 200);
  });
});
