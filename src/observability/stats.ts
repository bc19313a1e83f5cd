// The live-rate report behind /api/stats (the dashboard's request and 5xx rates per route), and how
// the primary merges the reports of its workers.
import { WINDOW_SECONDS, type Rates } from './rate-window.ts';

export interface RouteRates extends Rates {
  /** RouteSpec.id: "namespace/ingress#rule.path". */
  id: string;
  namespace: string;
  ingress: string;
  host: string;
  path: string;
  pathType: string;
}

export interface StatsReport {
  windowSeconds: number;
  /** Routes that served a request in the window, by id. */
  routes: RouteRates[];
  /** Requests no route matched (404). */
  unrouted: Rates;
  total: Rates;
}

export function emptyStats(): StatsReport {
  return { windowSeconds: WINDOW_SECONDS, routes: [], unrouted: zero(), total: zero() };
}

function zero(): Rates {
  return { requestsPerSecond: 0, errorsPerSecond: 0 };
}

function addInto(into: Rates, from: Rates): void {
  into.requestsPerSecond += from.requestsPerSecond;
  into.errorsPerSecond += from.errorsPerSecond;
}

/** Sums the reports of several processes (workers) route by route. */
export function mergeStats(reports: readonly StatsReport[]): StatsReport {
  const merged = emptyStats();
  const byId = new Map<string, RouteRates>();
  for (const report of reports) {
    addInto(merged.unrouted, report.unrouted);
    addInto(merged.total, report.total);
    for (const route of report.routes) {
      const known = byId.get(route.id);
      if (known) addInto(known, route);
      else byId.set(route.id, { ...route });
    }
  }
  merged.routes = sortRoutes([...byId.values()]);
  return merged;
}

export function sortRoutes(routes: RouteRates[]): RouteRates[] {
  return routes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
