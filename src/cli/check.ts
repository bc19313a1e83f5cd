// `tideway check [flags] <file-or-dir>...`: reads manifests once, translates them exactly as the
// gateway would, prints the route table and every diagnostic, and exits 1 when any diagnostic is an
// error (0 otherwise, 2 for usage errors and unreadable paths), so that manifests can be validated
// before `kubectl apply` or in CI. With --ingress-nginx-compat it also prints the ingress-nginx
// migration report and exits 1 when an annotation would behave differently under Tideway. With
// --kubeconfig it reads the objects from the cluster (one full list) instead of files.
import { parseArgs } from 'node:util';
import { ObjectStore } from '../store/index.ts';
import { startFileSource, ManifestPathError } from '../sources/files/index.ts';
import { translate, configMapReferences, DEFAULT_ROUTE_OPTIONS, secretReferences, type TranslateOptionsInput, formatMigrationReport, migrationReport, type ConditionSpec, type GatewayApiStatus } from '../translate/index.ts';
import { gatewayRouteView } from '../admin/index.ts';
import { CONTROLLER_NAME, DEFAULT_INGRESS_CLASS } from '../kube/constants.ts';
import { formatDiagnostic, type Diagnostic } from '../kube/diagnostic.ts';
import type { BackendSpec, RouteSpec, RouteTableSpec } from '../routing/index.ts';

export const CHECK_USAGE = `Usage: tideway check [flags] <file-or-dir>...
       tideway check [flags] --kubeconfig <path>

Validates Kubernetes manifests offline: prints the routes Tideway would serve and every diagnostic.
Exit status: 0 no error (warnings allowed), 1 at least one error (or, with --ingress-nginx-compat,
an ingress-nginx annotation that would behave differently), 2 usage error or unreadable path.

Flags:
  --ingress-class <name>     IngressClass name to serve (default $TIDEWAY_INGRESS_CLASS or ${DEFAULT_INGRESS_CLASS})
  --allow-cross-namespace    let Ingresses reference Middlewares and Secrets of other namespaces
  --ingress-nginx-compat     serve ingress-nginx's class too, and print the migration report
  --ingress-nginx-annotation-prefix <prefix>  ingress-nginx's annotation prefix (default nginx.ingress.kubernetes.io)
  --ingress-nginx-configmap <ns/name>  ingress-nginx's ConfigMap, whose settings become defaults
  --kubeconfig <path>        read the objects from this cluster instead of files
  --help                     print this help`;

