// `tideway check <file-or-dir>...`: reads manifests once, translates them exactly as the gateway would,
// prints the route table and every diagnostic, and exits 1 when any diagnostic is an error, so that
// manifests can be validated before `kubectl apply`.
import { ObjectStore } from '../store/index.ts';
import { startFileSource, ManifestPathError } from '../sources/files/index.ts';
import { translate, DEFAULT_ROUTE_OPTIONS } from '../translate/index.ts';
import { CONTROLLER_NAME, DEFAULT_INGRESS_CLASS } from '../kube/constants.ts';
import { formatDiagnostic } from '../kube/diagnostic.ts';
import type { RouteSpec, RouteTableSpec } from '../routing/index.ts';

function routeLine(route: RouteSpec, table: RouteTableSpec): string {
  const backend = route.backend === null ? null : table.backends[route.backend];
  const target = backend === undefined || backend === null
    ? 'no backend (503)'
    : `${backend.namespace}/${backend.service}:${backend.servicePort} ${backend.protocol} -> ${backend.endpoints.map((e) => `${e.address}:${e.port}${e.ready ? '' : ' (terminating)'}`).join(', ') || 'no endpoints (503)'}`;
  const host = route.host || '*';
  const path = route.kind === 'Exact' || route.kind === 'Prefix' ? route.path : `~${route.path}`;
  return `  ${host.padEnd(28)} ${path.padEnd(24)} ${route.kind.padEnd(7)} ${route.namespace}/${route.ingress}  ${target}`;
}

export async function runCheck(paths: string[]): Promise<number> {
  const ingressClass = process.env.TIDEWAY_INGRESS_CLASS ?? DEFAULT_INGRESS_CLASS;
  if (paths.length === 0) {
    process.stderr.write('usage: tideway check <file-or-dir>...\n');
    return 2;
  }
  const store = new ObjectStore();
  try {
    const source = await startFileSource(paths, store, () => {}, { pollIntervalMs: 0 });
    await source.ready;
    await source.close();
  } catch (error) {
    if (error instanceof ManifestPathError) {
      process.stderr.write(`tideway check: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { table, diagnostics } = translate(store.state(), { ingressClass, controllerName: CONTROLLER_NAME, allowCrossNamespace: false, defaults: DEFAULT_ROUTE_OPTIONS });
  const out: string[] = ['Routes:'];
  for (const host of table.hosts) for (const route of host.routes) out.push(routeLine(route, table));
  if (table.defaultRoute) out.push(routeLine(table.defaultRoute, table).replace(/^ {2}\*/, '  (default backend)'));
  if (out.length === 1) out.push('  (none)');
  out.push('', diagnostics.length === 0 ? 'No diagnostics.' : 'Diagnostics:');
  for (const d of diagnostics) out.push(`  ${d.severity.padEnd(7)} ${formatDiagnostic(d)}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}
