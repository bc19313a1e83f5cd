// Per-request counters keyed without building label strings on the request path.
//
// A route's label values (namespace, ingress, service) are resolved once per RouteSpec object (a
// WeakMap, so old snapshots' specs can be collected) and point at a RouteSeries shared by every route
// with the same label values, in this snapshot and the next ones: counters never restart on a reload.
// Within a RouteSeries, (method, status) is one small integer key.
import { HistogramData } from './collected-metric.ts';
import { RateWindow } from './rate-window.ts';
import type { RouteSpec } from '../routing/spec.ts';

/** Standard methods keep their name; anything else is "other", so a client cannot mint label values. */
export const METHOD_LABELS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE', 'other'] as const;
export const METHOD_COUNT = METHOD_LABELS.length;

export function methodIndex(method: string): number {
  switch (method) {
    case 'GET': return 0;
    case 'HEAD': return 1;
    case 'POST': return 2;
    case 'PUT': return 3;
    case 'DELETE': return 4;
    case 'PATCH': return 5;
    case 'OPTIONS': return 6;
    case 'CONNECT': return 7;
    case 'TRACE': return 8;
    default: return 9;
  }
}

/** Why Tideway ended a request itself (RequestRecord.error); other values are counted as "other". */
export const KNOWN_ERRORS: ReadonlySet<string> = new Set([
  'no-route', 'no-endpoint', 'ssl-redirect', 'body-too-large', 'client-closed',
  'upstream-connect', 'upstream-timeout', 'upstream-reset', 'upstream-protocol', 'upstream-closed',
]);

/** Reasons the proxy retries an upstream request (see GatewayMetrics.onUpstreamRetry). */
export type RetryReason = 'connect-refused' | 'stale-connection' | 'next-upstream';
const KNOWN_RETRY_REASONS: ReadonlySet<string> = new Set<RetryReason>(['connect-refused', 'stale-connection', 'next-upstream']);

/** Seconds; for request and upstream durations alike. Up to 60 s: the default --proxy-read-timeout. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Count of one (method, status) pair. */
export interface CodeCount {
  readonly method: string;
  readonly code: number;
  value: number;
}

/** Everything counted for one (namespace, ingress, service) label set. */
export class RouteSeries {
  readonly labels: { namespace: string; ingress: string; service: string };
  /** Key: methodIndex * 1000 + status. */
  readonly codes = new Map<number, CodeCount>();
  /** Request duration histogram per method index, created on first use. */
  readonly durations: (HistogramData | undefined)[] = new Array(METHOD_COUNT);
  upstream: HistogramData | null = null;
  bytesIn = 0;
  bytesOut = 0;
  rateLimited = 0;
  readonly errors = new Map<string, number>();
  readonly retries = new Map<string, number>();

  constructor(namespace: string, ingress: string, service: string) {
    this.labels = { namespace, ingress, service };
  }

  count(method: number, status: number): void {
    // Status codes outside 100..999 (never sent by the proxy) collapse to 0 rather than growing the map.
    const code = status >= 100 && status <= 999 ? status : 0;
    const key = method * 1000 + code;
    const entry = this.codes.get(key);
    if (entry !== undefined) entry.value++;
    else this.codes.set(key, { method: METHOD_LABELS[method]!, code, value: 1 });
  }

  duration(method: number, seconds: number): void {
    (this.durations[method] ??= new HistogramData(DURATION_BUCKETS)).observe(seconds);
  }

  upstreamDuration(seconds: number): void {
    (this.upstream ??= new HistogramData(DURATION_BUCKETS)).observe(seconds);
  }

  error(error: string): void {
    const key = KNOWN_ERRORS.has(error) ? error : 'other';
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  retry(reason: string): void {
    const key = KNOWN_RETRY_REASONS.has(reason) ? reason : 'other';
    this.retries.set(key, (this.retries.get(key) ?? 0) + 1);
  }
}

/** What a RouteSpec object resolves to: its label set and its own request-rate window (for /api/stats). */
export interface RouteEntry {
  readonly series: RouteSeries;
  readonly window: RateWindow;
}

/** "namespace/service:port[/protocol]" (spec.ts) -> "service". */
function serviceOfBackendKey(key: string | null): string {
  if (key === null) return '';
  const slash = key.indexOf('/');
  const colon = key.indexOf(':', slash + 1);
  return key.slice(slash + 1, colon < 0 ? key.length : colon);
}

export class RouteSeriesIndex {
  /** Every label set ever seen; bounded by the Ingress objects of the cluster. */
  readonly series = new Map<string, RouteSeries>();
  /** Rate windows by route id; idle ones are dropped by pruneWindows(). */
  readonly windows = new Map<string, { route: RouteSpec; window: RateWindow }>();
  /** Requests that matched no route (404): labels all "". */
  readonly unrouted: RouteEntry;
  private readonly byRoute = new WeakMap<RouteSpec, RouteEntry>();

  constructor() {
    this.unrouted = { series: this.seriesFor('', '', ''), window: new RateWindow() };
  }

  entry(route: RouteSpec): RouteEntry {
    return this.byRoute.get(route) ?? this.intern(route);
  }

  private intern(route: RouteSpec): RouteEntry {
    const series = this.seriesFor(route.namespace, route.ingress, serviceOfBackendKey(route.backend));
    let window = this.windows.get(route.id);
    // A new snapshot brings new RouteSpec objects for the same route id: keep its window.
    if (window === undefined) this.windows.set(route.id, (window = { route, window: new RateWindow() }));
    else window.route = route;
    const entry = { series, window: window.window };
    this.byRoute.set(route, entry);
    return entry;
  }

  private seriesFor(namespace: string, ingress: string, service: string): RouteSeries {
    const key = `${namespace}\u0000${ingress}\u0000${service}`;
    let series = this.series.get(key);
    if (series === undefined) this.series.set(key, (series = new RouteSeries(namespace, ingress, service)));
    return series;
  }

  /** Forgets the rate windows of routes with no request in the last window (removed routes, mostly). */
  pruneWindows(nowSecond: number): void {
    for (const [id, listed] of this.windows) {
      if (!listed.window.idleSince(nowSecond)) continue;
      this.windows.delete(id);
      listed.window.listed = false;
    }
  }

  /** Lists a pruned window again when its route serves a request. */
  relist(route: RouteSpec, window: RateWindow): void {
    window.listed = true;
    // A newer snapshot may have listed a fresh window for this id meanwhile; that one stays.
    if (!this.windows.has(route.id)) this.windows.set(route.id, { route, window });
  }
}
