// The routing table as /api/routes shows it: what a person (or the dashboard) wants to read, rather
// than the RouteTableSpec as the proxy holds it. Services are "namespace/name", endpoints "ip:port",
// and TLS certificates appear by Secret and hosts only: private keys never leave the process.
import type { BackendProtocol, BackendSpec, EndpointSpec, GatewayRouteInfo, MiddlewareSpec, PathKind, RouteOptions, RouteSpec, RouteTableSpec, ValueMatchSpec } from '../routing/index.ts';

export interface RouteBackendView {
  key: string;
  /** "namespace/name" of the Service. */
  service: string;
  /** Endpoints traffic goes to, "ip:port". */
  endpoints: string[];
}

export interface RouteView {
  id: string;
  host: string;
  path: string;
  pathType: PathKind;
  /** "namespace/name" of the Ingress. */
  ingress: string;
  /** null when the backend could not be resolved: the route answers 503 (see /api/diagnostics). */
  backend: RouteBackendView | null;
  middlewares: { type: string; source: string }[];
  options: RouteOptions;
  /** Gateway API routes only: the object, rule and match, and the predicates after host and path. */
  gateway?: GatewayRouteView;
}

export interface GatewayRouteView {
  /** "HTTPRoute shop/web" */
  object: string;
  rule: number;
  ruleName?: string;
  /** Index in the rule's matches; -1 for a rule without matches. */
  match: number;
  /** Human-readable predicates: "method GET", "header x-env = canary", "port 443". */
  predicates: string[];
}

export interface EndpointView {
  /** "ip:port" */
  address: string;
  /** false: serving but terminating, used only because no endpoint is ready. */
  ready: boolean;
  /** "namespace/name" of the Pod, when known. */
  pod: string | null;
}

export interface BackendView {
  key: string;
  service: string;
  port: number;
  protocol: BackendProtocol;
  endpoints: EndpointView[];
}

export interface RoutesView {
  version: number;
  hosts: { host: string; routes: RouteView[] }[];
  /** spec.defaultBackend of the Ingress that has it: serves what no rule matches. */
  defaultRoute: RouteView | null;
  backends: BackendView[];
  certificates: { secret: string; hosts: string[] }[];
}

/** "10.0.0.1:8080", or "[fd00::1]:8080" for IPv6. */
export function formatEndpoint(endpoint: EndpointSpec): string {
  return endpoint.address.includes(':') ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

export function serviceName(backend: BackendSpec): string {
  return `${backend.namespace}/${backend.service}`;
}

export function middlewareView(middlewares: readonly MiddlewareSpec[]): { type: string; source: string }[] {
  return middlewares.map((m) => ({ type: m.type, source: m.source }));
}

export function routeView(route: RouteSpec, spec: RouteTableSpec): RouteView {
  const backend = route.backend === null ? undefined : spec.backends[route.backend];
  return {
    id: route.id,
    host: route.host,
    path: route.path,
    pathType: route.kind,
    ingress: `${route.namespace}/${route.ingress}`,
    backend: backend === undefined ? null : { key: backend.key, service: serviceName(backend), endpoints: backend.endpoints.map(formatEndpoint) },
    middlewares: middlewareView(route.middlewares),
    options: route.options,
    ...(route.gateway === undefined ? {} : { gateway: gatewayRouteView(route) }),
  };
}

/** The predicates of a Gateway API route, as the dashboard, check and explain print them. */
export function predicateTexts(info: GatewayRouteInfo): string[] {
  const value = (m: ValueMatchSpec) => (m.type === 'Exact' ? `= ${JSON.stringify(m.value)}` : `~ /${m.value}/`);
  return [
    ...(info.ports === undefined ? [] : [`port ${info.ports.join(' or ')}`]),
    ...(info.method === '' ? [] : [`method ${info.method}`]),
    ...info.headers.map((h) => `header ${h.name} ${value(h)}`),
    ...info.queryParams.map((q) => `query ${q.name} ${value(q)}`),
  ];
}

export function gatewayRouteView(route: RouteSpec): GatewayRouteView | undefined {
  const info = route.gateway;
  if (info === undefined) return undefined;
  return {
    object: `${info.kind} ${route.namespace}/${route.ingress}`,
    rule: info.rule,
    ...(info.ruleName === undefined ? {} : { ruleName: info.ruleName }),
    match: info.match,
    predicates: predicateTexts(info),
  };
}

export function routesView(spec: RouteTableSpec): RoutesView {
  return {
    version: spec.version,
    hosts: spec.hosts.map(({ host, routes }) => ({ host, routes: routes.map((route) => routeView(route, spec)) })),
    defaultRoute: spec.defaultRoute === null ? null : routeView(spec.defaultRoute, spec),
    backends: Object.values(spec.backends)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((b) => ({
        key: b.key,
        service: serviceName(b),
        port: b.servicePort,
        protocol: b.protocol,
        endpoints: b.endpoints.map((e) => ({ address: formatEndpoint(e), ready: e.ready, pod: e.target ?? null })),
      })),
    certificates: spec.certificates.map((c) => ({ secret: c.secret, hosts: [...c.hosts] })),
  };
}
