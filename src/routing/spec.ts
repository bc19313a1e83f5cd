// The route table as data: what translate() produces and what the primary sends to workers (it must
// survive structured cloning, so no functions, classes or Maps). routing/compile.ts turns it into the
// precompiled matcher that requests read.

export type PathKind = 'Exact' | 'Prefix' | 'Regex';

/** Upstream protocol of a backend (DESIGN.md: Service port appProtocol, or the backend-protocol annotation). */
export type BackendProtocol = 'http' | 'https' | 'h2c' | 'grpc' | 'grpcs';

export interface EndpointSpec {
  address: string;
  port: number;
  /** false only for serving-but-terminating endpoints, used when no endpoint is ready (as kube-proxy does). */
  ready: boolean;
  /** "namespace/name" of the Pod, when the EndpointSlice says. */
  target?: string;
}

/** Verification of a TLS backend's certificate (tideway.dev/backend-ca-secret). */
export interface BackendTlsSpec {
  /** "namespace/name" of the Secret holding ca.crt. */
  caSecret: string;
  caPem: string;
  /** Name sent as SNI and checked against the backend's certificate, unless subjectAltNames is set. */
  serverName: string;
  /**
   * Names the certificate must carry one of, checked instead of serverName: "DNS:host" (a leading "*."
   * matches that wildcard entry) or "URI:uri" (BackendTLSPolicy validation.subjectAltNames).
   */
  subjectAltNames?: string[];
  /** Presented to the backend (a Gateway's spec.tls.backend.clientCertificateRef). */
  clientCertificate?: ClientCertificateSpec;
}

/** A client certificate and its key, from a TLS Secret. */
export interface ClientCertificateSpec {
  /** "namespace/name" of the Secret. */
  secret: string;
  certPem: string;
  keyPem: string;
}

export interface BackendSpec {
  /** Unique key: "namespace/service:port" where port is the Service port number or name as written. */
  key: string;
  namespace: string;
  service: string;
  /** The Service port (number) the Ingress pointed at, after resolving a name. */
  servicePort: number;
  protocol: BackendProtocol;
  /** Usable endpoints, in a stable order: ready ones, or (when none is ready) serving-terminating ones. */
  endpoints: EndpointSpec[];
  /** Set when the backend's TLS certificate is verified; absent: TLS backends are not verified. */
  tls?: BackendTlsSpec;
}

/** Per-route proxy settings from annotations (DESIGN.md contracts); all durations in milliseconds. */
export interface RouteOptions {
  connectTimeoutMs: number;
  /** Time allowed for the upstream to send response headers, and the idle time between body reads. */
  readTimeoutMs: number;
  /** Idle time after which an upgraded connection (WebSocket) is closed. */
  tunnelIdleTimeoutMs: number;
  /** Max request body size in bytes; 0 means unlimited. */
  maxBodyBytes: number;
  /** Redirect plain HTTP to HTTPS with 308 (hosts listed in spec.tls unless ssl-redirect is "false"). */
  sslRedirect: boolean;
  /** Strict-Transport-Security value added to HTTPS responses (tideway.dev/hsts), or null for none. */
  hsts: string | null;
  /** false: no access-log line for this route (ingress-nginx's enable-access-log "false"); absent: logged. */
  accessLog?: false;
  /** The route's own retry policy (HTTPRoute rules[].retry); absent: the backend's default policy. */
  retry?: RouteRetrySpec;
  /**
   * A deadline on the whole exchange (HTTPRoute timeouts.request), from the request's head to the end
   * of the response, retries included: 504 before the response head, the response cut after it.
   * Absent: none (upgrades are never bound by it).
   */
  requestTimeoutMs?: number;
}

/**
 * When a request of this route is tried again (Gateway API HTTPRouteRetry). Retries stay within the
 * route's read timeout and the backend's retry budget; only idempotent requests are retried once bytes
 * were sent, as for every route.
 */
export interface RouteRetrySpec {
  /** Retries after the first try (the spec's attempts). */
  retries: number;
  /** Upstream statuses whose answer is dropped and the request tried again. */
  codes: number[];
  /** Wait before each retry, in milliseconds. */
  backoffMs: number;
  /** Each try's own timeout (timeouts.backendRequest); a try that runs out is retried. 0: none. */
  tryTimeoutMs: number;
}

