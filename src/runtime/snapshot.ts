// Turns a translated RouteTableSpec into what a worker serves: the compiled matcher with each route's
// backend runtime (connection pools resolved) attached. Pools outlive snapshots (see UpstreamRegistry).
import { compileRouteTable, type RouteTable, type RouteTableSpec } from '../routing/index.ts';
import type { RouteRuntime } from '../proxy/route-runtime.ts';
import type { UpstreamRegistry } from '../upstream/registry.ts';
import type { SnapshotChains } from '../middleware/index.ts';

/** Chains of a snapshot; routes without middlewares get none (null) and pay nothing for the layer. */
export interface ChainSource {
  chainFor: SnapshotChains['chainFor'];
}

const NO_CHAINS: ChainSource = { chainFor: () => null };

export function buildSnapshot(spec: RouteTableSpec, registry: UpstreamRegistry, chains: ChainSource = NO_CHAINS): RouteTable<RouteRuntime> {
  const backends = registry.prepare(spec.backends);
  return compileRouteTable(spec, (route) => ({
    backend: route.backend === null ? null : backends.get(route.backend) ?? null,
    options: route.options,
    chain: chains.chainFor(route.middlewares),
    backends,
  }));
}

export function emptyTableSpec(): RouteTableSpec {
  return { version: 0, hosts: [], defaultRoute: null, backends: {}, certificates: [] };
}
