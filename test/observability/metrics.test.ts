// GatewayMetrics: what finished requests and control-plane events turn into, read back from the
// Prometheus text a scrape gets.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayMetrics } from '../../src/observability/index.ts';
import { parseExposition, valueOf, find, type Exposition } from './exposition.ts';
import { record, route } from './records.ts';

async function scrape(metrics: GatewayMetrics): Promise<Exposition> {
  return parseExposition(await metrics.text());
}

describe('request metrics', () => {
  const web = route('shop', 'web', 'web-svc');

  test('tideway_requests_total counts by namespace, ingress, service, method and code', async () => {
    const metrics = new GatewayMetrics();
    metrics.onRequestEnd(record({ route: web }));
    metrics.onRequestEnd(record({ route: web }));
    metrics.onRequestEnd(record({ route: web, method: 'POST', status: 201 }));
    const e = await scrape(metrics);
    assert.equal(e.types.get('tideway_requests_total'), 'counter');
    assert.equal(valueOf(e, 'tideway_requests_total', { namespace: 'shop', ingress: 'web', service: 'web-svc', method: 'GET', code: '200' }), 2);
    assert.equal(valueOf(e, 'tideway_requests_total', { method: 'POST', code: '201' }), 1);
    for (const sample of find(e, 'tideway_requests_total')) assert.deepEqual(Object.keys(sample.labels).sort(), ['code', 'ingress', 'method', 'namespace', 'service']);
  });

  test('labels stay bounded: no path or client address, unknown methods become "other"', async () => {
    const metrics = new GatewayMetrics();
    for (const method of ['get', 'FOO', 'PROPFIND', 'GET ']) metrics.onRequestEnd(record({ route: web, method, path: `/u/${method}`, clientAddress: `198.51.100.${method.length}` }));
    const e = await scrape(metrics);
    assert.equal(valueOf(e, 'tideway_requests_total', { method: 'other' }), 4);
    const text = await metrics.text();
    assert.ok(!text.includes('/u/'), 'a request path leaked into a label');
    assert.ok(!text.includes('198.51.100'), 'a client address leaked into a label');
  });

  test('a status outside 100..999 is counted as code "0" instead of minting label values', async () => {
    const metrics = new GatewayMetrics();
    metrics.onRequestEnd(record({ route: web, status: 1234 }));
    metrics.onRequestEnd(record({ route: web, status: -1 }));
    assert.equal(valueOf(await scrape(metrics), 'tideway_requests_total', { code: '0' }), 2);
  });

  test('requests without a route have empty route labels', async () => {
    const metrics = new GatewayMetrics();
    metrics.onRequestEnd(record({ status: 404, error: 'no-route' }));
    const e = await scrape(metrics);
    assert.equal(valueOf(e, 'tideway_requests_total', { namespace: '', ingress: '', service: '', code: '404' }), 1);
    assert.equal(valueOf(e, 'tideway_request_errors_total', { namespace: '', error: 'no-route' }), 1);
  });

  test('a route whose backend did not resolve has service ""', async () => {
    const metrics = new GatewayMetrics();
    metrics.onRequestEnd(record({ route: route('shop', 'broken', null), status: 503, error: 'no-endpoint' }));
    assert.equal(valueOf(await scrape(metrics), 'tideway_requests_total', { ingress: 'broken', service: '', code: '503' }), 1);
  });

  test('tideway_request_duration_seconds: cumulative buckets per method, no code label', async () => {
    const metrics = new GatewayMetrics();
    for (const durationMs of [3, 20, 20, 700, 90_000]) metrics.onRequestEnd(record({ route: web, durationMs, status: durationMs > 1000 ? 504 : 200 }));
    const e = await scrape(metrics);
    assert.equal(e.types.get('tideway_request_duration_seconds'), 'histogram');
    const labels = { namespace: 'shop', ingress: 'web', service: 'web-svc', method: 'GET' };
    assert.equal(valueOf(e, 'tideway_request_duration_seconds_bucket', { ...labels, le: '0.005' }), 1);
    assert.equal(valueOf(e, 'tideway_request_duration_seconds_bucket', { ...labels, le: '0.025' }), 3);
    assert.equal(valueOf(e, 'tideway_request_duration_seconds_bucket', { ...labels, le: '1' }), 4);
    assert.equal(valueOf(e, 'tideway_request_duration_seconds_bucket', { ...labels, le: '60' }), 4);
    assert.equal(valueOf(e, 'tideway_request_duration_seconds_bucket', { ...labels, le: '+Inf' }), 5);
    assert.equal(valueOf(e, 'tideway_request_duration_seconds_count', labels), 5);
    assert.ok(Math.abs(valueOf(e, 'tideway_request_duration_seconds_sum', labels) - 90.743) < 1e-9);
    for (const sample of find(e, 'tideway_request_duration_seconds_bucket')) assert.equal(sample.labels.code, undefined);
  });

  test('upstream duration is observed only for requests that reached an upstream; bytes are summed', async () => {
    const metrics = new GatewayMetrics();
    metrics.onRequestEnd(record({ route: web, upstreamAddress: '10.0.0.1:8080', upstreamDurationMs: 15, bytesIn: 10, bytesOut: 500 }));
    metrics.onRequestEnd(record({ route: web, status: 503, error: 'no-endpoint', bytesIn: 5, bytesOut: 40 }));
    const e = await scrape(metrics);
    const labels = { namespace: 'shop', ingress: 'web', service: 'web-svc' };
    assert.equal(valueOf(e, 'tideway_upstream_duration_seconds_count', labels), 1);
    assert.equal(valueOf(e, 'tideway_upstream_duration_seconds_sum', labels), 0.015);
    assert.equal(valueOf(e, 'tideway_request_bytes_total', labels), 15);
    assert.equal(valueOf(e, 'tideway_response_bytes_total', labels), 540);
  });

  test('errors are counted by reason; unknown reasons become "other"', async () => {
    const metrics = new GatewayMetrics();
    for (const error of ['upstream-connect', 'upstream-connect', 'upstream-timeout', 'client-closed', 'upstream-reset', 'something-new']) {
      metrics.onRequestEnd(record({ route: web, status: 502, error }));
    }
    const e = await scrape(metrics);
    assert.equal(valueOf(e, 'tideway_request_errors_total', { error: 'upstream-connect' }), 2);
    assert.equal(valueOf(e, 'tideway_request_errors_total', { error: 'upstream-timeout' }), 1);
    assert.equal(valueOf(e, 'tideway_request_errors_total', { error: 'client-closed' }), 1);
    assert.equal(valueOf(e, 'tideway_request_errors_total', { error: 'upstream-reset' }), 1);
    assert.equal(valueOf(e, 'tideway_request_errors_total', { error: 'other' }), 1);
  });

  test('counters carry on across snapshots: a new RouteSpec object with the same labels adds to the same series', async () => {
    const metrics = new GatewayMetrics();
    metrics.onRequestEnd(record({ route: route('shop', 'web', 'web-svc') }));
    metrics.onRequestEnd(record({ route: route('shop', 'web', 'web-svc') }));
    metrics.onRequestEnd(record({ route: route('shop', 'web', 'web-svc', '/other-path') }));
    assert.equal(valueOf(await scrape(metrics), 'tideway_requests_total', { ingress: 'web', code: '200' }), 3);
  });

  test('rate limiting and retries are counted per route; retry reasons are bounded', async () => {
    const metrics = new GatewayMetrics();
    metrics.onRateLimited(web);
    metrics.onRateLimited(web);
    metrics.onUpstreamRetry(web, 'connect-refused');
    metrics.onUpstreamRetry(web, 'stale-connection');
    metrics.onUpstreamRetry(web, 'made-up' as never);
    const e = await scrape(metrics);
    assert.equal(valueOf(e, 'tideway_rate_limited_total', { ingress: 'web' }), 2);
    assert.equal(valueOf(e, 'tideway_upstream_retries_total', { reason: 'connect-refused' }), 1);
    assert.equal(valueOf(e, 'tideway_upstream_retries_total', { reason: 'stale-connection' }), 1);
    assert.equal(valueOf(e, 'tideway_upstream_retries_total', { reason: 'other' }), 1);
  });
});

