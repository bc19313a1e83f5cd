// The precompiled route table that every request reads. Built from a RouteTableSpec, or patched from
// the previous version (hosts compiled anew, the others shared), and never changed afterwards.
// Host selection (docs/routing.md): exact host, then wildcard "*.suffix", then the rules without
// host. A host that selects a table does not fall through to another table when no path matches
// there (ingress-nginx builds one server block per host); the request then goes to the default
// route (spec.defaultBackend) or gets no route at all (404).
import type { RouteSpec, RouteTableSpec } from './spec.ts';
import { HostIndex, hostNameEnd } from './host-index.ts';
import { hasPredicates, RouteGuard } from './guard.ts';
import { PathMatcher } from './path-matcher.ts';

export interface CompiledRoute<T> {
  readonly spec: RouteSpec;
  /** What the caller attached at compile time (e.g. its backend runtime and composed middleware chain). */
  readonly ext: T;
  /** Gateway API predicates beyond host and path; null for routes without any. */
  readonly guard: RouteGuard | null;
  /** The next candidate when the guard fails (see path-matcher.ts). */
  next: CompiledRoute<T> | null;
}

/** The compiled routes of one host, lower-cased ("a.example", "*.example" or "" for rules without host). */
export interface CompiledHost<T> {
  readonly host: string;
  readonly routes: readonly CompiledRoute<T>[];
  /** Exact host, the rules without host, or an Ingress wildcard (one label). */
  readonly matcher: PathMatcher<CompiledRoute<T>> | null;
  /** Gateway API routes of a wildcard host (any number of labels). */
  readonly deepMatcher: PathMatcher<CompiledRoute<T>> | null;
}

/** A new version of a table as what changed: whole hosts replaced, added or removed, and the default route. */
export interface TablePatch {
  version: number;
  /** Hosts whose routes are replaced (or added), with all their routes. */
  hosts: readonly { host: string; routes: readonly RouteSpec[] }[];
  removedHosts: readonly string[];
  /** Present when the default route changed (null: there is none now). */
  defaultRoute?: RouteSpec | null;
}

const WILDCARD_PREFIX = '*.';

type Matcher<T> = PathMatcher<CompiledRoute<T>>;

function compileRoute<T>(route: RouteSpec, attach: (route: RouteSpec) => T): CompiledRoute<T> {
  return { spec: route, ext: attach(route), guard: hasPredicates(route.gateway) ? new RouteGuard(route.gateway) : null, next: null };
}

/** Throws RouteCompileError for a route the matcher cannot hold (translate() never produces one). */
function compileHost<T>(host: string, routes: readonly RouteSpec[], attach: (route: RouteSpec) => T): CompiledHost<T> {
  const wildcard = host.startsWith(WILDCARD_PREFIX);
  const compiled: CompiledRoute<T>[] = [];
  let matcher: Matcher<T> | null = null;
  let deepMatcher: Matcher<T> | null = null;
  for (const route of routes) {
    const entry = compileRoute(route, attach);
    compiled.push(entry);
    if (wildcard && route.gateway !== undefined) (deepMatcher ??= new PathMatcher()).add(entry);
    else (matcher ??= new PathMatcher()).add(entry);
  }
  matcher?.finish();
  deepMatcher?.finish();
  return { host, routes: compiled, matcher, deepMatcher };
}

/**
 * The precompiled table. A new version is either compiled whole or patched from the previous one
 * (patch()): the hosts a change did not touch keep their compiled routes and matchers (the same
 * objects), so a change costs the hosts it touches, not the table's size. Each version is a new
 * object, swapped in with one assignment: a request matches against one consistent version.
 */
