// What a compiled route table serves, as plain data, to compare a table patched delta by delta with one
// compiled from scratch: every host's routes, the default route, the backends with their endpoints, which
// route each probe request matches, and the routes whose backend runtime is not the registry's current one.
import type { RouteTable } from '../../src/routing/index.ts';
import type { RouteRuntime } from '../../src/proxy/route-runtime.ts';
import type { UpstreamRegistry } from '../../src/upstream/registry.ts';

export function tableView(table: RouteTable<RouteRuntime>, registry: UpstreamRegistry, probes: readonly [host: string, path: string][]) {
  const hosts = [...table.hosts()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const routes = table.routes();
  return {
    version: table.version,
    hosts: hosts.map((group) => ({ host: group.host, routes: group.routes.map((route) => route.spec) })),
    defaultRoute: table.defaultRoute?.spec ?? null,
    backends: [...registry.backends].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, runtime]) => ({ key, spec: runtime.spec, endpoints: runtime.endpoints.map((e) => e.spec) })),
    staleBackends: routes.filter((route) => route.ext.backend !== (route.spec.backend === null ? null : registry.backends.get(route.spec.backend) ?? null)).map((route) => route.spec.id),
    matches: probes.map(([host, path]) => table.match(host === '' ? undefined : host, path)?.spec.id ?? null),
  };
}
