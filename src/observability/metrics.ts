// Prometheus metrics (docs/metrics.md). One GatewayMetrics per process: it is the proxy's
// RequestObserver for finished requests, and has one method per non-request event (connections,
// retries, rate limiting, snapshots, diagnostics, watch restarts).
//
// Two registries, because the process model splits the work: `dataPlane` holds what workers count
// (requests, connections); `controlPlane` holds what the primary knows (snapshots, diagnostics,
// Kubernetes watches). With --workers 1 one process serves both; with node:cluster the primary
// serves its control plane plus the sum of the workers' data planes (admin/metrics-endpoint.ts).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestObserver, RequestRecord } from '../proxy/observer.ts';
import type { RouteSpec } from '../routing/spec.ts';
import type { Diagnostic } from '../kube/diagnostic.ts';
import { CollectedMetric, type Sample } from './collected-metric.ts';
import { METHOD_LABELS, RouteSeriesIndex, methodIndex, type RetryReason, type RouteSeries } from './request-series.ts';
import { emptyStats, sortRoutes, type StatsReport } from './stats.ts';
import { registerEventLoopDelay } from './event-loop-delay.ts';
import { largestTunnelBuffers } from '../proxy/tunnel-buffers.ts';

export interface GatewayMetricsOptions {
  /** Adds prom-client's Node process metrics (CPU, memory, event loop lag, GC) to the data plane. */
  processMetrics?: boolean;
  /** Measures the control plane's event loop delay (default true; workers, which run no control plane, turn it off). */
  eventLoopDelay?: boolean;
  /** Wall clock in ms since the epoch; tests replace it. */
  now?: () => number;
}

/** A live count the proxy moves as connections or streams open and close. */
export class LiveGauge {
  active = 0;
  opened = 0;

  inc(): void {
    this.active++;
    this.opened++;
  }

  dec(): void {
    this.active--;
  }
}

export class GatewayMetrics implements RequestObserver {
  readonly enabled = true;
  readonly dataPlane = new Registry();
  readonly controlPlane = new Registry();
  private readonly routes = new RouteSeriesIndex();
  private readonly connectionGauges = new Map<string, LiveGauge>();
  private readonly streamGauges = new Map<string, LiveGauge>();
  private readonly now: () => number;
  private snapshot: { version: number; publishedMs: number } | null = null;
  private readonly snapshotBuild: Histogram;
  private readonly diagnostics: Gauge;
  private readonly watchRestarts: Counter;
  private readonly tablesApplied: Counter;
  private readonly hostsCompiled: Counter;

  constructor(options: GatewayMetricsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.registerRequestMetrics();
    this.registerLiveGauges();
    this.registerSnapshotMetrics();
    this.snapshotBuild = new Histogram({
      name: 'tideway_snapshot_build_duration_seconds',
      help: 'Time to translate the cluster objects into a routing snapshot',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [this.controlPlane],
    });
    this.diagnostics = new Gauge({
      name: 'tideway_diagnostics',
      help: 'Configuration problems in the current snapshot, by severity, object kind and reason',
      labelNames: ['severity', 'kind', 'reason'],
      registers: [this.controlPlane],
    });
    this.watchRestarts = new Counter({
      name: 'tideway_kube_watch_restarts_total',
      help: 'Kubernetes watch streams started again (closed, timed out, failed or expired), by resource',
      labelNames: ['resource'],
      registers: [this.controlPlane],
    });
    this.tablesApplied = new Counter({
      name: 'tideway_route_tables_applied_total',
      help: 'Route tables a data plane swapped in: compiled whole, or patched from a delta',
      labelNames: ['kind'],
      registers: [this.dataPlane],
    });
    this.hostsCompiled = new Counter({
      name: 'tideway_route_hosts_compiled_total',
      help: 'Hosts whose routes a data plane compiled (a patched table shares the others with the previous one)',
      registers: [this.dataPlane],
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.dataPlane });
    if (options.eventLoopDelay ?? true) registerEventLoopDelay(this.controlPlane);
  }

  /** The hot path: plain number updates, no label strings built (see request-series.ts). */
  onRequestEnd(record: RequestRecord): void {
    const route = record.route;
    const entry = route === null ? this.routes.unrouted : this.routes.entry(route);
    const series = entry.series;
    const method = methodIndex(record.method);
    const status = record.status;
    series.count(method, status);
    series.duration(method, record.durationMs / 1000);
    if (record.upstreamAddress !== null) series.upstreamDuration(record.upstreamDurationMs / 1000);
    series.bytesIn += record.bytesIn;
    series.bytesOut += record.bytesOut;
    if (record.error !== null) series.error(record.error);
    const window = entry.window;
    window.add(Math.floor((record.startTime + record.durationMs) / 1000), status >= 500);
    if (!window.listed && route !== null) this.routes.relist(route, window);
  }

