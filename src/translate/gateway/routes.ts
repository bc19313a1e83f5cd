// HTTPRoutes and GRPCRoutes -> RouteSpecs of the shared route table. A route attaches to the listeners
// its parentRefs select (sectionName, port) that allow it (allowedRoutes namespaces and kinds) and share
// a hostname with it; each rule match then becomes one RouteSpec per served host, carrying its predicates
// (method, headers, query parameters) and its precedence order for routing/.
import type { GRPCRoute, HTTPRoute } from '../../kube/types.ts';
import { parseDuration } from '../../lib/units.ts';
import { compilePathRegex } from '../../routing/path-regex.ts';
import { compileValueRegex } from '../../routing/guard.ts';
import type { ClientCertificateSpec, GatewayRouteInfo, MiddlewareSpec, PathKind, RouteOptions, RouteSpec, ValueMatchSpec } from '../../routing/spec.ts';
import { isClientCertificate, type BackendClientCertificate } from './backend-client-certificate.ts';
import { prefixKey } from '../../routing/path-tree.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { checkHost } from '../hosts.ts';
import { namespaceOf } from '../precedence.ts';
import type { RouteSet } from '../route-set.ts';
import { arrayField, field, isRecord, stringField } from '../shape.ts';
import { resolveBackendRefs, type BackendRefContext, type WeightedBackend } from './backend-refs.ts';
import { readFilters, type FilterContext } from './filters.ts';
import { readRetry } from './retry.ts';
import { intersectHostnames } from './hostnames.ts';
import { GATEWAY_GROUP, type GatewayView, type Listener, type ListenerSetView } from './listeners.ts';
import type { NamespaceLabels } from './namespaces.ts';
import { condition, generationOf, type ParentRefSpec, type StatusEntry } from './status.ts';

type RouteObject = HTTPRoute | GRPCRoute;

export interface RouteContext extends BackendRefContext, FilterContext {
  gateways: ReadonlyMap<string, GatewayView>;
  /** ListenerSets naming one of those Gateways, attached or not, by "namespace/name". */
  listenerSets: ReadonlyMap<string, ListenerSetView>;
  routes: RouteSet;
  options: RouteOptions;
  /** Increments for every match, in precedence order of routes: the tie-break of routing/. */
  nextOrder(): number;
  /** spec.tls.backend client certificates of Tideway's Gateways, by "namespace/name". */
  backendClientCertificates: ReadonlyMap<string, BackendClientCertificate>;
  /** Namespace labels, for listeners that admit routes by namespace selector. */
  namespaces: NamespaceLabels;
  /** Every port a usable listener of Tideway's Gateways is declared on, sorted. */
  listenerPorts: readonly number[];
}

interface PathMatch {
  kind: PathKind;
  path: string;
  /** PathPrefix value, for ReplacePrefixMatch. */
  prefix: string | null;
}

/** One parentRef of ours: the listeners it attaches to, or why it does not attach. */
interface ParentResult {
  parentRef: ParentRefSpec;
  listeners: Listener[];
  /** null: accepted (so far; the hostnames may still not intersect). */
  refusal: { reason: string; message: string } | null;
}

