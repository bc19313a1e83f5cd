// The observability room's door: metrics, access log, tracing, application logger.
export { createLogger, silentLogger, type Logger } from './logger.ts';
export { createLineLogger, type AppLogger } from './line-logger.ts';
export { GatewayMetrics, LiveGauge, type GatewayMetricsOptions } from './metrics.ts';
export { METHOD_LABELS, KNOWN_ERRORS, type RetryReason } from './request-series.ts';
export { mergeStats, type RouteRates, type StatsReport } from './stats.ts';
export type { Rates } from './rate-window.ts';
export { serveWorkerMetrics, workersMetricsText, workersStats } from './cluster.ts';
export { AccessLog, AccessLogConfigError, parseSampleRate, type AccessLogOptions, type TracedRequestRecord } from './access-log.ts';
export { combineObservers } from './observers.ts';
export { createTracer, tracesUrl, OTEL_PACKAGES, TracingConfigError, TracingUnavailableError, type ActiveSpan, type RequestTracer, type TracingOptions } from './tracing.ts';
export { parseTraceparent, formatTraceparent, type TraceParent } from './traceparent.ts';
