// Every annotation of ingress-nginx's annotation reference (and the aliases its parsers accept), with
// what Tideway does with it. This one table drives the diagnostics on served Ingresses, the migration
// report of `tideway check --ingress-nginx-compat` and docs/migrating-from-ingress-nginx.md (a test
// checks that the page lists every row).
//
//   supported  same behaviour as ingress-nginx;
//   partly     served, but something differs (`note` says what);
//   not        ignored (`note` says why).
// `harmless` marks nginx-internal tuning whose absence clients cannot see (buffers, log switches):
// such an annotation is reported but never counts as a behaviour change.

export type NginxAnnotationStatus = 'supported' | 'partly' | 'not';

export interface NginxAnnotation {
  /** Name after the prefix ("rewrite-target"). */
  name: string;
  status: NginxAnnotationStatus;
  /** How it maps (supported), what differs (partly) or why it is ignored (not). */
  note: string;
  harmless?: boolean;
  /** Snippets: raw nginx configuration, never executed. */
  snippet?: boolean;
  /** For "partly": the values Tideway serves exactly as ingress-nginx does. */
  exactFor?: RegExp;
}

const s = (name: string, note: string): NginxAnnotation => ({ name, status: 'supported', note });
const p = (name: string, note: string, exactFor?: RegExp): NginxAnnotation => (exactFor ? { name, status: 'partly', note, exactFor } : { name, status: 'partly', note });
const n = (name: string, note: string, harmless = false): NginxAnnotation => (harmless ? { name, status: 'not', note, harmless } : { name, status: 'not', note });
const snippet = (name: string): NginxAnnotation => ({ name, status: 'not', note: 'raw nginx configuration is never executed; the rest of the Ingress is served without it', snippet: true });

const NO_NGINX = 'Tideway is not nginx: there is no such buffer or setting to tune';

