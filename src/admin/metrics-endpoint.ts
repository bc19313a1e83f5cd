// GET /metrics in Prometheus text format (docs/metrics.md).
//   "single":  one process runs everything (--workers 1): both registries of its GatewayMetrics.
//   "primary": node:cluster primary: its own control-plane metrics (snapshots, diagnostics, watches)
//              followed by the data-plane metrics of all workers, summed by prom-client's
//              AggregatorRegistry (each worker calls serveWorkerMetrics()).
import { Registry } from 'prom-client';
import { workersMetricsText, type GatewayMetrics } from '../observability/index.ts';
import type { AdminHandler } from './server.ts';

export type MetricsMode = 'single' | 'primary';

export function metricsHandler(metrics: GatewayMetrics, mode: MetricsMode): AdminHandler {
  const contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  if (mode === 'single') return async () => ({ status: 200, contentType, body: await metrics.text() });
  return async () => {
    const [own, workers] = await Promise.all([metrics.controlPlane.metrics(), workersMetricsText()]);
    return { status: 200, contentType, body: workers === '' ? own : `${own}\n${workers}` };
  };
}
