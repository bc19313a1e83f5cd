// The seam between the data plane and observability: one call when a request ends, with everything an
// access log line or a metric needs. The default observer does nothing, so a gateway with logs and
// metrics off pays one no-op call per request.
import type { RouteSpec } from '../routing/spec.ts';

export interface RequestRecord {
  startTime: number; // ms since epoch
  durationMs: number;
  clientAddress: string;
  method: string;
  host: string;
  path: string;
  protocol: string; // "HTTP/1.1", "HTTP/2"
  status: number;
  bytesIn: number;
  bytesOut: number;
  route: RouteSpec | null;
  upstreamAddress: string | null;
  upstreamDurationMs: number;
  requestId: string;
  /** Why Tideway answered the request itself, when it did ("no-route", "no-endpoint", "upstream-timeout", ...). */
  error: string | null;
  /** W3C trace id when the request was traced (absent or null otherwise). */
  traceId?: string | null;
}

/** A live count (open connections, open streams). */
export interface Gauge {
  inc(): void;
  dec(): void;
}

/** Counters the data plane moves as things happen (GatewayMetrics implements them). */
export interface ProxyCounters {
  connections(protocol: string): Gauge;
  streams(protocol: string): Gauge;
  onUpstreamRetry(route: RouteSpec, reason: 'connect-refused' | 'stale-connection' | 'next-upstream'): void;
}

const NO_GAUGE: Gauge = { inc() {}, dec() {} };
export const NO_COUNTERS: ProxyCounters = { connections: () => NO_GAUGE, streams: () => NO_GAUGE, onUpstreamRetry() {} };

/** The span of one traced request (observability/tracing.ts implements it). */
export interface RequestSpan {
  readonly traceId: string;
  upstreamStart(peer?: string): string;
  upstreamEnd(status: number): void;
  end(record: RequestRecord): void;
}

export interface RequestTracerLike {
  start(method: string, host: string, path: string, traceparent: string | undefined): RequestSpan | null;
}

export interface RequestObserver {
  /** False when no observer needs records: the proxy then skips building them. */
  readonly enabled: boolean;
  onRequestEnd(record: RequestRecord): void;
}

export const NO_OBSERVER: RequestObserver = { enabled: false, onRequestEnd() {} };