const CHECK_FLAGS = {
  'ingress-class': { type: 'string' },
  'allow-cross-namespace': { type: 'boolean' },
  'ingress-nginx-compat': { type: 'boolean' },
  'ingress-nginx-annotation-prefix': { type: 'string' },
  'ingress-nginx-configmap': { type: 'string' },
  kubeconfig: { type: 'string' },
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
  const gateway = gatewayRouteView(route);
  const object = gateway === undefined
    ? `${route.namespace}/${route.ingress}`
    : `${gateway.object} rule ${gateway.ruleName ?? gateway.rule}${gateway.predicates.length === 0 ? '' : ` (${gateway.predicates.join(', ')})`}`;
  return `  ${hostColumn.padEnd(28)} ${path.padEnd(24)} ${route.kind.padEnd(7)} ${object}  ${target}${middlewares}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The Gateway API status a leader would write, one line per condition. */
function statusLines(status: GatewayApiStatus): string[] {
  if (status.entries.length === 0) return [];
  const out = ['', 'Gateway API status (written by the leader in a cluster):'];
  const line = (what: string, c: ConditionSpec) => `    ${what}${c.type}=${c.status} ${c.reason}${c.status === 'False' || (c.status === 'True' && (c.type === 'Conflicted' || c.type === 'PartiallyInvalid')) ? `: ${c.message}` : ''}`;
  for (const entry of status.entries) {
    out.push(`  ${entry.kind} ${entry.namespace === undefined ? '' : `${entry.namespace}/`}${entry.name}`);
    switch (entry.kind) {
      case 'GatewayClass':
        for (const c of entry.conditions) out.push(line('', c));
        out.push(`    supportedFeatures: ${entry.supportedFeatures.join(', ')}`);
        break;
      case 'Gateway':
      case 'ListenerSet':
        for (const c of entry.conditions) out.push(line('', c));
        if (entry.kind === 'Gateway' && entry.attachedListenerSets > 0) out.push(`    attachedListenerSets: ${entry.attachedListenerSets}`);
        for (const l of entry.listeners) for (const c of l.conditions) out.push(line(`listener ${l.name} (${l.attachedRoutes} routes): `, c));
        break;
      case 'BackendTLSPolicy':
        for (const ancestor of entry.ancestors) for (const c of ancestor.conditions) out.push(line(`ancestor ${ancestor.ancestorRef.namespace}/${ancestor.ancestorRef.name}: `, c));
        break;
      default:
        for (const parent of entry.parents) {
          const p = parent.parentRef;
          const kind = p.kind === 'Gateway' ? '' : `${p.kind} `;
          const name = `parent ${kind}${p.namespace}/${p.name}${p.sectionName === undefined ? '' : `/${p.sectionName}`}${p.port === undefined ? '' : `:${p.port}`}: `;
          for (const c of parent.conditions) out.push(line(name, c));
        }
    }
  }
  return out;
}

/** The report check prints: the route table, the diagnostics, the Gateway API status and a summary line. */
export function formatCheckReport(table: RouteTableSpec, diagnostics: readonly Diagnostic[], gatewayStatus: GatewayApiStatus = { entries: [] }): string {
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
  out.push(...statusLines(gatewayStatus));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  out.push('', `${plural(routes, 'route')}, ${plural(errors, 'error')}, ${plural(diagnostics.length - errors, 'warning')}.`);
  return `${out.join('\n')}\n`;
}

async function readFiles(paths: string[], store: ObjectStore): Promise<void> {
  const source = await startFileSource(paths, store, () => {}, { pollIntervalMs: 0, watch: false });
  await source.ready;
  await source.close();
}

class ClusterReadError extends Error {}

const CLUSTER_READ_TIMEOUT_MS = 30_000;

/** One full list of what the gateway reads, through the same source it runs with. */
async function readCluster(kubeconfig: string, configMap: string | undefined, options: TranslateOptionsInput, store: ObjectStore): Promise<void> {
  // Loaded only here: the Kubernetes client is large and slow to import.
  const { loadKubeConfig, KubeConfigError } = await import('../kube/client.ts');
  const { startKubernetesSource } = await import('../sources/kubernetes/index.ts');
  let kubeConfig;
  try {
    kubeConfig = await loadKubeConfig({ kubeconfig });
  } catch (error) {
    throw error instanceof KubeConfigError ? new ClusterReadError(error.message) : error;
  }
  const source = await startKubernetesSource({
    kubeConfig, namespaces: [], ...(configMap === undefined ? {} : { configMaps: [configMap] }), sink: store, log: () => {},
    secretReferences: (object) => secretReferences(object, options),
    configMapReferences,
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ClusterReadError(`the API server did not answer a full list within ${CLUSTER_READ_TIMEOUT_MS / 1000}s`)), CLUSTER_READ_TIMEOUT_MS);
  });
  try {
    await Promise.race([source.whenSynced(), timeout]);
  } finally {
    clearTimeout(timer);
    await source.close();
  }
  store.flush();
}

export async function runCheck(argv: string[]): Promise<number> {
  let values: { 'ingress-class'?: string; 'allow-cross-namespace'?: boolean; 'ingress-nginx-compat'?: boolean; 'ingress-nginx-annotation-prefix'?: string; 'ingress-nginx-configmap'?: string; kubeconfig?: string; help?: boolean };
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
  if (paths.length === 0 && values.kubeconfig === undefined) {
    process.stderr.write(`tideway check: no manifest file or directory given\n\n${CHECK_USAGE}\n`);
    return 2;
  }
  const configMap = values['ingress-nginx-configmap'];
  if (configMap !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(configMap)) {
    process.stderr.write(`tideway check: --ingress-nginx-configmap: "${configMap}" must be namespace/name\n`);
    return 2;
  }
  if (paths.length > 0 && values.kubeconfig !== undefined) {
    process.stderr.write(`tideway check: give manifest paths or --kubeconfig, not both\n\n${CHECK_USAGE}\n`);
    return 2;
  }
  const prefix = values['ingress-nginx-annotation-prefix'];
  const options = {
    ingressClass: values['ingress-class'] ?? process.env.TIDEWAY_INGRESS_CLASS ?? DEFAULT_INGRESS_CLASS,
    controllerName: CONTROLLER_NAME,
    allowCrossNamespace: values['allow-cross-namespace'] === true,
    defaults: DEFAULT_ROUTE_OPTIONS,
    ingressNginxCompat: values['ingress-nginx-compat'] === true,
    nginxConfigMap: values['ingress-nginx-configmap'] ?? null,
    ...(prefix === undefined ? {} : { nginxAnnotationPrefix: prefix.replace(/\/$/, '') }),
  };
  const store = new ObjectStore();
  try {
    if (values.kubeconfig !== undefined) await readCluster(values.kubeconfig, values['ingress-nginx-configmap'], options, store);
    else await readFiles(paths, store);
  } catch (error) {
    if (error instanceof ManifestPathError || error instanceof ClusterReadError) {
      process.stderr.write(`tideway check: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { table, diagnostics, gatewayStatus } = translate(store.state(), options);
  process.stdout.write(formatCheckReport(table, diagnostics, gatewayStatus));
  let changes = false;
  if (options.ingressNginxCompat) {
    const report = migrationReport(store.state(), options);
    process.stdout.write(`\n${formatMigrationReport(report)}`);
    changes = report.some((line) => line.changesBehaviour);
  }
  return changes || diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}