/** Middleware configuration attached to a route, resolved at translate time (see middleware/). */
export interface MiddlewareSpec {
  /** Built-in type ("rate-limit", "basic-auth", ...) or a plugin-registered name. */
  type: string;
  /** "namespace/name" of the Middleware object, or "annotations" for annotation-made ones. */
  source: string;
  config: Record<string, unknown>;
}

export interface RouteSpec {
  /** Stable id: "namespace/ingress#rule.path" (or "namespace/ingress#default" for spec.defaultBackend). */
  id: string;
  namespace: string;
  ingress: string;
  /** Host as written in the rule ("" for a rule without host), lower-cased. */
  host: string;
  /** Path as written (regex source for Regex); "" for default backends. */
  path: string;
  kind: PathKind;
  /** Key into RouteTableSpec.backends; null when the backend could not be resolved (served as 503). */
  backend: string | null;
  options: RouteOptions;
  middlewares: MiddlewareSpec[];
  /** Gateway API routes only: what made the route, and the predicates checked after host and path. */
  gateway?: GatewayRouteInfo;
}

/** A header or query-parameter predicate of an HTTPRoute or GRPCRoute match. */
export interface ValueMatchSpec {
  /** Header names compare case-insensitively (stored lower-case); query parameter names exactly. */
  name: string;
  type: 'Exact' | 'RegularExpression';
  value: string;
}

export interface GatewayRouteInfo {
  kind: 'HTTPRoute' | 'GRPCRoute';
  /** Index of the rule in spec.rules, and its name when the rule has one. */
  rule: number;
  ruleName?: string;
  /** Index of the match in the rule's matches (-1: a rule without matches). */
  match: number;
  /**
   * The Gateway listener ports (as written: 80, 443, 8080...) whose listeners serve this host, when
   * Tideway's Gateways listen on others too: requests arriving on another port do not match (listener
   * isolation). Absent: every port.
   */
  ports?: number[];
  /** Request method that must match exactly ("" for any). */
  method: string;
  headers: ValueMatchSpec[];
  queryParams: ValueMatchSpec[];
  /**
   * Rank among the routes of the same host and path with the same number of predicates: lower wins.
   * translate() numbers routes in the spec's order (oldest route, then namespace/name, then rule order).
   */
  order: number;
}

export interface TlsCertificateSpec {
  /** Hosts this certificate serves (exact or "*.example.com"); [] for the default certificate (a spec.tls entry without hosts). */
  hosts: string[];
  /** "namespace/name" of the Secret. */
  secret: string;
  certPem: string;
  keyPem: string;
}

export interface RouteTableSpec {
  /** Assigned by the runtime when the snapshot is published; 0 until then. */
  version: number;
  /** Routes grouped by host; host "" holds rules without host. Order within a host is not significant. */
  hosts: { host: string; routes: RouteSpec[] }[];
  /** spec.defaultBackend of the winning Ingress: serves requests no rule matched. */
  defaultRoute: RouteSpec | null;
  backends: Record<string, BackendSpec>;
  certificates: TlsCertificateSpec[];
  /** Gateway listener ports other than 80 and 443, each bound as written (plain HTTP); absent: none. */
  listenerPorts?: number[];
  /**
   * Gateway HTTPS listener ports other than 443, each bound as written: TLS with the table's
   * certificates, chosen by SNI as on 443; absent: none.
   */
  tlsListenerPorts?: number[];
  /** The operator's --default-certificate Secret, when it is usable: served before a hostless spec.tls entry. */
  defaultCertificate?: TlsCertificateSpec;
  /** Client certificate validation of Gateway HTTPS listeners (spec.tls.frontend); absent: none. */
  clientValidation?: ClientValidationSpec[];
}

/** TLS handshakes for `hosts` on Gateway port `port` ask for a client certificate, verified against `caPem`. */
export interface ClientValidationSpec {
  /** The listener port as written in the Gateway (443, 8443...). */
  port: number;
  /** Listener hostnames (exact or "*.example.com", any depth); "" for a listener without hostname: every name. */
  hosts: string[];
  caPem: string;
  /** AllowValidOnly: no valid certificate, no connection; AllowInsecureFallback: the connection is served anyway. */
  mode: 'AllowValidOnly' | 'AllowInsecureFallback';
  /** "Gateway namespace/name", for logs. */
  source: string;
}
