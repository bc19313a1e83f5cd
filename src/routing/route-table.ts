// The precompiled route table that every request reads. Built once per snapshot from a
// RouteTableSpec and never changed afterwards, except for the round-robin cursors the proxy moves.
// Host selection (docs/routing.md): exact host, then wildcard "*.suffix", then the rules without
// host. A host that selects a table does not fall through to another table when no path matches
// there (ingress-nginx builds one server block per host); the request then goes to the default
// route (spec.defaultBackend) or gets no route at all (404).
import type { BackendSpec, RouteSpec, RouteTableSpec } from './spec.ts';
import { HostIndex, hostNameEnd } from './host-index.ts';
import { hasPredicates, RouteGuard } from './guard.ts';
import { PathMatcher } from './path-matcher.ts';

export interface CompiledBackend {
  readonly spec: BackendSpec;
  /** Round-robin cursor, advanced by the proxy. */
  next: number;
}

export interface CompiledRoute<T> {
  readonly spec: RouteSpec;
  /** Shared by every route that names the same backend key; null when the route has no backend (503). */
  readonly backend: CompiledBackend | null;
  /** What the caller attached at compile time (e.g. its composed middleware chain). */
  readonly ext: T;
  /** Gateway API predicates beyond host and path; null for routes without any. */
  readonly guard: RouteGuard | null;
  /** The next candidate when the guard fails (see path-matcher.ts). */
  next: CompiledRoute<T> | null;
}

const WILDCARD_PREFIX = '*.';

export class RouteTable<T> {
  readonly version: number;
  readonly spec: RouteTableSpec;
  /** Every compiled route, in spec order (host by host, then the default route). */
  readonly routes: readonly CompiledRoute<T>[];
  readonly backends: ReadonlyMap<string, CompiledBackend>;
  readonly defaultRoute: CompiledRoute<T> | null;
  private readonly exactHosts = new HostIndex<PathMatcher<CompiledRoute<T>>>();
  /** Keyed by the suffix after "*.": "*.example.com" is stored as "example.com". */
  private readonly wildcardHosts = new HostIndex<PathMatcher<CompiledRoute<T>>>();
  /**
   * Gateway API wildcards, same keys: "*.example.com" covers any number of labels there
   * ("a.b.example.com" too), where an Ingress wildcard covers exactly one.
   */
  private readonly deepWildcardHosts = new HostIndex<PathMatcher<CompiledRoute<T>>>();
  private readonly hostless: PathMatcher<CompiledRoute<T>> | null;

  /** Throws RouteCompileError for a route the matcher cannot hold (translate() never produces one). */
  constructor(spec: RouteTableSpec, attach: (route: RouteSpec) => T) {
    this.version = spec.version;
    this.spec = spec;
    const backends = new Map<string, CompiledBackend>();
    for (const key of Object.keys(spec.backends)) backends.set(key, { spec: spec.backends[key]!, next: 0 });
    this.backends = backends;

    const routes: CompiledRoute<T>[] = [];
    const compile = (route: RouteSpec): CompiledRoute<T> => {
      const compiled: CompiledRoute<T> = {
        spec: route,
        backend: route.backend === null ? null : (backends.get(route.backend) ?? null),
        ext: attach(route),
        guard: hasPredicates(route.gateway) ? new RouteGuard(route.gateway) : null,
        next: null,
      };
      routes.push(compiled);
      return compiled;
    };
    let hostless: PathMatcher<CompiledRoute<T>> | null = null;
    const matcherOf = (index: HostIndex<PathMatcher<CompiledRoute<T>>>, key: string): PathMatcher<CompiledRoute<T>> => {
      let matcher = index.get(key);
      if (matcher === undefined) index.set(key, (matcher = new PathMatcher()));
      return matcher;
    };
    for (const { host, routes: hostRoutes } of spec.hosts) {
      const wildcard = host.startsWith(WILDCARD_PREFIX);
      const key = wildcard ? host.slice(WILDCARD_PREFIX.length) : host;
      for (const route of hostRoutes) {
        let matcher: PathMatcher<CompiledRoute<T>>;
        if (host === '') matcher = hostless ??= new PathMatcher();
        else if (!wildcard) matcher = matcherOf(this.exactHosts, key);
        else matcher = matcherOf(route.gateway === undefined ? this.wildcardHosts : this.deepWildcardHosts, key);
        matcher.add(compile(route));
      }
    }
    for (const matcher of [hostless, ...this.exactHosts.values(), ...this.wildcardHosts.values(), ...this.deepWildcardHosts.values()]) matcher?.finish();
    this.hostless = hostless;
    this.defaultRoute = spec.defaultRoute === null ? null : compile(spec.defaultRoute);
    this.routes = routes;
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

export function compileRouteTable<T = undefined>(spec: RouteTableSpec, attach?: (route: RouteSpec) => T): RouteTable<T> {
  return new RouteTable<T>(spec, attach ?? (() => undefined as T));
}
