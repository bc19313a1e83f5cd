// `tideway check [flags] <file-or-dir>...`: reads manifests once, translates them exactly as the
// gateway would, prints the route table and every diagnostic, and exits 1 when any diagnostic is an
// error (0 otherwise, 2 for usage errors and unreadable paths), so that manifests can be validated
// before `kubectl apply` or in CI.
import { parseArgs } from 'node:util';
import { ObjectStore } from '../store/index.ts';
import { startFileSource, ManifestPathError } from '../sources/files/index.ts';
import { translate, DEFAULT_ROUTE_OPTIONS } from '../translate/index.ts';
import { CONTROLLER_NAME, DEFAULT_INGRESS_CLASS } from '../kube/constants.ts';
import { formatDiagnostic, type Diagnostic } from '../kube/diagnostic.ts';
import type { BackendSpec, RouteSpec, RouteTableSpec } from '../routing/index.ts';

export const CHECK_USAGE = `Usage: tideway check [flags] <file-or-dir>...

Validates Kubernetes manifests offline: prints the routes Tideway would serve and every diagnostic.
Exit status: 0 no error (warnings allowed), 1 at least one error, 2 usage error or unreadable path.

Flags:
  --ingress-class <name>     IngressClass name to serve (default $TIDEWAY_INGRESS_CLASS or ${DEFAULT_INGRESS_CLASS})
  --allow-cross-namespace    let Ingresses reference Middlewares and Secrets of other namespaces
  --help                     print this help`;

const CHECK_FLAGS = {
  'ingress-class': { type: 'string' },
  'allow-cross-namespace': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

function endpointText(backend: BackendSpec): string {
  if (backend.endpoints.length === 0) return 'no endpoints (503)';
  return backend.endpoints.map((e) => `${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port}${e.ready ? '' : ' (terminating)'}`).join(', ');
}

function routeLine(route: RouteSpec, table: RouteTableSpec, hostColumn: string): string {
  const backend = route.backend === null ? undefined : table.backends[route.backend];
  const target = backend === undefined
    ? 'no backend (503)'
    : `${backend.namespace}/${backend.service}:${backend.servicePort} ${backend.protocol} -> ${endpointText(backend)}`;
  const path = route.kind === 'Regex' ? `~${route.path}` : route.path || '/';
  const middlewares = route.middlewares.length === 0 ? '' : `  [${route.middlewares.map((m) => m.type).join(', ')}]`;
  return `  ${hostColumn.padEnd(28)} ${path.padEnd(24)} ${route.kind.padEnd(7)} ${route.namespace}/${route.ingress}  ${target}${middlewares}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The report check prints: the route table, the diagnostics and a summary line. */
export function formatCheckReport(table: RouteTableSpec, diagnostics: readonly Diagnostic[]): string {
  const out: string[] = ['Routes:'];
  let routes = 0;
  for (const host of table.hosts) {
    for (const route of host.routes) {
      out.push(routeLine(route, table, route.host || '*'));
      routes++;
    }
  }
  if (table.defaultRoute) {
    out.push(routeLine(table.defaultRoute, table, '(default backend)'));
    routes++;
  }
  if (routes === 0) out.push('  (none)');
  out.push('', diagnostics.length === 0 ? 'No diagnostics.' : 'Diagnostics:');
  for (const d of diagnostics) out.push(`  ${d.severity.padEnd(7)} ${formatDiagnostic(d)}`);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  out.push('', `${plural(routes, 'route')}, ${plural(errors, 'error')}, ${plural(diagnostics.length - errors, 'warning')}.`);
  return `${out.join('\n')}\n`;
}

export async function runCheck(argv: string[]): Promise<number> {
  let values: { 'ingress-class'?: string; 'allow-cross-namespace'?: boolean; help?: boolean };
  let paths: string[];
  try {
    ({ values, positionals: paths } = parseArgs({ args: argv, options: CHECK_FLAGS, allowPositionals: true, strict: true }));
  } catch (error) {
    process.stderr.write(`tideway check: ${(error as Error).message}\n\n${CHECK_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${CHECK_USAGE}\n`);
    return 0;
  }
  if (paths.length === 0) {
    process.stderr.write(`tideway check: no manifest file or directory given\n\n${CHECK_USAGE}\n`);
    return 2;
  }
  const store = new ObjectStore();
  try {
    const source = await startFileSource(paths, store, () => {}, { pollIntervalMs: 0, watch: false });
    await source.ready;
    await source.close();
  } catch (error) {
    if (error instanceof ManifestPathError) {
      process.stderr.write(`tideway check: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { table, diagnostics } = translate(store.state(), {
    ingressClass: values['ingress-class'] ?? process.env.TIDEWAY_INGRESS_CLASS ?? DEFAULT_INGRESS_CLASS,
    controllerName: CONTROLLER_NAME,
    allowCrossNamespace: values['allow-cross-namespace'] === true,
    defaults: DEFAULT_ROUTE_OPTIONS,
  });
  process.stdout.write(formatCheckReport(table, diagnostics));
  return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}
