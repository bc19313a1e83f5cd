// ingress-nginx's annotations on one Ingress -> the tideway.dev/ annotations (and the few extras) that
// give the same behaviour, following ingress-nginx's documented semantics and defaults. A tideway.dev/
// annotation that is set wins over its nginx counterpart. Everything the table marks as approximated
// or ignored becomes a warning naming the annotation; a malformed value is an error, after which the
// default applies, except for access control (auth, allowlists), which fails closed.
import type { MiddlewareSpec } from '../../routing/spec.ts';
import { BUILTIN_CONFIG_PARSERS, MiddlewareConfigError, type SpecProblem } from '../../middleware/config/index.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import type { NginxGlobals } from './configmap.ts';
import { assess, nginxAnnotation } from './table.ts';
import { splitOrigins, VALUE_SHAPES } from './values.ts';

export const DEFAULT_NGINX_PREFIX = 'nginx.ingress.kubernetes.io';

/** What an Ingress's nginx annotations add to its translation. */
export interface NginxTranslation {
  /** The Ingress's annotations with the nginx ones turned into tideway.dev/ ones. */
  annotations: Record<string, unknown>;
  /**
   * tideway.dev/ name -> the field of what it came from (an nginx annotation, or a key of ingress-nginx's
   * ConfigMap), so that diagnostics name what the user wrote.
   */
  origins: Map<string, string>;
  /** force-ssl-redirect: redirect to https even without a TLS section. */
  forceSslRedirect: boolean;
  /** Middlewares with no tideway.dev/ annotation (X-Forwarded-Prefix, upstream Host), run first. */
  extra: MiddlewareSpec[];
  /** Access control that cannot be honoured: the Ingress's routes deny. */
  problems: SpecProblem[];
  /** canary: "true": this Ingress adds a canary to another Ingress's paths instead of routes of its own. */
  canary: boolean;
  /** default-backend: a Service of the Ingress's namespace for paths whose Service has no endpoint. */
  defaultBackend: string | null;
  /** affinity without session-cookie-path: each path's cookie gets that path (nginx's location path). */
  cookiePathPerLocation: boolean;
}

// ingress-nginx's defaults (internal/ingress/annotations/cors and ratelimit).
const CORS_DEFAULTS: Record<string, string> = {
  'cors-allow-origin': '*',
  'cors-allow-methods': 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
  'cors-allow-headers': 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization',
  'cors-allow-credentials': 'true',
  'cors-max-age': '1728000',
};
const CORS_NAMES = Object.keys(CORS_DEFAULTS).concat('cors-expose-headers');
const DEFAULT_BURST_MULTIPLIER = 5;
const DEFAULT_AFFINITY_COOKIE = 'INGRESSCOOKIE';

/** Same meaning, same value format: the nginx value is copied under the tideway.dev/ name. */
const RENAMED: Record<string, string> = {
  'use-regex': 'use-regex',
  'enable-access-log': 'enable-access-log',
  'ssl-redirect': 'ssl-redirect',
  'backend-protocol': 'backend-protocol',
  'rewrite-target': 'rewrite-target',
  'app-root': 'app-root',
  'permanent-redirect': 'permanent-redirect',
  'permanent-redirect-code': 'permanent-redirect-code',
  'temporal-redirect': 'temporal-redirect',
  'temporal-redirect-code': 'temporal-redirect-code',
  'proxy-connect-timeout': 'proxy-connect-timeout',
  'proxy-read-timeout': 'proxy-read-timeout',
  'proxy-body-size': 'proxy-body-size',
  'denylist-source-range': 'deny-source-range',
  'auth-url': 'auth-url',
  'auth-method': 'auth-method',
  'auth-signin': 'auth-signin',
  'auth-response-headers': 'auth-response-headers',
  'auth-signin-redirect-param': 'auth-signin-redirect-param',
  'auth-request-redirect': 'auth-request-redirect',
  'affinity': 'affinity',
  'session-cookie-name': 'session-cookie-name',
  'session-cookie-path': 'session-cookie-path',
  'session-cookie-domain': 'session-cookie-domain',
  'session-cookie-max-age': 'session-cookie-max-age',
  'session-cookie-secure': 'session-cookie-secure',
  'session-cookie-samesite': 'session-cookie-samesite',
};