  /** The rate-limit middleware rejected a request (429) of this route. */
  onRateLimited(route: RouteSpec): void {
    this.routes.entry(route).series.rateLimited++;
  }

  /** The proxy sent a request upstream again (another endpoint, or a fresh connection). */
  onUpstreamRetry(route: RouteSpec, reason: RetryReason): void {
    this.routes.entry(route).series.retry(reason);
  }

  /** The gauge of open client connections of a protocol ("HTTP/1.1", "HTTP/2", "TLS"...); take it once, at listener setup. */
  connections(protocol: string): LiveGauge {
    return gaugeFor(this.connectionGauges, protocol);
  }

  /** The gauge of open streams of a protocol ("HTTP/2", "WebSocket", "gRPC"); take it once, at setup. */
  streams(protocol: string): LiveGauge {
    return gaugeFor(this.streamGauges, protocol);
  }

  /** A data plane swapped in a route table, compiling `hosts` hosts for it. */
  onTableApplied(kind: 'whole' | 'delta', hosts: number): void {
    this.tablesApplied.inc({ kind });
    this.hostsCompiled.inc(hosts);
  }

  /** A routing snapshot was published; buildMs is the translate time. */
  onSnapshot(version: number, buildMs: number): void {
    this.snapshot = { version, publishedMs: this.now() };
    this.snapshotBuild.observe(buildMs / 1000);
  }

  /** The diagnostics of the current snapshot (replaces the previous set). */
  onDiagnostics(list: readonly Diagnostic[]): void {
    const counts = new Map<string, { severity: string; kind: string; reason: string; value: number }>();
    for (const d of list) {
      const key = `${d.severity}\u0000${d.kind}\u0000${d.reason}`;
      const known = counts.get(key);
      if (known) known.value++;
      else counts.set(key, { severity: d.severity, kind: d.kind, reason: d.reason, value: 1 });
    }
    this.diagnostics.reset();
    for (const { value, ...labels } of counts.values()) this.diagnostics.set(labels, value);
  }

  /** A Kubernetes watch of `resource` ("ingresses", "services", ...) was started again. */
  onWatchRestart(resource: string): void {
    this.watchRestarts.inc({ resource });
  }

  /** Request and 5xx rates per route over the last 10 s (/api/stats) of this process. */
  stats(): StatsReport {
    const nowSecond = Math.floor(this.now() / 1000);
    this.routes.pruneWindows(nowSecond);
    const report = emptyStats();
    for (const { route, window } of this.routes.windows.values()) {
      const rates = window.rates(nowSecond);
      report.total.requestsPerSecond += rates.requestsPerSecond;
      report.total.errorsPerSecond += rates.errorsPerSecond;
      report.routes.push({ id: route.id, namespace: route.namespace, ingress: route.ingress, host: route.host, path: route.path, pathType: route.kind, ...rates });
    }
    report.unrouted = this.routes.unrouted.window.rates(nowSecond);
    report.total.requestsPerSecond += report.unrouted.requestsPerSecond;
    report.total.errorsPerSecond += report.unrouted.errorsPerSecond;
    sortRoutes(report.routes);
    return report;
  }

  /** Both registries in Prometheus text format: what /metrics serves when one process does everything. */
  text(): Promise<string> {
    return Registry.merge([this.controlPlane, this.dataPlane]).metrics();
  }