export class RouteTable<T> {
  readonly version: number;
  readonly defaultRoute: CompiledRoute<T> | null;
  /** Hosts compiled to make this version (a patched one shares the others with the version before). */
  readonly compiledHosts: number;
  private readonly groups: Map<string, CompiledHost<T>>;
  private readonly exactHosts: HostIndex<Matcher<T>>;
  /** Keyed by the suffix after "*.": "*.example.com" is stored as "example.com". */
  private readonly wildcardHosts: HostIndex<Matcher<T>>;
  /**
   * Gateway API wildcards, same keys: "*.example.com" covers any number of labels there
   * ("a.b.example.com" too), where an Ingress wildcard covers exactly one.
   */
  private readonly deepWildcardHosts: HostIndex<Matcher<T>>;
  private readonly hostless: Matcher<T> | null;

  private constructor(version: number, groups: Map<string, CompiledHost<T>>, indexes: [HostIndex<Matcher<T>>, HostIndex<Matcher<T>>, HostIndex<Matcher<T>>], defaultRoute: CompiledRoute<T> | null, compiledHosts: number) {
    this.version = version;
    this.compiledHosts = compiledHosts;
    this.groups = groups;
    [this.exactHosts, this.wildcardHosts, this.deepWildcardHosts] = indexes;
    this.hostless = groups.get('')?.matcher ?? null;
    this.defaultRoute = defaultRoute;
  }

  /** Compiles a whole table; throws RouteCompileError for a route the matcher cannot hold. */
  static compile<T>(spec: RouteTableSpec, attach: (route: RouteSpec) => T): RouteTable<T> {
    const groups = new Map<string, CompiledHost<T>>();
    const indexes: [HostIndex<Matcher<T>>, HostIndex<Matcher<T>>, HostIndex<Matcher<T>>] = [new HostIndex(), new HostIndex(), new HostIndex()];
    for (const entry of spec.hosts) {
      // One group per host: a host listed twice is compiled once with both lists (translate() never does that).
      const host = entry.host.toLowerCase();
      const routes = entry.routes;
      const listed = groups.get(host);
      const group = compileHost(host, listed === undefined ? routes : [...listed.routes.map((r) => r.spec), ...routes], attach);
      groups.set(host, group);
      indexHost(indexes, group);
    }
    return new RouteTable(spec.version, groups, indexes, spec.defaultRoute === null ? null : compileRoute(spec.defaultRoute, attach), groups.size);
  }

  /**
   * The next version: the hosts of `patch` compiled anew (or dropped), every other host shared with
   * this table, which stays as it was (requests in flight may still read it).
   */
  patch(patch: TablePatch, attach: (route: RouteSpec) => T): RouteTable<T> {
    const defaultRoute = patch.defaultRoute === undefined ? this.defaultRoute : patch.defaultRoute === null ? null : compileRoute(patch.defaultRoute, attach);
    // No host changed (an endpoint change): the maps are never edited once built, so they are shared.
    if (patch.hosts.length === 0 && patch.removedHosts.length === 0) return new RouteTable(patch.version, this.groups, [this.exactHosts, this.wildcardHosts, this.deepWildcardHosts], defaultRoute, 0);
    const groups = new Map(this.groups);
    const indexes: [HostIndex<Matcher<T>>, HostIndex<Matcher<T>>, HostIndex<Matcher<T>>] = [this.exactHosts.clone(), this.wildcardHosts.clone(), this.deepWildcardHosts.clone()];
    for (const removed of patch.removedHosts) {
      const host = removed.toLowerCase();
      const group = groups.get(host);
      if (group === undefined) continue;
      unindexHost(indexes, group);
      groups.delete(host);
    }
    for (const entry of patch.hosts) {
      const host = entry.host.toLowerCase();
      const routes = entry.routes;
      const previous = groups.get(host);
      if (previous !== undefined) unindexHost(indexes, previous);
      const group = compileHost(host, routes, attach);
      groups.set(host, group);
      indexHost(indexes, group);
    }
    return new RouteTable(patch.version, groups, indexes, defaultRoute, patch.hosts.length);
  }

  /** The compiled host ("*.suffix" for a wildcard, "" for the rules without host). */
  host(host: string): CompiledHost<T> | undefined {
    return this.groups.get(host.toLowerCase());
  }