/** The parentRefs naming our Gateways, each with the listeners it attaches to; problems are reported. */
function parentResults(route: RouteObject, ctx: RouteContext, diag: ObjectDiagnostics): ParentResult[] {
  const namespace = namespaceOf(route);
  const out: ParentResult[] = [];
  arrayField(route.spec, 'parentRefs').forEach((parent, i) => {
    const at = `spec.parentRefs[${i}]`;
    const group = stringField(parent, 'group') ?? GATEWAY_GROUP;
    const kind = stringField(parent, 'kind') ?? 'Gateway';
    if (group !== GATEWAY_GROUP || (kind !== 'Gateway' && kind !== 'ListenerSet')) return; // another controller's parent kind
    const parentNamespace = stringField(parent, 'namespace') ?? namespace;
    const parentName = stringField(parent, 'name') ?? '';
    const ref = `${parentNamespace}/${parentName}`;
    // A Gateway parentRef selects the Gateway's own listeners; a ListenerSet one, that set's.
    const set = kind === 'ListenerSet' ? ctx.listenerSets.get(ref) : undefined;
    const gateway = kind === 'Gateway' ? ctx.gateways.get(ref) : set?.parent;
    if (gateway === undefined) return; // not one of our Gateways: another controller's business
    const sectionName = stringField(parent, 'sectionName');
    const port = field(parent, 'port');
    const parentRef: ParentRefSpec = {
      group, kind, namespace: parentNamespace, name: parentName,
      ...(sectionName === undefined ? {} : { sectionName }), ...(typeof port === 'number' ? { port } : {}),
    };
    const refuse = (reason: string, message: string): void => {
      diag.error(at, reason, message);
      out.push({ parentRef, listeners: [], refusal: { reason, message } });
    };
    if (set?.refusal) return refuse('NoMatchingParent', `ListenerSet ${ref} is not attached to Gateway ${gateway.ref} (${set.refusal.reason}); not attached`);
    const own = set === undefined ? gateway.listeners.filter((l) => l.owner.kind === 'Gateway') : set.listeners;
    const selected = own.filter((l) => (sectionName === undefined || l.name === sectionName) && (typeof port !== 'number' || l.port === port));
    if (selected.length === 0) {
      return refuse('NoMatchingParent', `${kind} ${ref} has no listener${sectionName === undefined ? '' : ` named ${JSON.stringify(sectionName)}`}${typeof port === 'number' ? ` on port ${port}` : ''}; not attached`);
    }
    const allowed = selected.filter((l) => l.usable && l.kinds.includes(route.kind) && ctx.namespaces.admits(l.namespaces, l.namespace, namespace));
    if (allowed.length === 0) {
      return refuse('NotAllowedByListeners', `no listener of ${kind} ${ref} selected by this parentRef allows ${route.kind}s from namespace ${namespace}; not attached`);
    }
    out.push({ parentRef, listeners: allowed, refusal: null });
  });
  return out;
}

/** Reasons of ResolvedRefs=False, in the order the spec lists them. */
const REF_REASONS = ['RefNotPermitted', 'InvalidKind', 'BackendNotFound', 'UnsupportedProtocol'];

/** Passes reports on, remembering the first reference problem and whether anything was dropped. */
class RouteProblems implements ObjectDiagnostics {
  readonly kind: string;
  readonly object: string;
  refProblem: { reason: string; message: string } | null = null;
  unsupported: string | null = null;
  private readonly inner: ObjectDiagnostics;

  constructor(inner: ObjectDiagnostics) {
    this.inner = inner;
    this.kind = inner.kind;
    this.object = inner.object;
  }

  error(fieldPath: string, reason: string, message: string): void {
    if (REF_REASONS.includes(reason)) this.refProblem ??= { reason, message: `${fieldPath}: ${message}` };
    else if (reason === 'UnsupportedValue' || reason === 'MiddlewareNotFound' || reason === 'InvalidMiddleware') this.unsupported ??= `${fieldPath}: ${message}`;
    this.inner.error(fieldPath, reason, message);
  }

  warning(fieldPath: string, reason: string, message: string): void {
    this.inner.warning(fieldPath, reason, message);
  }
}

function routeHostnames(route: RouteObject, diag: ObjectDiagnostics): string[] {
  const out: string[] = [];
  arrayField(route.spec, 'hostnames').forEach((raw, i) => {
    const check = typeof raw === 'string' ? checkHost(raw) : { ok: false as const, message: `invalid hostname ${JSON.stringify(raw)}` };
    if (check.ok) out.push(check.host);
    else diag.error(`spec.hostnames[${i}]`, 'UnsupportedValue', check.message);
  });
  return out;
}