export const NGINX_ANNOTATIONS: readonly NginxAnnotation[] = [
  // paths and redirects
  s('rewrite-target', 'tideway.dev/rewrite-target: the whole path becomes the target, with the path regex\'s capture groups; implies use-regex'),
  s('use-regex', 'tideway.dev/use-regex: ImplementationSpecific paths are regexes, anchored at the start and case-insensitive'),
  s('app-root', 'tideway.dev/app-root: "/" answers 302 to the application root'),
  s('ssl-redirect', 'tideway.dev/ssl-redirect: an Ingress with TLS redirects http to https (308) unless "false"'),
  s('force-ssl-redirect', 'redirects http to https (308) even when the Ingress has no TLS section'),
  s('permanent-redirect', 'tideway.dev/permanent-redirect'),
  s('permanent-redirect-code', 'tideway.dev/permanent-redirect-code (default 301)'),
  s('temporal-redirect', 'tideway.dev/temporal-redirect'),
  s('temporal-redirect-code', 'tideway.dev/temporal-redirect-code (default 302)'),
  s('from-to-www-redirect', 'the www. twin of each host (or the bare name of a www. host) answers 308 to the host, unless an Ingress serves that name'),
  s('x-forwarded-prefix', 'sets the X-Forwarded-Prefix request header to the value'),
  n('preserve-trailing-slash', 'only changes the Location of nginx\'s own https redirect; Tideway\'s https redirect always keeps the path as sent', true),
  n('use-port-in-redirects', 'Tideway\'s own redirects keep the Host the client sent', true),
  // upstreams
  s('backend-protocol', 'tideway.dev/backend-protocol: HTTP, HTTPS, GRPC, GRPCS, H2C'),
  s('upstream-vhost', 'sets the Host header sent to the backend'),
  n('service-upstream', 'not implemented: Tideway always balances over the ready endpoints of the Service'),
  p('load-balance', 'Tideway balances round robin over the ready endpoints (skipping ejected ones): "round_robin" (the default) is exact, "ewma" is served as round robin', /^round_robin$/),
  s('upstream-hash-by', 'consistent (rendezvous) hashing of the key over the ready endpoints: text and $request_uri, $uri, $args, $host, $scheme, $remote_addr, $http_<header>, $cookie_<name>, $arg_<name>; a key keeps its endpoint while that endpoint is usable (an ejected one: round robin); an affinity cookie wins'),
  n('upstream-hash-by-subset', 'not implemented: each key goes to one endpoint, not to any endpoint of a subset'),
  n('upstream-hash-by-subset-size', 'not implemented: each key goes to one endpoint, not to any endpoint of a subset'),
  s('proxy-connect-timeout', 'tideway.dev/proxy-connect-timeout (seconds, as ingress-nginx)'),
  s('proxy-read-timeout', 'tideway.dev/proxy-read-timeout (seconds, as ingress-nginx)'),
  p('proxy-send-timeout', 'Tideway has no separate send timeout: writes to the backend are bounded by the read timeout'),
  p('proxy-next-upstream', 'Tideway retries idempotent requests on connect errors and resets with its own policy; the listed conditions are not read'),
  p('proxy-next-upstream-timeout', 'read but not enforced separately: the retry policy bounds attempts by the read timeout'),
  p('proxy-next-upstream-tries', 'read but not enforced separately: the retry policy bounds the number of attempts'),
  n('proxy-request-buffering', 'Tideway streams request bodies to the backend (as "off")', true),
  s('proxy-body-size', 'tideway.dev/proxy-body-size: larger bodies answer 413; "0" is unlimited'),
  n('client-body-buffer-size', NO_NGINX, true),
  n('proxy-buffering', NO_NGINX, true),
  n('proxy-buffers-number', NO_NGINX, true),
  n('proxy-buffer-size', NO_NGINX, true),
  n('proxy-busy-buffers-size', NO_NGINX, true),
  n('proxy-max-temp-file-size', NO_NGINX, true),
  n('proxy-http-version', 'Tideway speaks HTTP/1.1 (or HTTP/2 for h2c and gRPC) to backends', true),
  s('proxy-cookie-domain', '"<from> <to>": a Set-Cookie Domain equal to <from> becomes <to>; "off" leaves it'),
  s('proxy-cookie-path', '"<from> <to>": a Set-Cookie Path starting with <from> gets <to> in its place; "off" leaves it'),
  p('proxy-redirect-from', 'a Location starting with the value gets proxy-redirect-to in its place; "default" (nginx\'s rewrite of the proxied URL) leaves Location as the backend sent it', /^(?!default$)/),
  s('proxy-redirect-to', 'see proxy-redirect-from'),
  s('proxy-ssl-secret', 'tideway.dev/backend-ca-secret: with proxy-ssl-verify "on", the Secret\'s ca.crt verifies HTTPS and GRPCS backends and its tls.crt and tls.key (when present) are the client certificate presented to them'),
  p('proxy-ssl-verify', '"on" verifies with proxy-ssl-secret\'s ca.crt and presents its client certificate; with "off" (the default) nothing is verified and no client certificate is presented (ingress-nginx still presents proxy-ssl-secret\'s)', /^on$/),
  s('proxy-ssl-name', 'tideway.dev/backend-tls-server-name: the name checked in the backend certificate'),
  p('proxy-ssl-server-name', 'SNI (proxy-ssl-name, or <service>.<namespace>.svc) is sent exactly when the backend is verified (proxy-ssl-verify "on"), whatever this value'),
  n('proxy-ssl-ciphers', 'Node\'s default cipher list is used', true),
  n('proxy-ssl-protocols', 'Node\'s default TLS versions (1.2 and 1.3) are used', true),
  n('proxy-ssl-verify-depth', 'Node verifies the whole chain', true),
  p('default-backend', 'paths whose Service has no ready endpoint (or does not exist) go to this Service (its first port); custom-http-errors answers do not go to it'),
  p('custom-http-errors', 'backend answers with these statuses keep their status and get Tideway\'s short plain-text body; they are not sent to the default backend for a custom page'),
  n('disable-proxy-intercept-errors', 'Tideway never intercepts backend errors', true),
  n('connection-proxy-header', 'Tideway manages the Connection header to backends itself', true),
  n('fastcgi-index', 'FastCGI backends are not supported'),
  n('fastcgi-params-configmap', 'FastCGI backends are not supported'),
  // access
  s('whitelist-source-range', 'tideway.dev/allow-source-range: other clients get 403; a bad CIDR denies everyone'),
  s('allowlist-source-range', 'tideway.dev/allow-source-range, as whitelist-source-range'),
  s('denylist-source-range', 'tideway.dev/deny-source-range: listed clients get 403; a bad CIDR denies everyone'),
  p('auth-type', '"basic" is tideway.dev/auth-basic-secret; "digest" is not implemented and the Ingress answers 500 (fails closed)', /^basic$/i),
  s('auth-secret', 'the Secret of basic auth; "namespace/name" needs --allow-cross-namespace'),
  p('auth-secret-type', '"auth-file" (key "auth" holds htpasswd lines) is supported; "auth-map" fails closed (500)', /^auth-file$/),
  s('auth-realm', 'tideway.dev/auth-realm'),
  p('auth-url', 'tideway.dev/auth-url: a subrequest per request, $host, $scheme, $request_uri, $escaped_request_uri, $uri and $args replaced; 2xx lets the request through, 401 and 403 are answered to the client. Other answers of the auth service are passed to the client as they are (ingress-nginx answers 500), an unreachable auth service gets 503 (ingress-nginx: 500)'),
  s('auth-method', 'tideway.dev/auth-method'),
  s('auth-signin', 'tideway.dev/auth-signin: a 401 redirects there with ?rd=<original URL>, unless the URL already has rd; nginx variables as in auth-url'),
  s('auth-signin-redirect-param', 'tideway.dev/auth-signin-redirect-param: the query parameter of auth-signin that carries the original URL (default rd)'),
  s('auth-response-headers', 'tideway.dev/auth-response-headers: copied from the auth answer onto the upstream request'),
  s('auth-request-redirect', 'tideway.dev/auth-request-redirect: the X-Auth-Request-Redirect header sent to the auth service (default: the request\'s path and query)'),
  p('auth-cache-key', 'answers of the auth service are not cached: every request asks it (same decisions, more auth requests)'),
  p('auth-cache-duration', 'answers of the auth service are not cached: every request asks it'),
  n('auth-keepalive', 'Tideway keeps its own connection pool to the auth service', true),
  n('auth-keepalive-share-vars', 'Tideway keeps its own connection pool to the auth service', true),
  n('auth-keepalive-requests', 'Tideway keeps its own connection pool to the auth service', true),
  n('auth-keepalive-timeout', 'Tideway keeps its own connection pool to the auth service', true),
  n('auth-proxy-set-headers', 'not implemented: headers from a ConfigMap are not added to the auth request'),
  n('auth-always-set-cookie', 'not implemented: Set-Cookie of the auth answer is not passed to the client'),
  s('enable-global-auth', '"false" exempts the Ingress from the ConfigMap\'s global-auth-url'),
  n('auth-tls-secret', 'client certificate authentication is not implemented: with auth-tls-verify-client "on" (the default) the routes answer 500 (fail closed); with "optional", "optional_no_ca" or "off" the Ingress is served without asking for certificates'),
  n('auth-tls-verify-client', 'see auth-tls-secret'),
  n('auth-tls-verify-depth', 'not implemented: client certificates are not requested'),
  n('auth-tls-error-page', 'not implemented: client certificates are not requested'),
  n('auth-tls-pass-certificate-to-upstream', 'not implemented: client certificates are not requested'),
  n('auth-tls-match-cn', 'not implemented: client certificates are not requested'),
  p('satisfy', '"all" (the default) is what Tideway does; "any" (one of allowlist or auth suffices) is not implemented and both are required', /^all$/),
  // traffic
  p('limit-rps', 'token bucket per client IP, burst limit-rps x limit-burst-multiplier, rejected requests get 503; one budget per gateway instance across its workers (the rate-limit middleware local store), not per nginx zone'),
  p('limit-rpm', 'as limit-rps with a rate of limit-rpm / 60 per second; with limit-rps too, limit-rps wins'),
  p('limit-connections', 'concurrent requests per client address waiting for the backend\'s answer head (not TCP connections), 503 beyond; counted in each worker process, so with --workers N a client may have up to N times the limit in flight (nginx counts per instance); limit-allowlist is exempt'),
  s('limit-burst-multiplier', 'burst = rate x multiplier (default 5)'),
  s('limit-whitelist', 'tideway.dev/rate-limit-exempt-source-range: clients in these CIDRs are not limited'),
  s('limit-allowlist', 'as limit-whitelist (read first when both are set)'),
  n('limit-rate', 'not implemented: response bandwidth is not limited'),
  n('limit-rate-after', 'not implemented: response bandwidth is not limited'),
  s('canary', 'a canary Ingress shares its host and path with a main Ingress; its backend gets the requests the canary rules pick'),
  s('canary-by-header', '"always" and "never" decide, other values fall through to the cookie and the weight'),
  s('canary-by-header-value', 'the header\'s value that picks the canary'),
  s('canary-by-header-pattern', 'a regex on the header\'s value'),
  s('canary-by-cookie', '"always" and "never" decide'),
  s('canary-weight', 'the share of the other requests'),
  s('canary-weight-total', 'the total the weight is counted against (default 100)'),
  s('affinity', 'tideway.dev/affinity: "cookie" (the only type ingress-nginx has)'),
  p('affinity-mode', '"persistent" is what Tideway does: a session stays on its endpoint while that endpoint is ready; with "balanced" (the default) ingress-nginx also moves some sessions to new endpoints when the Service scales up, Tideway does not', /^persistent$/),
  n('affinity-canary-behavior', 'a canary pick is made before affinity, as "legacy"'),
  s('session-cookie-name', 'tideway.dev/session-cookie-name (default INGRESSCOOKIE)'),
  s('session-cookie-path', 'tideway.dev/session-cookie-path; without it, the cookie\'s Path is the Ingress path that set it (a regex path: "/"), as ingress-nginx\'s location path'),
  s('session-cookie-domain', 'tideway.dev/session-cookie-domain'),
  s('session-cookie-max-age', 'tideway.dev/session-cookie-max-age (seconds)'),
  p('session-cookie-expires', 'sent as Max-Age (seconds) instead of an Expires date; session-cookie-max-age wins'),
  s('session-cookie-secure', 'tideway.dev/session-cookie-secure'),
  s('session-cookie-samesite', 'tideway.dev/session-cookie-samesite'),
  n('session-cookie-conditional-samesite-none', 'not implemented: SameSite=None is sent to every browser'),
  p('session-cookie-change-on-failure', 'a request whose endpoint left always gets a new endpoint and a new cookie, as "true"', /^true$/),
  p('mirror-target', 'each request is copied (method, headers, its body up to 64 KiB) to the URL, with $request_uri, $escaped_request_uri, $uri, $args, $host, $scheme replaced; the copy\'s answer is ignored. A request with a larger body is not mirrored (logged at most every 10 s)'),
  p('mirror-request-body', '"off" is exact: copies without the body; "on" (the default) copies bodies up to 64 KiB, and requests with larger bodies are not mirrored', /^off$/),
  s('mirror-host', 'the Host header of the copy'),
  // CORS
  s('enable-cors', 'CORS answers with ingress-nginx\'s defaults (origin *, its methods and headers, max-age 1728000); with origin "*" no credentials header is sent, which browsers treat as ingress-nginx\'s "*" with credentials: refused'),
  s('cors-allow-origin', 'comma-separated origins, "*" and "https://*.example.com" wildcards; an invalid origin is an error and left out of the list (with none left, "*"), as in ingress-nginx'),
  s('cors-allow-methods', 'tideway.dev/cors-allow-methods'),
  s('cors-allow-headers', 'tideway.dev/cors-allow-headers'),
  s('cors-expose-headers', 'tideway.dev/cors-expose-headers'),
  s('cors-allow-credentials', 'tideway.dev/cors-allow-credentials (default true)'),
  s('cors-max-age', 'tideway.dev/cors-max-age (default 1728000)'),
  // headers and misc
  n('custom-headers', 'not implemented: a ConfigMap of response headers is not read; use a Tideway Middleware of type headers'),
  s('enable-access-log', 'tideway.dev/enable-access-log: "false" writes no access-log line for the Ingress\'s requests'),
  n('enable-rewrite-log', 'nginx\'s rewrite log does not exist in Tideway', true),
  p('server-alias', 'the aliases serve the Ingress\'s rules, unless an Ingress serves that name; TLS for an alias needs a certificate that covers it (a tls entry or --default-certificate)'),
  n('ssl-passthrough', 'not supported: Tideway terminates TLS; the Ingress is served as an ordinary HTTPS Ingress'),
  n('ssl-ciphers', 'Node\'s default cipher list is used', true),
  n('ssl-prefer-server-ciphers', 'Node\'s default is used', true),
  n('http2-push-preload', 'HTTP/2 server push is deprecated by browsers and not sent', true),
  n('enable-opentelemetry', 'tracing is switched for the whole gateway (--otlp-endpoint)', true),
  n('opentelemetry-trust-incoming-span', 'an incoming traceparent is always continued', true),
  n('opentelemetry-operation-name', 'span names are Tideway\'s', true),
  n('enable-modsecurity', 'not supported: there is no web application firewall in Tideway'),
  n('enable-owasp-core-rules', 'not supported: there is no web application firewall in Tideway'),
  n('modsecurity-transaction-id', 'not supported: there is no web application firewall in Tideway'),
  // never executed
  snippet('configuration-snippet'),
  snippet('server-snippet'),
  snippet('auth-snippet'),
  snippet('stream-snippet'),
  snippet('modsecurity-snippet'),
];

const BY_NAME = new Map(NGINX_ANNOTATIONS.map((a) => [a.name, a]));

export function nginxAnnotation(name: string): NginxAnnotation | undefined {
  return BY_NAME.get(name);
}

export interface Verdict {
  status: NginxAnnotationStatus;
  note: string;
  changesBehaviour: boolean;
}

/** What Tideway does with this annotation and value. */
export function assess(a: NginxAnnotation, value: string): Verdict {
  if (a.status === 'partly' && a.exactFor?.test(value.trim())) return { status: 'supported', note: a.note, changesBehaviour: false };
  return { status: a.status, note: a.note, changesBehaviour: a.status !== 'supported' && a.harmless !== true };
}