  /** Every compiled host (inspection and maintenance, not the request path). */
  hosts(): IterableIterator<CompiledHost<T>> {
    return this.groups.values();
  }

  /** Every compiled route, host by host, then the default route (inspection; allocates). */
  routes(): CompiledRoute<T>[] {
    const routes = [...this.groups.values()].flatMap((group) => group.routes);
    if (this.defaultRoute !== null) routes.push(this.defaultRoute);
    return routes;
  }

  /**
   * The route for a request, or null (404). `host` is the Host header or :authority as received
   * (port, case and a trailing dot are handled here); `path` is the request target as received,
   * query string included and not percent-decoded. Allocates nothing for Exact and Prefix routes.
   * `method`, `headers` (the flat [name, value, ...] list) and `port` (the Gateway listener port the
   * request arrived on, as written: 80 for --http-port, 443 for --https-port) are read only by Gateway
   * API routes with predicates.
   */
  match(host: string | undefined, path: string, method?: string, headers?: readonly string[], port?: number): CompiledRoute<T> | null {
    const matcher = this.selectHost(host);
    if (matcher !== null) {
      let end = path.indexOf('?');
      if (end < 0) end = path.length;
      const route = matcher.match(path, end, method, headers, port);
      if (route !== null) return route;
    }
    return this.defaultRoute;
  }

  private selectHost(host: string | undefined): PathMatcher<CompiledRoute<T>> | null {
    if (host === undefined || host.length === 0) return this.hostless;
    const end = hostNameEnd(host);
    const exact = this.exactHosts.getRange(host, 0, end);
    if (exact !== undefined) return exact;
    if (this.wildcardHosts.size > 0) {
      // "*.example.com" covers exactly one more label: the suffix starts after the first dot.
      const dot = host.indexOf('.');
      if (dot > 0 && dot < end - 1) {
        const wildcard = this.wildcardHosts.getRange(host, dot + 1, end);
        if (wildcard !== undefined) return wildcard;
      }
    }
    if (this.deepWildcardHosts.size > 0) {
      // The longest suffix first: "*.b.example.com" is more specific than "*.example.com".
      for (let dot = host.indexOf('.'); dot > 0 && dot < end - 1; dot = host.indexOf('.', dot + 1)) {
        const wildcard = this.deepWildcardHosts.getRange(host, dot + 1, end);
        if (wildcard !== undefined) return wildcard;
      }
    }
    return this.hostless;
  }
}

/** Where a compiled host is looked up: by exact name, by wildcard suffix, or as the rules without host. */
function placesOf<T>(indexes: readonly HostIndex<Matcher<T>>[], group: CompiledHost<T>): [HostIndex<Matcher<T>>, string, Matcher<T>][] {
  const [exact, wildcard, deep] = indexes as [HostIndex<Matcher<T>>, HostIndex<Matcher<T>>, HostIndex<Matcher<T>>];
  const { host, matcher, deepMatcher } = group;
  if (host === '') return []; // the rules without host are this.hostless
  if (!host.startsWith(WILDCARD_PREFIX)) return matcher === null ? [] : [[exact, host, matcher]];
  const key = host.slice(WILDCARD_PREFIX.length);
  const places: [HostIndex<Matcher<T>>, string, Matcher<T>][] = [];
  if (matcher !== null) places.push([wildcard, key, matcher]);
  if (deepMatcher !== null) places.push([deep, key, deepMatcher]);
  return places;
}

function indexHost<T>(indexes: readonly HostIndex<Matcher<T>>[], group: CompiledHost<T>): void {
  for (const [index, key, matcher] of placesOf(indexes, group)) index.set(key, matcher);
}

function unindexHost<T>(indexes: readonly HostIndex<Matcher<T>>[], group: CompiledHost<T>): void {
  for (const [index, key] of placesOf(indexes, group)) index.delete(key);
}

export function compileRouteTable<T = undefined>(spec: RouteTableSpec, attach?: (route: RouteSpec) => T): RouteTable<T> {
  return RouteTable.compile<T>(spec, attach ?? (() => undefined as T));
}