function valueMatches(list: readonly unknown[], at: string, lowerNames: boolean, diag: ObjectDiagnostics): ValueMatchSpec[] | null {
  const out: ValueMatchSpec[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of list.entries()) {
    const name = stringField(entry, 'name');
    const value = stringField(entry, 'value');
    const type = field(entry, 'type') ?? 'Exact';
    if (name === undefined || value === undefined || (type !== 'Exact' && type !== 'RegularExpression')) {
      diag.error(`${at}[${i}]`, 'UnsupportedValue', 'a match needs a name, a value and type Exact or RegularExpression; this match is not served');
      return null;
    }
    if (type === 'RegularExpression') {
      try {
        compileValueRegex(value);
      } catch (err) {
        diag.error(`${at}[${i}].value`, 'UnsupportedValue', `invalid regular expression ${JSON.stringify(value)}: ${(err as Error).message}; this match is not served`);
        return null;
      }
    }
    const key = lowerNames ? name.toLowerCase() : name;
    if (seen.has(key)) continue; // only the first entry of a name counts
    seen.add(key);
    out.push({ name: key, type, value });
  }
  return out;
}

function checkRegex(source: string, at: string, diag: ObjectDiagnostics): boolean {
  try {
    compilePathRegex(source);
    return true;
  } catch (err) {
    diag.error(at, 'UnsupportedValue', `invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}; this match is not served`);
    return false;
  }
}

function httpPath(match: unknown, at: string, diag: ObjectDiagnostics): PathMatch | null {
  const path = field(match, 'path');
  const type = field(path, 'type') ?? 'PathPrefix';
  const value = stringField(path, 'value') ?? '/';
  if (!value.startsWith('/')) {
    diag.error(`${at}.path.value`, 'UnsupportedValue', `path ${JSON.stringify(value)} must start with "/"; this match is not served`);
    return null;
  }
  if (type === 'Exact') return { kind: 'Exact', path: value, prefix: null };
  if (type === 'PathPrefix') return { kind: 'Prefix', path: value, prefix: value };
  if (type === 'RegularExpression') return checkRegex(`${value}$`, `${at}.path.value`, diag) ? { kind: 'Regex', path: `${value}$`, prefix: null } : null;
  diag.error(`${at}.path.type`, 'UnsupportedValue', `path type ${JSON.stringify(type)} is not supported; this match is not served`);
  return null;
}

const GRPC_NAME = /^[A-Za-z0-9_.]+$/;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** GRPCRoute method match -> the request path /service/method. */
function grpcPath(match: unknown, at: string, diag: ObjectDiagnostics): PathMatch | null {
  const method = field(match, 'method');
  if (method === undefined || method === null) return { kind: 'Prefix', path: '/', prefix: '/' };
  const type = field(method, 'type') ?? 'Exact';
  const service = stringField(method, 'service');
  const name = stringField(method, 'method');
  if (service === undefined && name === undefined) {
    diag.error(`${at}.method`, 'UnsupportedValue', 'a method match needs service or method; this match is not served');
    return null;
  }
  if (type === 'Exact') {
    if ((service !== undefined && !GRPC_NAME.test(service)) || (name !== undefined && !/^[A-Za-z0-9_]+$/.test(name))) {
      diag.error(`${at}.method`, 'UnsupportedValue', `invalid gRPC service or method name (${JSON.stringify(service)}, ${JSON.stringify(name)}); this match is not served`);
      return null;
    }
    if (service !== undefined && name !== undefined) return { kind: 'Exact', path: `/${service}/${name}`, prefix: null };
    if (service !== undefined) return { kind: 'Prefix', path: `/${service}`, prefix: null };
    return { kind: 'Regex', path: `/[^/]+/${escapeRegex(name!)}$`, prefix: null };
  }
  if (type === 'RegularExpression') {
    const source = `/(?:${service ?? '[^/]+'})/(?:${name ?? '[^/]+'})$`;
    return checkRegex(source, `${at}.method`, diag) ? { kind: 'Regex', path: source, prefix: null } : null;
  }
  diag.error(`${at}.method.type`, 'UnsupportedValue', `method match type ${JSON.stringify(type)} is not supported; this match is not served`);
  return null;
}

