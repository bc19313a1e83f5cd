// Turns a translated RouteTableSpec into what a worker serves: the compiled matcher with each route's
// backend runtime (connection pools resolved) attached. Pools outlive snapshots (see UpstreamRegistry).
import { compileRouteTable, type RouteTable, type RouteTableSpec } from '../routing/index.ts';
import type { RouteRuntime } from '../proxy/route-runtime.ts';
import type { UpstreamRegistry } from '../upstream/registry.ts';

export function buildSnapshot(spec: RouteTableSpec, registry: UpstreamRegistry): RouteTable<RouteRuntime> {
  const backends = registry.prepare(spec.backends);
  return compileRouteTable(spec, (route) => ({
    backend: route.backend === null ? null : backends.get(route.backend) ?? null,
    options: route.options,
    chain: null,
    backends,
  }));
}

export function emptyTableSpec(): RouteTableSpec {
  return { version: 0, hosts: [], defaultRoute: null, backends: {}, certificates: [] };
}