  private registerRequestMetrics(): void {
    const registry = this.dataPlane;
    const seriesSamples = (pick: (series: RouteSeries, out: Sample[]) => void) => (): Sample[] => {
      const out: Sample[] = [];
      for (const series of this.routes.series.values()) pick(series, out);
      return out;
    };
    new CollectedMetric({
      name: 'tideway_requests_total',
      help: 'Requests finished, by route labels, method and status code',
      type: 'counter',
      collect: seriesSamples((series, out) => {
        for (const { method, code, value } of series.codes.values()) out.push({ labels: { ...series.labels, method, code: String(code) }, value });
      }),
    }, registry);
    new CollectedMetric({
      name: 'tideway_request_duration_seconds',
      help: 'Time from the first byte of the request to the end of the response, by route labels and method',
      type: 'histogram',
      collect: seriesSamples((series, out) => {
        series.durations.forEach((histogram, method) => histogram?.appendSamples('tideway_request_duration_seconds', { ...series.labels, method: METHOD_LABELS[method]! }, out));
      }),
    }, registry);
    new CollectedMetric({
      name: 'tideway_upstream_duration_seconds',
      help: 'Time from connecting (or taking a pooled connection) to the end of the upstream response, by route labels',
      type: 'histogram',
      collect: seriesSamples((series, out) => series.upstream?.appendSamples('tideway_upstream_duration_seconds', series.labels, out)),
    }, registry);
    const bytes = (name: string, help: string, field: 'bytesIn' | 'bytesOut') =>
      new CollectedMetric({
        name,
        help,
        type: 'counter',
        collect: seriesSamples((series, out) => {
          if (series.codes.size > 0) out.push({ labels: series.labels, value: series[field] });
        }),
      }, registry);
    bytes('tideway_request_bytes_total', 'Request body bytes received from clients, by route labels', 'bytesIn');
    bytes('tideway_response_bytes_total', 'Response bytes sent to clients (head and body), by route labels', 'bytesOut');
    new CollectedMetric({
      name: 'tideway_request_errors_total',
      help: 'Requests Tideway ended itself, by route labels and reason (no-route, no-endpoint, upstream-timeout, upstream-connect, ...)',
      type: 'counter',
      collect: seriesSamples((series, out) => {
        for (const [error, value] of series.errors) out.push({ labels: { ...series.labels, error }, value });
      }),
    }, registry);
    new CollectedMetric({
      name: 'tideway_upstream_retries_total',
      help: 'Upstream requests sent again, by route labels and reason (connect-refused, stale-connection, next-upstream)',
      type: 'counter',
      collect: seriesSamples((series, out) => {
        for (const [reason, value] of series.retries) out.push({ labels: { ...series.labels, reason }, value });
      }),
    }, registry);
    new CollectedMetric({
      name: 'tideway_rate_limited_total',
      help: 'Requests rejected by rate limiting (429), by route labels',
      type: 'counter',
      collect: seriesSamples((series, out) => {
        if (series.rateLimited > 0) out.push({ labels: series.labels, value: series.rateLimited });
      }),
    }, registry);
  }

  private registerLiveGauges(): void {
    const registry = this.dataPlane;
    const family = (gauges: Map<string, LiveGauge>, name: string, help: string, type: 'gauge' | 'counter', field: 'active' | 'opened') =>
      new CollectedMetric({ name, help, type, collect: () => [...gauges].map(([protocol, gauge]) => ({ labels: { protocol }, value: gauge[field] })) }, registry);
    family(this.connectionGauges, 'tideway_active_connections', 'Client connections open now, by protocol', 'gauge', 'active');
    family(this.connectionGauges, 'tideway_connections_total', 'Client connections accepted, by protocol', 'counter', 'opened');
    family(this.streamGauges, 'tideway_active_streams', 'Streams open now (HTTP/2 streams, WebSocket tunnels), by protocol', 'gauge', 'active');
    family(this.streamGauges, 'tideway_streams_total', 'Streams opened, by protocol', 'counter', 'opened');
    new CollectedMetric({
      name: 'tideway_tunnel_buffered_bytes', help: 'Bytes the most-buffered open tunnel (WebSocket) holds in memory now, by direction', type: 'gauge', aggregator: 'max',
      collect: () => {
        const { toUpstream, toClient } = largestTunnelBuffers();
        return [{ labels: { direction: 'to_upstream' }, value: toUpstream }, { labels: { direction: 'to_client' }, value: toClient }];
      },
    }, registry);
  }

  private registerSnapshotMetrics(): void {
    const registry = this.controlPlane;
    // No sample before the first snapshot: a 0 would read as "version 0, built at the epoch".
    const snapshotGauge = (name: string, help: string, value: (s: { version: number; publishedMs: number }) => number) =>
      new CollectedMetric({ name, help, type: 'gauge', aggregator: 'max', collect: () => (this.snapshot === null ? [] : [{ labels: {}, value: value(this.snapshot) }]) }, registry);
    snapshotGauge('tideway_snapshot_version', 'Version of the routing snapshot being served', (s) => s.version);
    snapshotGauge('tideway_snapshot_timestamp_seconds', 'When the routing snapshot being served was published (Unix time)', (s) => s.publishedMs / 1000);
    snapshotGauge('tideway_snapshot_age_seconds', 'Seconds since the routing snapshot being served was published', (s) => (this.now() - s.publishedMs) / 1000);
  }
}

function gaugeFor(gauges: Map<string, LiveGauge>, protocol: string): LiveGauge {
  let gauge = gauges.get(protocol);
  if (gauge === undefined) gauges.set(protocol, (gauge = new LiveGauge()));
  return gauge;
}