/**
 * Rule timeouts and retries. `request` is a deadline on the whole exchange (requestTimeoutMs). Both
 * `request` and `backendRequest` also bound the wait for the upstream's answer and each pause of its
 * body (the read timeout; the shorter one wins; "0s" disables it). A rule with `retry` keeps them
 * apart: `request` (or the default) bounds the whole wait, retries included, and `backendRequest` each
 * try, whose expiry is retried.
 */
function ruleOptions(rule: Record<string, unknown>, at: string, defaults: RouteOptions, diag: ObjectDiagnostics): RouteOptions {
  const retrying = rule.retry !== undefined && rule.retry !== null;
  let readTimeoutMs = defaults.readTimeoutMs;
  let tryTimeoutMs = 0;
  let requestTimeoutMs = 0;
  for (const key of ['request', 'backendRequest']) {
    const value = field(rule.timeouts, key);
    if (value === undefined || value === null) continue;
    let ms: number;
    try {
      ms = parseDuration(String(value));
    } catch (err) {
      diag.error(`${at}.timeouts.${key}`, 'UnsupportedValue', `${(err as Error).message}; the default timeout is used`);
      continue;
    }
    if (key === 'request') requestTimeoutMs = ms;
    if (retrying && key === 'backendRequest') tryTimeoutMs = ms;
    else readTimeoutMs = ms === 0 ? Math.max(readTimeoutMs, 2_147_483_647) : Math.min(readTimeoutMs === defaults.readTimeoutMs ? ms : readTimeoutMs, ms);
  }
  const retry = retrying ? readRetry(rule.retry, tryTimeoutMs, `${at}.retry`, diag) : null;
  if (readTimeoutMs === defaults.readTimeoutMs && retry === null && requestTimeoutMs === 0) return defaults;
  return { ...defaults, readTimeoutMs, ...(retry === null ? {} : { retry }), ...(requestTimeoutMs === 0 ? {} : { requestTimeoutMs }) };
}

/** One choice of gateway-backends: a backend (null: 500) with its weight and its own filters. */
interface Choice {
  backend: string | null;
  weight: number;
  filters: MiddlewareSpec[];
}

/** The middleware that sends each request to one of several backends (running its filters), or answers 500. */
function backendChoice(choices: readonly Choice[], source: string): MiddlewareSpec {
  return { type: 'gateway-backends', source, config: { choices: choices.map((c) => ({ backend: c.backend, weight: c.weight, filters: c.filters })) } };
}

/**
 * The rule's backends with their own filters (backendRefs[].filters). A backendRef whose filters cannot
 * be honoured keeps its share, answered 500, like an unresolvable one.
 */
function choicesOf(rule: Record<string, unknown>, backends: readonly WeightedBackend[], at: string, source: string, prefix: string | null, ctx: RouteContext, diag: ObjectDiagnostics): Choice[] {
  const refs = arrayField(rule, 'backendRefs');
  return backends.map((b) => {
    const filters = arrayField(refs[b.index], 'filters');
    if (filters.length === 0) return { backend: b.backend, weight: b.weight, filters: [] };
    const read = readFilters(filters, `${at}.backendRefs[${b.index}].filters`, source, prefix, ctx, diag);
    return read.failed ? { backend: null, weight: b.weight, filters: [] } : { backend: b.backend, weight: b.weight, filters: read.middlewares };
  });
}

/**
 * The client certificate for the route's TLS backends: its Gateways' (spec.tls.backend). A backend of
 * a route has one connection pool whichever Gateway a request came through, so when the Gateways name
 * different certificates the first one's is used, with a warning.
 */
