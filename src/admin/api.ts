// The admin API (docs/admin-api.md): /api/routes, /api/explain, /api/diagnostics and /api/stats.
// Handlers read the current snapshot through getters, so they always answer for the table being served
// now; in a multi-process gateway the primary passes the spec it distributes (it compiles no table).
import type { RouteTableSpec } from '../routing/index.ts';
import type { Diagnostic } from '../kube/diagnostic.ts';
import type { StatsReport } from '../observability/index.ts';
import { json, type AdminResponse, type AdminServer } from './server.ts';
import { routesView } from './routes-view.ts';
import { explain, type ExplainQuery, type ExplainTable } from './explain.ts';
import type { ReportLine } from '../translate/index.ts';

export interface AdminApiSources {
  /** The routing table being served, as data (the compiled table's spec in one process; what the primary distributes). */
  spec: () => RouteTableSpec;
  /** The same table as /api/explain reads it, looked up host by host; spec() when not given. */
  explainTable?: () => ExplainTable;
  /** The diagnostics of that table's snapshot. */
  diagnostics: () => readonly Diagnostic[];
  /** Live request rates: GatewayMetrics.stats() in one process, workersStats() in a cluster primary. */
  stats: () => StatsReport | Promise<StatsReport>;
  /** The ingress-nginx migration report (docs/migrating-from-ingress-nginx.md), as `tideway check --ingress-nginx-compat` prints it. */
  ingressNginxReport?: () => readonly ReportLine[];
}

// RFC 9110 token characters.
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function badRequest(error: string): AdminResponse {
  return json(400, { error });
}

/**
 * Reads ?host=&path=&method=, and for Gateway API matches any number of header=Name:value and
 * scheme=http|https or port=N (the Gateway listener port); a string is an error message for a 400.
 */
export function parseExplainQuery(params: URLSearchParams): ExplainQuery | string {
  for (const name of ['host', 'path', 'method', 'scheme', 'port']) {
    if (params.getAll(name).length > 1) return `query parameter "${name}" is given more than once`;
  }
  const path = params.get('path');
  if (path === null || path === '') return 'query parameter "path" is required, e.g. /api/explain?host=shop.example.com&path=/cart';
  if (!path.startsWith('/')) return `path "${path}" must start with "/" (the request target as a client sends it)`;
  const method = params.get('method') ?? 'GET';
  if (!METHOD.test(method)) return `method "${method}" is not an HTTP method token`;
  const host = params.get('host') ?? '';
  if (/[\s/?#@]/.test(host)) return `host "${host}" is not a Host header value (name or name:port)`;
  const headers: [string, string][] = [];
  for (const text of params.getAll('header')) {
    const colon = text.indexOf(':');
    const name = colon > 0 ? text.slice(0, colon).trim() : '';
    if (!METHOD.test(name)) return `header "${text}" must be "Name: value"`;
    headers.push([name, text.slice(colon + 1).trim()]);
  }
  const scheme = params.get('scheme') ?? 'http';
  if (scheme !== 'http' && scheme !== 'https') return `scheme "${scheme}" must be http or https`;
  const port = params.get('port');
  if (port !== null && (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) return `port "${port}" must be a port number from 1 to 65535`;
  return { host, path, method, ...(headers.length > 0 ? { headers } : {}), ...(params.has('scheme') ? { scheme } : {}), ...(port === null ? {} : { port: Number(port) }) };
}

export function diagnosticsReport(version: number, diagnostics: readonly Diagnostic[]): { version: number; errors: number; warnings: number; diagnostics: readonly Diagnostic[] } {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return { version, errors, warnings: diagnostics.length - errors, diagnostics };
}

/** Mounts the /api/* handlers (replacing any the runtime registered before). */
export function mountAdminApi(admin: AdminServer, sources: AdminApiSources): void {
  admin.route('/api/routes', () => json(200, routesView(sources.spec())));
  admin.route('/api/explain', (url) => {
    const query = parseExplainQuery(url.searchParams);
    if (typeof query === 'string') return badRequest(query);
    return json(200, explain(sources.explainTable?.() ?? sources.spec(), sources.diagnostics(), query));
  });
  admin.route('/api/diagnostics', () => {
    const report = diagnosticsReport(sources.spec().version, sources.diagnostics());
    const lines = sources.ingressNginxReport?.();
    if (lines === undefined) return json(200, report);
    return json(200, { ...report, ingressNginx: { changesBehaviour: lines.some((l) => l.changesBehaviour), annotations: lines } });
  });
  // The version lets the dashboard poll one small endpoint and fetch /api/routes only after a change.
  admin.route('/api/stats', async () => json(200, { version: sources.spec().version, ...(await sources.stats()) }));
}