describe('connection and stream gauges', () => {
  test('inc and dec move the active gauge; the total counts every open', async () => {
    const metrics = new GatewayMetrics();
    const http1 = metrics.connections('HTTP/1.1');
    assert.equal(metrics.connections('HTTP/1.1'), http1, 'one gauge per protocol');
    http1.inc();
    http1.inc();
    http1.dec();
    const ws = metrics.streams('WebSocket');
    ws.inc();
    const e = await scrape(metrics);
    assert.equal(e.types.get('tideway_active_connections'), 'gauge');
    assert.equal(valueOf(e, 'tideway_active_connections', { protocol: 'HTTP/1.1' }), 1);
    assert.equal(valueOf(e, 'tideway_connections_total', { protocol: 'HTTP/1.1' }), 2);
    assert.equal(valueOf(e, 'tideway_active_streams', { protocol: 'WebSocket' }), 1);
    assert.equal(valueOf(e, 'tideway_streams_total', { protocol: 'WebSocket' }), 1);
  });
});

describe('control-plane metrics', () => {
  test('snapshot gauges appear with the first snapshot; age follows the clock', async () => {
    let now = 1_700_000_000_000;
    const metrics = new GatewayMetrics({ now: () => now });
    assert.deepEqual(find(await scrape(metrics), 'tideway_snapshot_version'), [], 'no version sample before any snapshot');
    metrics.onSnapshot(4, 12);
    now += 2500;
    const e = await scrape(metrics);
    assert.equal(valueOf(e, 'tideway_snapshot_version'), 4);
    assert.equal(valueOf(e, 'tideway_snapshot_timestamp_seconds'), 1_700_000_000);
    assert.equal(valueOf(e, 'tideway_snapshot_age_seconds'), 2.5);
    assert.equal(valueOf(e, 'tideway_snapshot_build_duration_seconds_count'), 1);
    assert.equal(valueOf(e, 'tideway_snapshot_build_duration_seconds_bucket', { le: '0.05' }), 1);
    assert.equal(valueOf(e, 'tideway_snapshot_build_duration_seconds_bucket', { le: '0.01' }), 0);
  });

  test('diagnostics gauges are replaced by each new set', async () => {
    const metrics = new GatewayMetrics();
    const d = (severity: 'error' | 'warning', reason: string) => ({ severity, kind: 'Ingress', object: 'shop/web', field: 'spec', message: 'm', reason });
    metrics.onDiagnostics([d('error', 'ServiceNotFound'), d('error', 'ServiceNotFound'), d('warning', 'PathConflict')]);
    let e = await scrape(metrics);
    assert.equal(valueOf(e, 'tideway_diagnostics', { severity: 'error', kind: 'Ingress', reason: 'ServiceNotFound' }), 2);
    assert.equal(valueOf(e, 'tideway_diagnostics', { reason: 'PathConflict' }), 1);
    metrics.onDiagnostics([d('warning', 'PathConflict')]);
    e = await scrape(metrics);
    assert.deepEqual(find(e, 'tideway_diagnostics', { reason: 'ServiceNotFound' }), [], 'a fixed problem disappears');
    assert.equal(valueOf(e, 'tideway_diagnostics', { reason: 'PathConflict' }), 1);
  });

  test('watch restarts are counted by resource', async () => {
    const metrics = new GatewayMetrics();
    metrics.onWatchRestart('ingresses');
    metrics.onWatchRestart('ingresses');
    metrics.onWatchRestart('endpointslices');
    const e = await scrape(metrics);
    assert.equal(valueOf(e, 'tideway_kube_watch_restarts_total', { resource: 'ingresses' }), 2);
    assert.equal(valueOf(e, 'tideway_kube_watch_restarts_total', { resource: 'endpointslices' }), 1);
  });

  test('control-plane and data-plane metrics live in separate registries', async () => {
    const metrics = new GatewayMetrics();
    metrics.onSnapshot(1, 1);
    metrics.onRequestEnd(record());
    const control = parseExposition(await metrics.controlPlane.metrics());
    const data = parseExposition(await metrics.dataPlane.metrics());
    assert.ok(control.types.has('tideway_snapshot_version') && !control.types.has('tideway_requests_total'));
    assert.ok(data.types.has('tideway_requests_total') && !data.types.has('tideway_snapshot_version'));
  });

  test('processMetrics adds the Node process metrics to the data plane', async () => {
    const metrics = new GatewayMetrics({ processMetrics: true });
    const e = parseExposition(await metrics.dataPlane.metrics());
    assert.ok(e.types.has('process_cpu_user_seconds_total'));
    assert.ok(!(await scrape(new GatewayMetrics())).types.has('process_cpu_user_seconds_total'), 'off by default');
  });
});

