// Turns route tables as data into what a worker serves: the compiled matcher with each route's backend
// runtime (connection pools resolved) and middleware chain attached. A whole table is compiled
// (buildSnapshot); a delta patches the table served (patchSnapshot): only the hosts it names, and the
// hosts whose backend runtime had to be replaced, are compiled again, and an endpoint change updates its
// backend's runtime in place without compiling any route. Pools outlive both (see UpstreamRegistry).
import { RouteTable, type RouteSpec, type RouteTableSpec, type TablePatch } from '../routing/index.ts';
import type { RouteRuntime } from '../proxy/route-runtime.ts';
import type { UpstreamRegistry } from '../upstream/registry.ts';
import type { SnapshotChains } from '../middleware/index.ts';
import type { SpecDelta } from './spec-delta.ts';

/** Chains of a snapshot; routes without middlewares get none (null) and pay nothing for the layer. */
export type ChainSource = Pick<SnapshotChains, 'chainFor'>;

const NO_CHAINS: ChainSource = { chainFor: () => null };

function attacher(registry: UpstreamRegistry, chains: ChainSource): (route: RouteSpec) => RouteRuntime {
  const backends = registry.backends;
  return (route) => ({
    backend: route.backend === null ? null : backends.get(route.backend) ?? null,
    options: route.options,
    chain: chains.chainFor(route.middlewares),
    backends,
  });
}

export function buildSnapshot(spec: RouteTableSpec, registry: UpstreamRegistry, chains: ChainSource = NO_CHAINS): RouteTable<RouteRuntime> {
  registry.prepare(spec.backends);
  return RouteTable.compile(spec, attacher(registry, chains));
}

/** The next version of `table` (a new table; `table` stays as it was for the requests still reading it). */
export function patchSnapshot(table: RouteTable<RouteRuntime>, delta: SpecDelta, registry: UpstreamRegistry, chains: ChainSource = NO_CHAINS): RouteTable<RouteRuntime> {
  const replaced = registry.update(delta.backends, delta.removedBackends);
  const patch: TablePatch = { version: delta.version, hosts: delta.hosts, removedHosts: delta.removedHosts };
  if (delta.defaultRoute !== undefined) patch.defaultRoute = delta.defaultRoute;
  return table.patch(replaced.size === 0 ? patch : withRoutesOf(table, replaced, patch), attacher(registry, chains));
}

const usesAny = (route: RouteSpec, keys: ReadonlySet<string>): boolean => route.backend !== null && keys.has(route.backend);

/**
 * `patch` plus the untouched hosts (and default route) whose routes use a backend whose runtime was
 * replaced (its protocol or TLS settings changed, a rare event): their routes hold the old one.
 */
function withRoutesOf(table: RouteTable<RouteRuntime>, keys: ReadonlySet<string>, patch: TablePatch): TablePatch {
  const named = new Set([...patch.hosts.map((h) => h.host), ...patch.removedHosts]);
  const hosts = [...patch.hosts];
  for (const group of table.hosts()) {
    if (!named.has(group.host) && group.routes.some((route) => usesAny(route.spec, keys))) hosts.push({ host: group.host, routes: group.routes.map((route) => route.spec) });
  }
  const result: TablePatch = { ...patch, hosts };
  if (patch.defaultRoute === undefined && table.defaultRoute !== null && usesAny(table.defaultRoute.spec, keys)) result.defaultRoute = table.defaultRoute.spec;
  return result;
}

/** Marks the chains `table` still serves as used by the snapshot being built (their shared services stay open). */
export function keepChains(table: RouteTable<RouteRuntime>, chains: Pick<SnapshotChains, 'keep'>): void {
  for (const group of table.hosts()) for (const route of group.routes) if (route.ext.chain !== null) chains.keep(route.ext.chain);
  if (table.defaultRoute?.ext.chain) chains.keep(table.defaultRoute.ext.chain);
}

export function emptyTableSpec(): RouteTableSpec {
  return { version: 0, hosts: [], defaultRoute: null, backends: {}, certificates: [] };
}