function annotationKey(prefix: string, name: string): string {
  return `${prefix}/${name}`;
}

export function annotationField(key: string): string {
  return `metadata.annotations[${JSON.stringify(key)}]`;
}

class NginxReader {
  readonly result: NginxTranslation;
  private readonly nginx: Map<string, string>;
  private readonly prefix: string;
  private readonly diag: ObjectDiagnostics;
  readonly namespace: string;

  constructor(annotations: Record<string, unknown>, prefix: string, namespace: string, diag: ObjectDiagnostics) {
    this.prefix = prefix;
    this.diag = diag;
    this.namespace = namespace;
    this.nginx = new Map();
    const rest: Record<string, unknown> = {};
    const start = `${prefix}/`;
    for (const [key, value] of Object.entries(annotations)) {
      if (!key.startsWith(start)) rest[key] = value;
      else if (typeof value === 'string') this.nginx.set(key.slice(start.length), value);
      else diag.error(annotationField(key), 'InvalidAnnotation', `must be a string, got ${JSON.stringify(value)}; it is ignored`);
    }
    this.result = { annotations: rest, origins: new Map(), forceSslRedirect: false, extra: [], problems: [], canary: false, defaultBackend: null, cookiePathPerLocation: false };
  }

  names(): string[] {
    return [...this.nginx.keys()].sort();
  }

  value(name: string): string | undefined {
    return this.nginx.get(name)?.trim();
  }

  field(name: string): string {
    return annotationField(annotationKey(this.prefix, name));
  }

  /** Sets tideway.dev/<target> from nginx's <name> unless the tideway.dev/ annotation is set. */
  set(target: string, value: string, name: string): void {
    const key = `tideway.dev/${target}`;
    if (key in this.result.annotations && !this.result.origins.has(target)) return;
    this.result.annotations[key] = value;
    this.result.origins.set(target, this.field(name));
  }

  /** Sets tideway.dev/<target> from a key of ingress-nginx's ConfigMap unless it is already set. */
  setGlobal(target: string, value: string, origin: string): void {
    const key = `tideway.dev/${target}`;
    if (key in this.result.annotations) return;
    this.result.annotations[key] = value;
    this.result.origins.set(target, origin);
  }

  /** Whether the Ingress sets tideway.dev/<name> itself, or through an nginx annotation. */
  has(name: string): boolean {
    return `tideway.dev/${name}` in this.result.annotations;
  }

  invalid(name: string, message: string, consequence = 'the default applies'): void {
    this.diag.error(this.field(name), 'InvalidAnnotation', `${message}; ${consequence}`);
  }

  /** The value, or undefined after reporting one without the shape its middleware accepts (values.ts). */
  checked(name: string): string | undefined {
    const value = this.value(name);
    const shape = VALUE_SHAPES[name];
    if (value === undefined || shape === undefined) return value;
    const accepted = shape.accept(value);
    if (accepted === null) this.invalid(name, `expected ${shape.expected}, got ${JSON.stringify(value)}`);
    return accepted ?? undefined;
  }

  /**
   * Adds a middleware with no tideway.dev/ annotation, checked by its own parser first: a value the
   * mapping let through but the middleware refuses is reported on `name` (failing closed for limits).
   */
  extra(type: string, config: Record<string, unknown>, name: string, failClosed: boolean): void {
    try {
      BUILTIN_CONFIG_PARSERS[type]!(config);
    } catch (err) {
      if (!(err instanceof MiddlewareConfigError)) throw err;
      if (failClosed) this.failClosed(name, err.message);
      else this.invalid(name, err.message);
      return;
    }
    this.result.extra.push({ type, source: 'annotations', config });
  }

  /** Access control that cannot be honoured: reported, and the Ingress's routes deny. */
  failClosed(name: string, message: string): void {
    this.result.problems.push({ field: this.field(name), reason: 'InvalidAnnotation', message, missing: false });
  }

  unused(names: readonly string[], needs: string): void {
    for (const name of names) {
      if (this.nginx.has(name)) this.diag.warning(this.field(name), 'IgnoredAnnotation', `has no effect without ${annotationKey(this.prefix, needs)}`);
    }
  }