function clientCertificateOf(ancestors: readonly string[], ctx: RouteContext, diag: ObjectDiagnostics): ClientCertificateSpec | 'invalid' | null {
  let chosen: ClientCertificateSpec | null = null;
  for (const gateway of ancestors) {
    const certificate = ctx.backendClientCertificates.get(gateway) ?? null;
    if (certificate === null) continue;
    if (!isClientCertificate(certificate)) return 'invalid';
    if (chosen === null) chosen = certificate;
    else if (chosen.secret !== certificate.secret) {
      diag.warning('spec.parentRefs', 'UnsupportedValue', `the Gateways of this route present different backend client certificates (Secrets ${chosen.secret} and ${certificate.secret}); its TLS backends are given ${chosen.secret}`);
    }
  }
  return chosen;
}

/** Adds the route's rules to the table; returns its status, or null when no parentRef names one of our Gateways. */
export function translateRoute(route: RouteObject, ctx: RouteContext, outer: ObjectDiagnostics): StatusEntry | null {
  const namespace = namespaceOf(route);
  const name = route.metadata.name;
  const diag = new RouteProblems(outer);
  const parents = parentResults(route, ctx, diag);
  if (parents.length === 0) return null;
  const hostnames = routeHostnames(route, diag);
  // Host -> the ports of the listeners that serve it: a host is not served on a port whose listeners do
  // not serve it (listener isolation).
  const portsOf = new Map<string, Set<number>>();
  const attached = new Set<Listener>();
  for (const parent of parents) {
    let matched = false;
    for (const listener of parent.listeners) {
      const hosts = intersectHostnames(listener.hostname, hostnames);
      if (hosts.length > 0) {
        matched = true;
        attached.add(listener);
      }
      for (const host of hosts) {
        const set = portsOf.get(host) ?? new Set<number>();
        set.add(listener.port);
        portsOf.set(host, set);
      }
    }
    if (parent.refusal === null && !matched) {
      const message = `no hostname of this route matches a hostname of the listeners of ${parent.parentRef.kind} ${parent.parentRef.namespace}/${parent.parentRef.name} it names; not attached`;
      diag.error('spec.hostnames', 'NoMatchingListenerHostname', message);
      parent.refusal = { reason: 'NoMatchingListenerHostname', message };
    }
  }
  for (const listener of attached) listener.attachedRoutes++;
  const ancestors = [...new Set(parents.filter((p) => p.refusal === null).map((p) => `${p.parentRef.namespace}/${p.parentRef.name}`))];
  const refs: RouteContext = { ...ctx, ancestors, clientCertificate: clientCertificateOf(ancestors, ctx, diag) };
  const hosts = [...portsOf.keys()];
  let servedRules = 0;
  const ruleCount = arrayField(route.spec, 'rules').length;
  const source = `${route.kind} ${namespace}/${name}`;
  const grpc = route.kind === 'GRPCRoute';
  arrayField(route.spec, 'rules').forEach((rule, r) => {
    const at = `spec.rules[${r}]`;
    if (!isRecord(rule)) {
      diag.error(at, 'UnsupportedValue', 'a rule must be an object; it is not served');
      return;
    }
    const options = ruleOptions(rule, at, ctx.options, diag);
    const backends = resolveBackendRefs(arrayField(rule, 'backendRefs'), `${at}.backendRefs`, route.kind, namespace, refs, diag);
    const matches = arrayField(rule, 'matches');
    const list = matches.length === 0 ? [{}] : matches;
    let ruleServed = false;
    list.forEach((match, m) => {
      const mAt = `${at}.matches[${m}]`;
      const path = grpc ? grpcPath(match, mAt, diag) : httpPath(match, mAt, diag);
      if (path === null) return;
      const headers = valueMatches(arrayField(match, 'headers'), `${mAt}.headers`, true, diag);
      const queryParams = grpc ? [] : valueMatches(arrayField(match, 'queryParams'), `${mAt}.queryParams`, false, diag);
      if (headers === null || queryParams === null) return;
      const method = grpc ? '' : (stringField(match, 'method') ?? '');
      const filters = readFilters(arrayField(rule, 'filters'), `${at}.filters`, source, path.prefix, ctx, diag);
      const middlewares = [...filters.middlewares];
      let backend: string | null = null;
      if (filters.failed) middlewares.unshift(backendChoice([{ backend: null, weight: 1, filters: [] }], source));
      else if (!filters.answers) {
        const choices = choicesOf(rule, backends, at, source, path.prefix, ctx, diag);
        const only = choices.length === 1 ? choices[0]! : null;
        if (only !== null && only.backend !== null && only.filters.length === 0) backend = only.backend;
        else middlewares.push(backendChoice(choices.length === 0 ? [{ backend: null, weight: 1, filters: [] }] : choices, source));
      }
      const gateway: GatewayRouteInfo = {
        kind: route.kind, rule: r, match: matches.length === 0 ? -1 : m, method, headers, queryParams, order: ctx.nextOrder(),
        ...(typeof rule.name === 'string' ? { ruleName: rule.name } : {}),
      };
      // Without predicates the key is the Ingress one, so an HTTPRoute and an Ingress claiming the same path conflict.
      const predicated = method !== '' || headers.length > 0 || queryParams.length > 0;
      const signature = predicated ? ` ${JSON.stringify([method, headers, queryParams])}` : '';
      const conflictKey = `${path.kind} ${path.kind === 'Prefix' ? prefixKey(path.path) : path.path}${signature}`;
      for (const host of hosts) {
        // Served on every port Tideway's Gateways listen on: no port predicate (the fast path).
        const served = [...portsOf.get(host)!].sort((a, b) => a - b);
        const ports = ctx.listenerPorts.every((p) => served.includes(p)) ? null : served;
        // A route of some ports conflicts with the same path served on every port (Ingresses are too).
        const key = ports === null ? conflictKey : `${conflictKey} @${ports.join(',')}`;
        const where = `${source} ${mAt}`;
        if (ports !== null && ctx.routes.claimPath(host, conflictKey, path, mAt, where, diag) === null) continue;
        const claim = ctx.routes.claimPath(host, key, path, mAt, where, diag);
        if (claim === null) continue;
        const spec: RouteSpec = {
          id: `${route.kind}/${namespace}/${name}#${r}.${m}`,
          namespace,
          ingress: name,
          host,
          path: path.path,
          kind: path.kind,
          backend,
          options,
          middlewares,
          gateway: ports === null ? gateway : { ...gateway, ports },
        };
        claim.add(spec);
        ruleServed = true;
      }
    });
    if (ruleServed) servedRules++;
  });
  return routeStatus(route, parents, diag, servedRules, ruleCount);
}

