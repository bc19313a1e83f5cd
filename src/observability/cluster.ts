// Metrics across node:cluster workers. Workers count requests; the primary answers /metrics and
// /api/stats. For /metrics, prom-client's AggregatorRegistry asks every worker over the cluster IPC
// channel and sums what they send. /api/stats uses the same pattern with its own message types.
import cluster from 'node:cluster';
import { AggregatorRegistry, type PrometheusContentType } from 'prom-client';
import type { GatewayMetrics } from './metrics.ts';
import { mergeStats, type StatsReport } from './stats.ts';

const STATS_REQUEST = 'tideway:stats-request';
const STATS_RESPONSE = 'tideway:stats-response';

interface StatsRequest {
  type: typeof STATS_REQUEST;
  requestId: number;
}

interface StatsResponse {
  type: typeof STATS_RESPONSE;
  requestId: number;
  stats: StatsReport;
}

/**
 * In a worker: answers the primary's metric and stats requests with this worker's data plane. Call once,
 * after creating the worker's GatewayMetrics. Returns a function that stops answering stats requests.
 */
export function serveWorkerMetrics(metrics: GatewayMetrics): () => void {
  AggregatorRegistry.setRegistries([metrics.dataPlane]);
  // The constructor installs prom-client's worker-side listener (once per process); the instance is not needed.
  new AggregatorRegistry();
  const onMessage = (message: unknown): void => {
    if (!isMessage<StatsRequest>(message, STATS_REQUEST)) return;
    const response: StatsResponse = { type: STATS_RESPONSE, requestId: message.requestId, stats: metrics.stats() };
    process.send?.(response);
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

let aggregator: AggregatorRegistry<PrometheusContentType> | null = null;

/** In the primary: the data-plane metrics of every connected worker, summed, in Prometheus text format. */
export function workersMetricsText(): Promise<string> {
  aggregator ??= new AggregatorRegistry();
  return aggregator.clusterMetrics();
}

let nextStatsRequest = 0;

/**
 * In the primary: every connected worker's /api/stats report, merged. A worker that does not answer
 * within timeoutMs is left out rather than failing the dashboard.
 */
export function workersStats(timeoutMs = 1000): Promise<StatsReport> {
  const requestId = nextStatsRequest++;
  const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && w.isConnected());
  if (workers.length === 0) return Promise.resolve(mergeStats([]));
  return new Promise((resolve) => {
    const reports: StatsReport[] = [];
    const finish = (): void => {
      clearTimeout(timer);
      cluster.off('message', onMessage);
      resolve(mergeStats(reports));
    };
    const onMessage = (_worker: unknown, message: unknown): void => {
      if (!isMessage<StatsResponse>(message, STATS_RESPONSE) || message.requestId !== requestId) return;
      reports.push(message.stats);
      if (reports.length === workers.length) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    cluster.on('message', onMessage);
    const request: StatsRequest = { type: STATS_REQUEST, requestId };
    for (const worker of workers) worker!.send(request);
  });
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}
