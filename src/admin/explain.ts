// /api/explain: which route a request would take, and why. The decision itself is RouteTable.match()
// on the host groups of the table being served that the Host can select (compiled per query: a few
// routes, whatever the table's size), so the answer can never disagree with the data plane. The "why" is
// reconstructed next to it with the same matcher: which host table the Host header selects (a probe
// table with one catch-all route per host), and which other routes of that host also match the path
// (each compiled alone), with the precedence rule that made them lose (docs/routing.md).
import { compileRouteTable, hostNameEnd, type BackendSpec, type PathKind, type RouteSpec, type RouteTable, type RouteTableSpec } from '../routing/index.ts';
import type { Diagnostic } from '../kube/diagnostic.ts';
import { DEFAULT_ROUTE_OPTIONS } from '../translate/index.ts';
import { formatEndpoint, gatewayRouteView, middlewareView, serviceName, type GatewayRouteView } from './routes-view.ts';

export interface ExplainQuery {
  /** Host header as a client would send it (port allowed); "" for none. */
  host: string;
  /** Request target: path and optional query. */
  path: string;
  method: string;
  /** Request headers [name, value] (Gateway API header matches read them); none by default. */
  headers?: [string, string][];
  /** How the request arrives: "http" (default) or "https" (Gateway API listener isolation). */
  scheme?: 'http' | 'https';
  /** The Gateway listener port it arrives on (as written); default 80, or 443 with scheme https. */
  port?: number;
}

/** A route that also matched the path but did not win, and why. */
export interface CandidateView {
  route: string;
  ingress: string;
  host: string;
  path: string;
  pathType: PathKind;
  reason: string;
}

export interface ExplainResult {
  version: number;
  request: ExplainQuery;
  matched: boolean;
  /** The host table the Host header selects: a rule host, "*.suffix", "" (rules without host), or null. */
  hostTable: string | null;
  hostSelection: string;
  /** Why this route (or none) serves the request. */
  reason: string;
  route?: string;
  ingress?: string;
  path?: string;
  pathType?: PathKind;
  /** True when spec.defaultBackend serves the request. */
  defaultBackend?: boolean;
  /** "namespace/name"; null when the backend could not be resolved (the route answers 503). */
  service?: string | null;
  servicePort?: number;
  protocol?: string;
  endpoints?: string[];
  /** Other routes of the selected host table that match the path, and why they lost. */
  beat: CandidateView[];
  /** Routes of host tables the Host header did not select that match the path: never consulted. */
  notConsulted: CandidateView[];
  /** Paths not served at all because an older Ingress claims the same path (PathConflict). */
  conflicts: { object: string; field: string; message: string }[];
  /** Middlewares that run for this route, in order. */
  middlewares: { type: string; source: string }[];
  /** Diagnostics of the route's Ingress (or HTTPRoute/GRPCRoute) and of its Middleware objects. */
  diagnostics: Diagnostic[];
  /** Gateway API routes: the object, the rule (and match) that matched, and its predicates. */
  gateway?: GatewayRouteView;
}

function tableOf(hosts: RouteTableSpec['hosts']): RouteTableSpec {
  return { version: 0, hosts, defaultRoute: null, backends: {}, certificates: [] };
}

/** A table with one catch-all route per host group: match(host, "/") tells which group a Host selects. */
function hostProbe(groups: RouteTableSpec['hosts']): RouteTable<string> {
  const probe = (host: string): RouteSpec => ({ id: `probe:${host}`, namespace: '', ingress: '', host, path: '/', kind: 'Prefix', backend: null, options: DEFAULT_ROUTE_OPTIONS, middlewares: [] });
  return compileRouteTable(tableOf(groups.map(({ host }) => ({ host, routes: [probe(host)] }))), (route) => route.host);
}

function selectedHostTable(groups: RouteTableSpec['hosts'], host: string): string | null {
  return hostProbe(groups).match(host === '' ? undefined : host, '/')?.ext ?? null;
}

/**
 * What explain() reads of the table served: a host's routes and a backend, each looked up by name. The
 * control plane answers from its translator's own maps, so an explanation never needs the whole table
 * assembled or indexed (milliseconds at 5,000 hosts, after every change).
 */
export interface ExplainTable {
  readonly version: number;
  readonly defaultRoute: RouteSpec | null;
  /** The routes of a host as the table names it (lower case, "*.suffix", "" for the rules without host). */
  routesOf(host: string): readonly RouteSpec[];
  backend(key: string): BackendSpec | undefined;
}

/** Host groups by host, built once per spec (a spec is immutable). */
const groupIndexes = new WeakMap<RouteTableSpec, Map<string, RouteTableSpec['hosts'][number]>>();

