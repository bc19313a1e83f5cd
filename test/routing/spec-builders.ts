// RouteTableSpec builders for matcher tests: routes are identified by "host|kind|path" so that a
// test can say which one a request should reach without building Kubernetes objects.
import type { PathKind, RouteSpec, RouteTableSpec } from '../../src/routing/spec.ts';

export type RouteDef = [kind: PathKind, path: string] | [kind: PathKind, path: string, backend: string | null];

export function routeSpec(host: string, kind: PathKind, path: string, backend: string | null = null): RouteSpec {
  return {
    id: `${host}|${kind}|${path}`,
    namespace: 'default',
    ingress: 'test',
    host,
    path,
    kind,
    backend,
    options: { connectTimeoutMs: 5000, readTimeoutMs: 60000, maxBodyBytes: 0, sslRedirect: false, tunnelIdleTimeoutMs: 3_600_000, hsts: null },
    middlewares: [],
  };
}

/** hosts: host -> routes ("" for rules without host). */
export function tableSpec(hosts: Record<string, RouteDef[]>, defaultRoute: RouteSpec | null = null, backends: RouteTableSpec['backends'] = {}): RouteTableSpec {
  return {
    version: 7,
    hosts: Object.entries(hosts).map(([host, defs]) => ({ host, routes: defs.map(([kind, path, backend]) => routeSpec(host, kind, path, backend ?? null)) })),
    defaultRoute,
    backends,
    certificates: [],
  };
}

export const DEFAULT_ROUTE = { ...routeSpec('', 'Prefix', ''), id: 'default' };