describe('live rates for /api/stats', () => {
  const at = (second: number) => second * 1000;

  test('requests and 5xx per second over the last 10 s, per route, plus unrouted and total', () => {
    let now = at(1000);
    const metrics = new GatewayMetrics({ now: () => now });
    const web = route('shop', 'web', 'web-svc');
    const api = route('shop', 'api', 'api-svc', '/api');
    for (let i = 0; i < 30; i++) metrics.onRequestEnd(record({ route: web, startTime: at(995) + i * 100, durationMs: 5 }));
    for (let i = 0; i < 5; i++) metrics.onRequestEnd(record({ route: api, startTime: at(999), durationMs: 1, status: 502, error: 'upstream-connect' }));
    metrics.onRequestEnd(record({ startTime: at(999), durationMs: 1, status: 404, error: 'no-route' }));
    now = at(1000) + 400;
    const stats = metrics.stats();
    assert.equal(stats.windowSeconds, 10);
    assert.deepEqual(stats.routes.map((r) => [r.id, r.requestsPerSecond, r.errorsPerSecond]), [[api.id, 0.5, 0.5], [web.id, 3, 0]]);
    assert.equal(stats.routes[1]!.host, web.host);
    assert.equal(stats.routes[1]!.pathType, 'Prefix');
    assert.deepEqual(stats.unrouted, { requestsPerSecond: 0.1, errorsPerSecond: 0 });
    assert.deepEqual(stats.total, { requestsPerSecond: 3.6, errorsPerSecond: 0.5 });
  });

  test('requests older than the window no longer count; an idle route leaves the report and comes back', () => {
    let now = at(2000);
    const metrics = new GatewayMetrics({ now: () => now });
    const web = route('shop', 'web', 'web-svc');
    metrics.onRequestEnd(record({ route: web, startTime: at(2000), durationMs: 0 }));
    assert.equal(metrics.stats().routes.length, 1);
    now = at(2011);
    assert.deepEqual(metrics.stats().routes, [], 'idle for a whole window');
    metrics.onRequestEnd(record({ route: web, startTime: at(2011), durationMs: 0 }));
    assert.deepEqual(metrics.stats().routes.map((r) => r.requestsPerSecond), [0.1]);
  });
});