/** A whole table as explain() reads it. */
export function explainTableOf(spec: RouteTableSpec): ExplainTable {
  let groups = groupIndexes.get(spec);
  if (groups === undefined) groupIndexes.set(spec, (groups = new Map(spec.hosts.map((group) => [group.host, group]))));
  const index = groups;
  return { version: spec.version, defaultRoute: spec.defaultRoute, routesOf: (host) => index.get(host)?.routes ?? [], backend: (key) => spec.backends[key] };
}

/**
 * The host groups a Host header can select at all: its exact name, the wildcard one label up and the
 * rules without host. Only these are compiled for a query, so an explanation costs the same at 5 hosts
 * and at 5,000; the decision is still the data plane's matcher, run on them.
 */
function candidateGroups(table: ExplainTable, host: string): RouteTableSpec['hosts'] {
  const names = new Set(['']);
  if (host !== '') {
    const name = host.slice(0, hostNameEnd(host)).toLowerCase();
    names.add(name);
    // Every wildcard above the name: Gateway API wildcards cover any number of labels.
    for (let dot = name.indexOf('.'); dot > 0 && dot < name.length - 1; dot = name.indexOf('.', dot + 1)) names.add(`*.${name.slice(dot + 1)}`);
  }
  return [...names].flatMap((name) => {
    const routes = table.routesOf(name);
    return routes.length === 0 ? [] : [{ host: name, routes: [...routes] }];
  });
}

/** The served table restricted to `groups` (and the default route), compiled by the data plane's compiler. */
function compileCandidates(table: ExplainTable, groups: RouteTableSpec['hosts']): RouteTable<unknown> {
  return compileRouteTable({ version: table.version, hosts: groups, defaultRoute: table.defaultRoute, backends: {}, certificates: [] });
}

/** The request's method, headers (flat) and listener port, as the data plane passes them to match(). */
function requestOf(query: ExplainQuery): [string, string[], number] {
  return [query.method, (query.headers ?? []).flat(), query.port ?? (query.scheme === 'https' ? 443 : 80)];
}

/** Whether a route on its own matches the request, by the data plane's own matcher. */
function matchesAlone(route: RouteSpec, query: ExplainQuery): boolean {
  try {
    return compileRouteTable(tableOf([{ host: '', routes: [{ ...route, host: '' }] }])).match(undefined, query.path, ...requestOf(query)) !== null;
  } catch {
    return false; // a route the matcher cannot compile is not in the served table either
  }
}

function describeTable(host: string): string {
  return host === '' ? 'the rules without host' : `host "${host}"`;
}

function describeSelection(requestHost: string, selected: string | null): string {
  const shown = requestHost === '' ? '(none)' : `"${requestHost}"`;
  if (selected === null) return `Host ${shown}: no rule names this host and there are no rules without host`;
  if (selected === '') return `Host ${shown}: no rule names this host, so the rules without host apply`;
  if (selected.startsWith('*.')) return `Host ${shown}: no rule names this exact host; the wildcard "${selected}" covers it`;
  return `Host ${shown}: rules for "${selected}" exist, so only they are consulted`;
}

function winnerReason(route: RouteSpec): string {
  const view = gatewayRouteView(route);
  if (view !== undefined) {
    const where = `${view.object} spec.rules[${view.rule}]${view.ruleName === undefined ? '' : ` (${view.ruleName})`}${view.match < 0 ? '' : `.matches[${view.match}]`}`;
    const predicates = view.predicates.length === 0 ? 'no predicate beyond host and path' : `its predicates hold (${view.predicates.join(', ')})`;
    return `${where}: ${route.kind} path "${route.path}" matches and ${predicates}; more specific paths, then method, header and query matches, then the older route win (HTTPRoute precedence)`;
  }
  switch (route.kind) {
    case 'Exact':
      return `Exact path "${route.path}" equals the request path`;
    case 'Prefix':
      return `Prefix "${route.path}" is the longest Prefix that matches the request path element by element, and no Exact path or longer regex matches`;
    default:
      return `regex "${route.path}" matches and is the longest matching regex, longer than any matching Prefix`;
  }
}

/** Why `loser`, which also matches the path, lost to `winner` (the precedence of docs/routing.md). */
function loserReason(winner: RouteSpec, loser: RouteSpec): string {
  if (winner.kind === 'Exact') return `an Exact path equal to the request path beats every ${loser.kind} path`;
  if (winner.kind === 'Prefix' && loser.kind === 'Prefix') return `longer Prefix wins: "${winner.path}" over "${loser.path}"`;
  if (winner.kind === 'Prefix') {
    return `Prefix "${winner.path}" (${winner.path.length} characters) is at least as long as regex "${loser.path}" (${loser.path.length}); a regex wins only when its source is longer`;
  }
  if (loser.kind === 'Prefix') return `regex "${winner.path}" (${winner.path.length} characters) is longer than Prefix "${loser.path}" (${loser.path.length})`;
  return `regexes are tried longest source first, ties by source text: "${winner.path}" is tried before "${loser.path}"`;
}