function routeStatus(route: RouteObject, parents: readonly ParentResult[], diag: RouteProblems, servedRules: number, ruleCount: number): StatusEntry {
  const refs = diag.refProblem;
  const resolved = refs === null
    ? condition('ResolvedRefs', true, 'ResolvedRefs', 'every reference is resolved')
    : condition('ResolvedRefs', false, refs.reason, refs.message);
  const noneServed = ruleCount > 0 && servedRules === 0 && diag.unsupported !== null;
  return {
    kind: route.kind,
    namespace: namespaceOf(route),
    name: route.metadata.name,
    generation: generationOf(route),
    parents: parents.map((p) => {
      const conditions = [
        p.refusal !== null
          ? condition('Accepted', false, p.refusal.reason, p.refusal.message)
          : noneServed
            ? condition('Accepted', false, 'UnsupportedValue', diag.unsupported!)
            : condition('Accepted', true, 'Accepted', 'the route is attached'),
        resolved,
      ];
      // Some rules or matches were dropped while others serve (GEP-1364's PartiallyInvalid).
      if (p.refusal === null && !noneServed && diag.unsupported !== null) conditions.push(condition('PartiallyInvalid', true, 'UnsupportedValue', diag.unsupported));
      return { parentRef: p.parentRef, conditions };
    }),
  };
}
