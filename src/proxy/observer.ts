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
}

export interface RequestObserver {
  /** False when no observer needs records: the proxy then skips building them. */
  readonly enabled: boolean;
  onRequestEnd(record: RequestRecord): void;
}

export const NO_OBSERVER: RequestObserver = { enabled: false, onRequestEnd() {} };
