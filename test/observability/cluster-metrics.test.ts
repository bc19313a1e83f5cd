// /metrics and /api/stats in a node:cluster primary: its own control-plane metrics plus the sum of
// what real worker processes counted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import cluster, { type Worker } from 'node:cluster';
import type http from 'node:http';
import { fileURLToPath } from 'node:url';
import { GatewayMetrics, workersStats } from '../../src/observability/index.ts';
import { metricsHandler } from '../../src/admin/index.ts';
import { parseExposition, valueOf } from './exposition.ts';

const workers: Worker[] = [];

before(async () => {
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./fixtures/cluster-worker.ts', import.meta.url)), execArgv: [] });
  for (const requests of [3, 4]) {
    const worker = cluster.fork({ REQUESTS: String(requests) });
    workers.push(worker);
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (message: { type?: string }) => (message.type === 'ready' ? resolve() : reject(new Error(`unexpected ${JSON.stringify(message)}`))));
      worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
  }
});

after(async () => {
  await Promise.all(workers.map((worker) => new Promise((resolve) => {
    worker.once('exit', resolve);
    worker.kill();
  })));
});

test('the primary serves its control plane and the sum of the workers data planes', async () => {
  const metrics = new GatewayMetrics();
  metrics.onSnapshot(9, 5);
  const response = await metricsHandler(metrics, 'primary')(new URL('http://admin/metrics'), {} as http.IncomingMessage);
  assert.equal(response.status, 200);
  const e = parseExposition(String(response.body)); // also fails on a metric declared twice
  const labels = { namespace: 'shop', ingress: 'web', service: 'web-svc', method: 'GET' };
  assert.equal(valueOf(e, 'tideway_requests_total', { ...labels, code: '200' }), 5);
  assert.equal(valueOf(e, 'tideway_requests_total', { ...labels, code: '503' }), 2);
  assert.equal(valueOf(e, 'tideway_request_duration_seconds_count', labels), 7);
  assert.equal(valueOf(e, 'tideway_request_duration_seconds_bucket', { ...labels, le: '0.005' }), 7);
  assert.equal(valueOf(e, 'tideway_active_connections', { protocol: 'HTTP/1.1' }), 2);
  assert.equal(valueOf(e, 'tideway_snapshot_version'), 9, "the primary's own snapshot, not the workers' (they have none)");
});

test('the primary merges the workers live rates', async () => {
  const stats = await workersStats();
  assert.equal(stats.routes.length, 1);
  assert.equal(stats.routes[0]!.ingress, 'web');
  assert.equal(stats.routes[0]!.requestsPerSecond, 0.7);
  assert.equal(stats.routes[0]!.errorsPerSecond, 0.2);
  assert.equal(stats.total.requestsPerSecond, 0.7);
});