function candidate(route: RouteSpec, reason: string): CandidateView {
  return { route: route.id, ingress: `${route.namespace}/${route.ingress}`, host: route.host, path: route.path, pathType: route.kind, reason };
}

/**
 * PathConflict warnings of the Ingresses that lost this route's path to it (translate/route-set.ts
 * words them "... of host "h" is already served by ... (Kind "path") ..."); test/admin/explain.test.ts
 * pins that wording.
 */
function conflictsOf(route: RouteSpec, diagnostics: readonly Diagnostic[]): ExplainResult['conflicts'] {
  const hostPart = `of ${describeTable(route.host)} `;
  const winnerPart = `(${route.kind} ${JSON.stringify(route.path)})`;
  return diagnostics
    .filter((d) => d.reason === 'PathConflict' && d.message.includes(hostPart) && d.message.includes(winnerPart) && d.message.includes(`Ingress ${route.namespace}/${route.ingress} `))
    .map((d) => ({ object: d.object, field: d.field, message: d.message }));
}

function diagnosticsOf(route: RouteSpec, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const object = `${route.namespace}/${route.ingress}`;
  const kind = route.gateway?.kind ?? 'Ingress';
  const middlewares = new Set(route.middlewares.map((m) => m.source));
  return diagnostics.filter((d) => (d.kind === kind && d.object === object) || (d.kind === 'Middleware' && middlewares.has(d.object)));
}

export function explain(served: ExplainTable | RouteTableSpec, diagnostics: readonly Diagnostic[], query: ExplainQuery): ExplainResult {
  const spec = 'hosts' in served ? explainTableOf(served) : served;
  const groups = candidateGroups(spec, query.host);
  const table = compileCandidates(spec, groups);
  const selected = selectedHostTable(groups, query.host);
  const winner = table.match(query.host === '' ? undefined : query.host, query.path, ...requestOf(query));
  const head = { version: spec.version, request: query, matched: winner !== null, hostTable: selected, hostSelection: describeSelection(query.host, selected) };
  const notConsulted: CandidateView[] = [];
  if (selected !== null) {
    for (const other of groups) {
      if (other.host === selected || selectedHostTable([other], query.host) === null) continue;
      const why = other.host === '' ? 'the rules without host apply only to a Host no rule names' : `host table "${selected}" was selected; "${other.host}" is not merged with it`;
      for (const route of other.routes) if (matchesAlone(route, query)) notConsulted.push(candidate(route, why));
    }
  }
  if (winner === null) {
    const reason = selected === null
      ? 'no host table for this Host and no default backend: 404'
      : `no path of ${describeTable(selected)} matches and no Ingress has a default backend: 404`;
    return { ...head, reason, beat: [], notConsulted, conflicts: [], middlewares: [], diagnostics: [] };
  }
  const route = winner.spec;
  const isDefault = winner === table.defaultRoute;
  const backend = route.backend === null ? null : spec.backend(route.backend) ?? null;
  let reason: string;
  const beat: CandidateView[] = [];
  if (isDefault) {
    reason = `${selected === null ? 'no host table for this Host' : `no path of ${describeTable(selected)} matches`}; spec.defaultBackend of Ingress ${route.namespace}/${route.ingress} serves it`;
  } else {
    reason = winnerReason(route);
    const group = groups.find((g) => g.host === selected)?.routes ?? [];
    for (const other of group) if (other.id !== route.id && matchesAlone(other, query)) beat.push(candidate(other, loserReason(route, other)));
  }
  if (backend === null) reason += '; the route has no usable backend, so requests get 503 (see diagnostics)';
  else if (backend.endpoints.length === 0) reason += '; the Service has no ready endpoints, so requests get 503';
  return {
    ...head,
    route: route.id,
    ingress: `${route.namespace}/${route.ingress}`,
    path: route.path,
    pathType: route.kind,
    defaultBackend: isDefault,
    service: backend === null ? null : serviceName(backend),
    ...(backend === null ? {} : { servicePort: backend.servicePort, protocol: backend.protocol }),
    endpoints: backend === null ? [] : backend.endpoints.map(formatEndpoint),
    reason,
    beat,
    notConsulted,
    conflicts: isDefault ? [] : conflictsOf(route, diagnostics),
    middlewares: middlewareView(route.middlewares),
    diagnostics: diagnosticsOf(route, diagnostics),
    ...(route.gateway === undefined ? {} : { gateway: gatewayRouteView(route)! }),
  };
}