  warnPerTable(name: string): void {
    const entry = nginxAnnotation(name);
    const key = annotationKey(this.prefix, name);
    if (entry === undefined) {
      this.diag.warning(this.field(name), 'UnknownAnnotation', `${key} is not an ingress-nginx annotation Tideway knows; it is ignored`);
      return;
    }
    const verdict = assess(entry, this.nginx.get(name) ?? '');
    if (entry.snippet) this.diag.warning(this.field(name), 'SnippetIgnored', `${key}: nginx configuration snippets are never executed; the rest of the Ingress is served without it`);
    else if (verdict.changesBehaviour) {
      const reason = verdict.status === 'not' ? 'NginxAnnotationIgnored' : 'NginxAnnotationApproximated';
      this.diag.warning(this.field(name), reason, `${verdict.status === 'not' ? 'ignored' : 'approximated'}: ${verdict.note}`);
    }
  }
}

function isTrue(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}

function wholeNumber(r: NginxReader, name: string): number | undefined {
  const value = r.value(name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    r.invalid(name, `expected a whole number, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return Number(value);
}

function booleanValue(r: NginxReader, name: string): boolean | undefined {
  const value = r.value(name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') {
    r.invalid(name, `expected "true" or "false", got ${JSON.stringify(value)}`);
    return undefined;
  }
  return value === 'true';
}

function renamed(r: NginxReader): void {
  for (const name of r.names()) {
    const target = RENAMED[name];
    const value = target === undefined ? undefined : r.checked(name);
    if (value !== undefined) r.set(target!, value, name);
  }
}

/** rewrite-target makes the Ingress's paths regexes, as in ingress-nginx. */
function regexPaths(r: NginxReader): void {
  if (r.value('rewrite-target') !== undefined && r.value('use-regex') === undefined) r.set('use-regex', 'true', 'rewrite-target');
}

function sslRedirect(r: NginxReader, forced: boolean): void {
  r.result.forceSslRedirect = booleanValue(r, 'force-ssl-redirect') ?? forced;
}

function ipRanges(r: NginxReader): void {
  // allowlist-source-range is the newer name; ingress-nginx reads it first.
  const name = r.value('allowlist-source-range') !== undefined ? 'allowlist-source-range' : 'whitelist-source-range';
  const value = r.value(name);
  if (value === undefined) return;
  // An empty list in ingress-nginx is no filter at all; say so rather than deny everyone.
  if (value === '') {
    r.invalid(name, 'is empty: no address is filtered');
    return;
  }
  r.set('allow-source-range', value, name);
}

function basicAuth(r: NginxReader): void {
  const type = r.value('auth-type')?.toLowerCase();
  if (type === undefined) {
    r.unused(['auth-secret', 'auth-secret-type', 'auth-realm'], 'auth-type');
    return;
  }
  if (type === 'digest') return r.failClosed('auth-type', 'digest authentication is not implemented; the routes deny rather than serve without authentication');
  if (type !== 'basic') return r.failClosed('auth-type', `expected "basic" or "digest", got ${JSON.stringify(type)}`);
  const secretType = r.value('auth-secret-type') ?? 'auth-file';
  if (secretType === 'auth-map') return r.failClosed('auth-secret-type', 'auth-map Secrets are not implemented; use auth-file (htpasswd lines under the key "auth")');
  if (secretType !== 'auth-file') return r.failClosed('auth-secret-type', `expected "auth-file" or "auth-map", got ${JSON.stringify(secretType)}`);
  const secret = r.value('auth-secret');
  if (secret === undefined || secret === '') return r.failClosed('auth-type', `needs ${annotationKey('nginx.ingress.kubernetes.io', 'auth-secret')}: basic authentication without users`);
  r.set('auth-basic-secret', secret, 'auth-secret');
  const realm = r.value('auth-realm');
  if (realm !== undefined) r.set('auth-realm', realm, 'auth-realm');
}

/**
 * Client certificate authentication is not implemented. With auth-tls-verify-client "on" (the
 * default) ingress-nginx refuses clients without a valid certificate: serving them would turn an
 * authenticated Ingress into an open one, so the routes deny instead.
 */
function clientCertificates(r: NginxReader): void {
  if (r.value('auth-tls-secret') === undefined) return;
  const verify = (r.value('auth-tls-verify-client') ?? 'on').toLowerCase();
  if (verify === 'on') r.failClosed('auth-tls-secret', 'client certificate authentication is not implemented; the routes deny rather than serve without it');
}

function cors(r: NginxReader): void {
  const enabled = booleanValue(r, 'enable-cors');
  if (enabled !== true) {
    r.unused(CORS_NAMES, 'enable-cors');
    return;
  }
  r.set('enable-cors', 'true', 'enable-cors');
  const origin = allowedOrigins(r);
  if (origin !== undefined) r.set('cors-allow-origin', origin, 'cors-allow-origin');
  for (const name of CORS_NAMES) {
    if (name === 'cors-allow-origin') continue;
    // ingress-nginx sends "credentials: true" with origin "*", which browsers refuse to honour;
    // Tideway leaves it out there, with the same effect for browsers.
    if (name === 'cors-allow-credentials' && (origin ?? '*') === '*') continue;
    const own = r.checked(name);
    const value = own ?? CORS_DEFAULTS[name];
    if (value !== undefined) r.set(name, value, own === undefined ? 'enable-cors' : name);
  }
}

/**
 * cors-allow-origin as ingress-nginx reads it: invalid origins are left out of the list, and a list
 * with none left is the default "*". Undefined: the default.
 */
function allowedOrigins(r: NginxReader): string | undefined {
  const value = r.value('cors-allow-origin');
  if (value === undefined) return undefined;
  const { valid, invalid } = splitOrigins(value);
  if (invalid.length === 0) return valid.join(', ');
  const message = `expected origins such as "https://app.example.com" or "https://*.example.com", got ${invalid.map((o) => JSON.stringify(o)).join(', ')}`;
  if (valid.length === 0) {
    r.invalid('cors-allow-origin', message);
    return undefined;
  }
  r.invalid('cors-allow-origin', message, 'those are left out, as ingress-nginx does');
  return valid.join(', ');
}

/** limit-connections: concurrent requests per client address, with limit-allowlist exempt. */
function connectionLimit(r: NginxReader, scope: string): void {
  const max = wholeNumber(r, 'limit-connections');
  if (!max) return;
  const config: Record<string, unknown> = { scope, max, statusCode: 503 };
  const allow = r.value('limit-allowlist') ?? r.value('limit-whitelist');
  if (allow) config.exemptSourceRanges = allow.split(',').map((s) => s.trim()).filter(Boolean);
  r.extra('concurrency-limit', config, 'limit-connections', true);
}

function rateLimit(r: NginxReader, status: number): void {
  const rps = wholeNumber(r, 'limit-rps');
  const rpm = wholeNumber(r, 'limit-rpm');
  const multiplier = wholeNumber(r, 'limit-burst-multiplier') ?? DEFAULT_BURST_MULTIPLIER;
  const name = rps ? 'limit-rps' : rpm ? 'limit-rpm' : null;
  if (name === null) {
    r.unused(['limit-burst-multiplier'], 'limit-rps');
    if (r.value('limit-connections') === undefined) r.unused(['limit-whitelist', 'limit-allowlist'], 'limit-rps');
    return;
  }
  const perSecond = rps ? rps : rpm! / 60;
  const burst = Math.max(1, (rps ? rps : rpm!) * Math.max(1, multiplier));
  r.set('rate-limit-rps', String(perSecond), name);
  r.set('rate-limit-burst', String(burst), 'limit-burst-multiplier');
  r.set('rate-limit-status-code', String(status), name);
  // limit-allowlist is the newer name of limit-whitelist; ingress-nginx reads it first.
  const allowName = r.value('limit-allowlist') !== undefined ? 'limit-allowlist' : 'limit-whitelist';
  const allow = r.value(allowName);
  if (allow) r.set('rate-limit-exempt-source-range', allow, allowName);
}

function affinity(r: NginxReader): void {
  if (r.value('affinity') === undefined) return;
  // A bad session-cookie-name was reported and not passed on: ingress-nginx's default name applies.
  if (!r.has('session-cookie-name')) r.set('session-cookie-name', DEFAULT_AFFINITY_COOKIE, 'affinity');
  // Two Ingresses of one host with affinity then keep apart cookies of the same name, as in ingress-nginx.
  r.result.cookiePathPerLocation = !r.has('session-cookie-path');
  const expires = r.value('session-cookie-expires');
  if (expires !== undefined && r.value('session-cookie-max-age') === undefined) {
    if (/^\d+$/.test(expires)) r.set('session-cookie-max-age', expires, 'session-cookie-expires');
    else r.invalid('session-cookie-expires', `expected seconds, got ${JSON.stringify(expires)}`);
  }
}

/** proxy-ssl-secret is a CA to verify with only when proxy-ssl-verify is "on" (its default is "off"). */
function backendTls(r: NginxReader): void {
  const secret = r.value('proxy-ssl-secret');
  const verify = r.value('proxy-ssl-verify')?.toLowerCase();
  if (verify !== undefined && verify !== 'on' && verify !== 'off') r.invalid('proxy-ssl-verify', `expected "on" or "off", got ${JSON.stringify(verify)}`);
  if (secret === undefined || verify !== 'on') return;
  // ingress-nginx writes "namespace/name"; Tideway's CA Secret lives in the Ingress's namespace.
  const slash = secret.indexOf('/');
  if (slash >= 0 && secret.slice(0, slash) !== r.namespace) {
    r.failClosed('proxy-ssl-secret', `Secret ${secret} is not in the Ingress's namespace; backends cannot be verified with it`);
    return;
  }
  r.set('backend-ca-secret', slash >= 0 ? secret.slice(slash + 1) : secret, 'proxy-ssl-secret');
  const name = r.value('proxy-ssl-name');
  if (name !== undefined) r.set('backend-tls-server-name', name, 'proxy-ssl-name');
}

const HEADER_VALUE = /^[^\r\n\0]+$/;

function requestHeaders(r: NginxReader): void {
  const set: Record<string, string> = {};
  for (const [name, header] of [['x-forwarded-prefix', 'X-Forwarded-Prefix'], ['upstream-vhost', 'Host']] as const) {
    const value = r.value(name);
    if (value === undefined) continue;
    if (HEADER_VALUE.test(value)) set[header] = value;
    else r.invalid(name, `expected a header value, got ${JSON.stringify(value)}`);
  }
  if (Object.keys(set).length > 0) r.extra('headers', { request: { set } }, 'x-forwarded-prefix', false);
}

const SERVICE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** "from to" (nginx's proxy_cookie_path / proxy_cookie_domain); "off" is none. */
function pair(r: NginxReader, name: string): { from: string; to: string } | null {
  const value = r.value(name);
  if (value === undefined || value.toLowerCase() === 'off') return null;
  const parts = value.split(/\s+/);
  if (parts.length === 2) return { from: parts[0]!, to: parts[1]! };
  r.invalid(name, `expected "off" or "<from> <to>", got ${JSON.stringify(value)}`);
  return null;
}

/** proxy-redirect-from/-to, proxy-cookie-path, proxy-cookie-domain -> one proxy-rewrite middleware. */
function proxyRewrite(r: NginxReader): void {
  const config: Record<string, unknown> = {};
  const from = r.value('proxy-redirect-from');
  // "off" and "default" (nginx's own proxy_pass-based rewrite) leave Location alone.
  if (from !== undefined && from !== 'off' && from !== 'default') {
    const to = r.value('proxy-redirect-to');
    if (to === undefined) r.invalid('proxy-redirect-from', 'needs proxy-redirect-to');
    else config.location = { from, to };
  }
  const cookiePath = pair(r, 'proxy-cookie-path');
  const cookieDomain = pair(r, 'proxy-cookie-domain');
  if (cookiePath !== null) config.cookiePath = cookiePath;
  if (cookieDomain !== null) config.cookieDomain = cookieDomain;
  if (Object.keys(config).length > 0) r.extra('proxy-rewrite', config, 'proxy-redirect-from', false);
}

/** upstream-hash-by: the key (nginx variables) whose hash picks each request's endpoint. */
function upstreamHash(r: NginxReader): void {
  const key = r.value('upstream-hash-by');
  if (key !== undefined) r.extra('upstream-hash', { key }, 'upstream-hash-by', false);
}

/** mirror-target (+ mirror-host, mirror-request-body): a copy of each request to another URL. */
function mirror(r: NginxReader): void {
  const url = r.value('mirror-target');
  if (url === undefined) {
    r.unused(['mirror-host', 'mirror-request-body'], 'mirror-target');
    return;
  }
  const config: Record<string, unknown> = { url };
  const host = r.value('mirror-host');
  if (host !== undefined) config.host = host;
  if (r.value('mirror-request-body') === 'off') config.body = false;
  r.extra('url-mirror', config, 'mirror-target', false);
}

/** custom-http-errors: "404,503" -> the gateway's own body for those upstream answers. */
function customErrors(r: NginxReader, global: string | null): void {
  const value = r.value('custom-http-errors') ?? global ?? undefined;
  if (value === undefined) return;
  const statuses = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = statuses.find((s) => !/^\d{3}$/.test(s) || Number(s) < 400 || Number(s) > 599);
  if (statuses.length === 0 || bad !== undefined) {
    r.invalid('custom-http-errors', `expected comma-separated statuses from 400 to 599, got ${JSON.stringify(value)}`);
    return;
  }
  r.extra('error-pages', { statuses: statuses.map(Number) }, 'custom-http-errors', false);
}

function defaultBackend(r: NginxReader): void {
  const name = r.value('default-backend');
  if (name === undefined) return;
  if (SERVICE_NAME.test(name)) r.result.defaultBackend = name;
  else r.invalid('default-backend', `expected the name of a Service in the Ingress's namespace, got ${JSON.stringify(name)}`);
}

/**
 * ingress-nginx's ConfigMap settings that act as annotations on every Ingress: allow and deny lists
 * (an annotation replaces them; block-cidrs always applies) and the global external auth (unless the
 * Ingress has its own auth-url, or enable-global-auth: "false").
 */
function applyGlobals(r: NginxReader, globals: NginxGlobals): void {
  const origin = (key: string): string => `ConfigMap ${globals.configMap}: data[${JSON.stringify(key)}]`;
  if (globals.allowSourceRange !== null) r.setGlobal('allow-source-range', globals.allowSourceRange, origin('whitelist-source-range'));
  if (globals.denySourceRange !== null) r.setGlobal('deny-source-range', globals.denySourceRange, origin('denylist-source-range'));
  if (globals.blockCidrs !== null) {
    const own = r.result.annotations['tideway.dev/deny-source-range'];
    r.result.annotations['tideway.dev/deny-source-range'] = typeof own === 'string' && own.trim() !== '' ? `${own},${globals.blockCidrs}` : globals.blockCidrs;
    if (typeof own !== 'string') r.result.origins.set('deny-source-range', origin('block-cidrs'));
  }
  const auth = globals.auth;
  if (auth === null || r.has('auth-url') || booleanValue(r, 'enable-global-auth') === false) return;
  for (const [target, value, key] of [
    ['auth-url', auth.url, 'global-auth-url'],
    ['auth-method', auth.method, 'global-auth-method'],
    ['auth-response-headers', auth.responseHeaders, 'global-auth-response-headers'],
    ['auth-signin', auth.signin, 'global-auth-signin'],
  ] as const) {
    if (value !== null) r.setGlobal(target, value, origin(key));
  }
}

/**
 * The nginx annotations of one Ingress (prefix without the trailing "/"), as tideway.dev/ ones plus
 * extras. `diag` receives the warnings of the table and the errors of malformed values.
 */
export function readNginxAnnotations(annotations: Record<string, unknown>, prefix: string, namespace: string, globals: NginxGlobals, diag: ObjectDiagnostics): NginxTranslation {
  const r = new NginxReader(annotations, prefix, namespace, diag);
  for (const name of r.names()) r.warnPerTable(name);
  r.result.canary = isTrue(r.value('canary'));
  renamed(r);
  regexPaths(r);
  sslRedirect(r, globals.forceSslRedirect);
  ipRanges(r);
  basicAuth(r);
  clientCertificates(r);
  cors(r);
  rateLimit(r, globals.limitStatus);
  connectionLimit(r, `Ingress ${diag.object}`);
  affinity(r);
  backendTls(r);
  requestHeaders(r);
  defaultBackend(r);
  customErrors(r, globals.customHttpErrors);
  applyGlobals(r, globals);
  proxyRewrite(r);
  mirror(r);
  upstreamHash(r);
  return r.result;
}
