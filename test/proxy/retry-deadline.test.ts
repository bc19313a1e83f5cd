// Retries must not multiply the load on a sick upstream: a read timeout is not retried (a hanging
// endpoint receives each request once, and the client gets 504 when the route's read timeout ends),
// and whatever the retries, the client's wait stays within the route's read timeout.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, request, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { closedPort } from '../support/ports.ts';

/**
 * Slack over the read timeout for a loaded test machine. Request counts are what tell the behaviours
 * apart; the wait bounds only check that no request waited for a second attempt's timeout (2x).
 */
const SLACK_MS = 950;
/** Requests in flight at once: 100 sockets at once is more than the point needs on a shared CPU. */
const CONCURRENCY = 25;

describe('retries within the read timeout', () => {
  let gw: RunningGateway;
  let hanging: TestBackend;
  let hanging2: TestBackend;
  let healthy: TestBackend;
  let slowReset1: TestBackend;
  let slowReset2: TestBackend;

  before(async () => {
    hanging = await startBackend('hanging');
    hanging.handler = () => {}; // takes the request, never answers
    hanging2 = await startBackend('hanging2');
    hanging2.handler = () => {};
    healthy = await startBackend('healthy');
    // Cuts the connection 600 ms after the request arrived: a reset, which is retried.
    const cutLater = (backend: TestBackend): void => {
      backend.handler = (req) => void setTimeout(() => req.socket.destroy(), 600);
    };
    slowReset1 = await startBackend('slow-reset-1');
    slowReset2 = await startBackend('slow-reset-2');
    cutLater(slowReset1);
    cutLater(slowReset2);
    const dead = await closedPort();
    const oneSecond = { 'tideway.dev/proxy-read-timeout': '1s' };
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': [
        serviceYaml({ name: 'hang', endpoints: [['127.0.0.1', hanging.port]] }),
        serviceYaml({ name: 'hang-or-ok', endpoints: [['127.0.0.1', hanging2.port], ['127.0.0.1', healthy.port]] }),
        serviceYaml({ name: 'resets', endpoints: [['127.0.0.1', slowReset1.port], ['127.0.0.1', slowReset2.port]] }),
        serviceYaml({ name: 'refused-then-ok', endpoints: [['127.0.0.1', dead], ['127.0.0.1', healthy.port]] }),
      ].join('---\n'),
      'ing.yaml': [
        ingressYaml({ name: 'hang', host: 'hang.test', paths: [{ path: '/', service: 'hang' }], annotations: oneSecond }),
        ingressYaml({ name: 'hang-or-ok', host: 'hang-or-ok.test', paths: [{ path: '/', service: 'hang-or-ok' }], annotations: oneSecond }),
        ingressYaml({ name: 'resets', host: 'resets.test', paths: [{ path: '/', service: 'resets' }], annotations: oneSecond }),
        ingressYaml({ name: 'refused', host: 'refused.test', paths: [{ path: '/', service: 'refused-then-ok' }], annotations: oneSecond }),
      ].join('---\n'),
    });
  });
  after(async () => {
    await gw.close();
    for (const b of [hanging, hanging2, healthy, slowReset1, slowReset2]) await b.close();
  });

  async function timed(host: string, path: string): Promise<{ status: number; ms: number }> {
    const started = Date.now();
    const res = await request(gw.port, { path, headers: { host } });
    return { status: res.status, ms: Date.now() - started };
  }

  test('100 GETs to one hanging endpoint: exactly 100 reach it, each answered 504 at the read timeout', async (t) => {
    const results: { status: number; ms: number }[] = [];
    let sent = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (sent < 100) results.push(await timed('hang.test', `/r${sent++}`));
    }));
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([504]));
    const slowest = Math.max(...results.map((r) => r.ms));
    const fastest = Math.min(...results.map((r) => r.ms));
    t.diagnostic(`received ${hanging.received.length} for 100 sent; 504 after ${fastest}-${slowest} ms`);
    assert.equal(hanging.received.length, 100, 'a timed-out request was sent again');
    assert.ok(fastest >= 950, `504 before the read timeout: ${fastest} ms`);
    assert.ok(slowest < 1000 + SLACK_MS, `a client waited ${slowest} ms`);
  });

  test('a read timeout is not retried on the other endpoint either: 504, sent once', async () => {
    // Round-robin: of two requests, one starts on the hanging endpoint.
    hanging2.received.length = 0;
    healthy.received.length = 0;
    const results = await Promise.all([timed('hang-or-ok.test', '/a'), timed('hang-or-ok.test', '/b')]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 504]);
    assert.equal(hanging2.received.length, 1);
    assert.equal(healthy.received.length, 1, 'the timed-out request was sent to the healthy endpoint too');
    for (const r of results) assert.ok(r.ms < 1000 + SLACK_MS, `waited ${r.ms} ms`);
  });

  test('retries after resets stop at the read timeout: the whole wait stays within it', async () => {
    // Each attempt is cut after 600 ms: three attempts used to take 1.8 s; the second one now gets
    // only the 400 ms left of the 1 s read timeout.
    const { status, ms } = await timed('resets.test', '/x');
    assert.equal(status, 504);
    assert.ok(ms >= 950 && ms < 1000 + SLACK_MS, `waited ${ms} ms`);
    assert.equal(slowReset1.received.length + slowReset2.received.length, 2);
  });

  test('a refused connection is still retried on the other endpoint', async () => {
    for (let i = 0; i < 4; i++) {
      const { status } = await timed('refused.test', `/ok${i}`);
      assert.equal(status, 200);
    }
  });
});
