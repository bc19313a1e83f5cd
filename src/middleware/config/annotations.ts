// tideway.dev/ annotations -> MiddlewareSpecs (the middleware part of docs/annotations.md). Names and
// semantics follow ingress-nginx where it has the same feature, so that its users find what they know.
// A bad value is reported as a problem, which makes the Ingress's routes fail closed; an annotation that
// only refines another one (cors-allow-methods without CORS on) is a warning when the other is missing.
import { parseRateLimitKey, RATE_LIMIT_KEY_HINT } from './rate-limit.ts';
import { REDIRECT_STATUSES } from './redirect.ts';
import { htpasswdFromSecret } from './secret-values.ts';
import { annotationField, objectReference, validateBuiltin, type SpecContext } from './sources.ts';
import type { MiddlewareSpec } from '../../routing/spec.ts';

/** Every middleware annotation name (after "tideway.dev/"); translate() does not warn about these. */
export const MIDDLEWARE_ANNOTATIONS: readonly string[] = [
  'middlewares',
  'allow-source-range', 'deny-source-range',
  'permanent-redirect', 'permanent-redirect-code', 'temporal-redirect', 'temporal-redirect-code', 'app-root',
  'enable-cors', 'cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-expose-headers', 'cors-allow-credentials', 'cors-max-age',
  'rate-limit-rps', 'rate-limit-burst', 'rate-limit-key', 'rate-limit-store', 'rate-limit-status-code', 'rate-limit-exempt-source-range',
  'auth-basic-secret', 'auth-secret-type', 'auth-realm', 'satisfy',
  'auth-url', 'auth-method', 'auth-response-headers', 'auth-signin', 'auth-signin-redirect-param', 'auth-request-redirect', 'auth-set-cookie',
  'enable-compression',
  'rewrite-target',
  'canary', 'canary-backend', 'canary-weight', 'canary-weight-total', 'canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie',
  'affinity', 'session-cookie-name', 'session-cookie-path', 'session-cookie-domain', 'session-cookie-max-age', 'session-cookie-secure', 'session-cookie-samesite',
];

/** ingress-nginx sets burst to rps times this when limit-burst-multiplier is not given. */
const NGINX_BURST_MULTIPLIER = 5;

/** Reads annotation values, reporting unreadable ones (and returning undefined for them). */
class Annotations {
  private readonly values: Record<string, string>;
  private readonly ctx: SpecContext;

  constructor(values: Record<string, string>, ctx: SpecContext) {
    this.values = values;
    this.ctx = ctx;
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  raw(name: string): string | undefined {
    const value = this.values[`tideway.dev/${name}`];
    return typeof value === 'string' ? value : undefined;
  }

  invalid(name: string, message: string): undefined {
    this.ctx.problem({ field: annotationField(name), reason: 'InvalidAnnotation', message, missing: false });
    return undefined;
  }

  /** Reports the annotation's value as invalid; returns null, so that a middleware builder can return it. */
  reject(name: string, message: string): null {
    this.invalid(name, message);
    return null;
  }

  string(name: string): string | undefined {
    const value = this.raw(name)?.trim();
    if (value === undefined) return undefined;
    return value === '' ? this.invalid(name, 'must not be empty') : value;
  }

  list(name: string): string[] | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    return items.length === 0 ? this.invalid(name, `expected a comma-separated list, got ${JSON.stringify(value)}`) : items;
  }

  number(name: string, integer = false): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || (integer && !Number.isInteger(n))) return this.invalid(name, `expected ${integer ? 'a whole number' : 'a number'}, got ${JSON.stringify(value)}`);
    return n;
  }

  boolean(name: string): boolean | undefined {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') return this.invalid(name, `expected "true" or "false", got ${JSON.stringify(value)}`);
    return value === 'true';
  }

  /** Warns about refinements that have no effect because `main` is not set. */
  unused(names: readonly string[], needs: string): void {
    for (const name of names) if (this.has(name)) this.ctx.warning(annotationField(name), 'IgnoredAnnotation', `has no effect without ${needs}`);
  }
}

type FieldMap = Record<string, string>;

/** Validates the config with the built-in's parser, naming the annotation behind a rejected field. */
function spec(ctx: SpecContext, type: string, config: Record<string, unknown>, fields: FieldMap, main: string): MiddlewareSpec | null {
  const ok = validateBuiltin(type, config, ctx, 'InvalidAnnotation', (configField, why) => ({ field: annotationField(fields[configField.split(/[.[]/)[0]!] ?? main), message: why }));
  return ok ? { type, source: 'annotations', config } : null;
}

/**
 * satisfy "any": the allowlist is an alternative to authentication rather than a requirement, so it
 * moves from ip-filter into the auth middlewares (a client in it passes without credentials). Only
 * when both are present; otherwise "any" and "all" mean the same. Returns the list that moves.
 */
function satisfyAnyRange(a: Annotations): string[] | null | undefined {
  const satisfy = a.string('satisfy')?.toLowerCase();
  if (satisfy === undefined || satisfy === 'all') return null;
  if (satisfy !== 'any') return a.invalid('satisfy', `expected "all" or "any", got ${JSON.stringify(satisfy)}`);
  if (!a.has('auth-basic-secret') && !a.has('auth-url')) return null;
  return a.list('allow-source-range') ?? null;
}

function ipFilter(a: Annotations, ctx: SpecContext, anyRange: string[] | null): MiddlewareSpec | null {
  const allow = anyRange === null ? a.list('allow-source-range') : undefined;
  const deny = a.list('deny-source-range');
  if (allow === undefined && deny === undefined) return null;
  const config: Record<string, unknown> = {};
  if (allow) config.allow = allow;
  if (deny) config.deny = deny;
  return spec(ctx, 'ip-filter', config, { allow: 'allow-source-range', deny: 'deny-source-range' }, allow ? 'allow-source-range' : 'deny-source-range');
}

function statusCode(a: Annotations, name: string, fallback: number): number | undefined {
  const code = a.number(name, true);
  if (code === undefined) return a.has(name) ? undefined : fallback;
  return (REDIRECT_STATUSES as readonly number[]).includes(code) ? code : a.invalid(name, `must be one of ${REDIRECT_STATUSES.join(', ')}, got ${code}`);
}

function redirect(a: Annotations, ctx: SpecContext): MiddlewareSpec | null {
  const chosen = ['permanent-redirect', 'temporal-redirect', 'app-root'].filter((name) => a.has(name));
  if (!a.has('permanent-redirect')) a.unused(['permanent-redirect-code'], 'tideway.dev/permanent-redirect');
  if (!a.has('temporal-redirect')) a.unused(['temporal-redirect-code'], 'tideway.dev/temporal-redirect');
  if (chosen.length === 0) return null;
  if (chosen.length > 1) {
    a.invalid(chosen[1]!, `cannot be combined with tideway.dev/${chosen[0]}: set one of permanent-redirect, temporal-redirect and app-root`);
    return null;
  }
  const name = chosen[0]!;
  const value = a.string(name);
  if (value === undefined) return null;
  if (name === 'app-root') {
    if (!/^\/[^\s?#]*$/.test(value) || value === '/') return a.reject(name, `must be an absolute path other than "/", got ${JSON.stringify(value)}`);
    // ingress-nginx: requests for "/" (whatever their query) go to the app root with 302.
    return spec(ctx, 'redirect', { regex: '^([^:]+://[^/]+)/(\\?.*)?$', replacement: `$1${value.replaceAll('$', '$$$$')}$2`, statusCode: 302 }, {}, name);
  }
  const status = name === 'permanent-redirect' ? statusCode(a, 'permanent-redirect-code', 301) : statusCode(a, 'temporal-redirect-code', 302);
  if (status === undefined) return null;
  return spec(ctx, 'redirect', { url: value, statusCode: status }, { statusCode: `${name}-code` }, name);
}

const CORS_REFINEMENTS = ['cors-allow-methods', 'cors-allow-headers', 'cors-expose-headers', 'cors-allow-credentials', 'cors-max-age'];

function cors(a: Annotations, ctx: SpecContext): MiddlewareSpec | null {
  const enabled = a.boolean('enable-cors');
  const origins = a.list('cors-allow-origin');
  if (enabled === false || (enabled === undefined && !a.has('cors-allow-origin'))) {
    a.unused(enabled === false ? ['cors-allow-origin', ...CORS_REFINEMENTS] : CORS_REFINEMENTS, enabled === false ? 'CORS on (tideway.dev/enable-cors is "false")' : 'tideway.dev/cors-allow-origin or tideway.dev/enable-cors');
    return null;
  }
  const config: Record<string, unknown> = { allowOrigins: origins ?? ['*'] };
  const methods = a.list('cors-allow-methods');
  const headers = a.list('cors-allow-headers');
  const expose = a.list('cors-expose-headers');
  const credentials = a.boolean('cors-allow-credentials');
  const maxAge = a.number('cors-max-age', true);
  if (methods) config.allowMethods = methods;
  if (headers) config.allowHeaders = headers;
  if (expose) config.exposeHeaders = expose;
  if (credentials !== undefined) config.allowCredentials = credentials;
  if (maxAge !== undefined) config.maxAgeSeconds = maxAge;
  const fields = { allowOrigins: 'cors-allow-origin', allowMethods: 'cors-allow-methods', allowHeaders: 'cors-allow-headers', exposeHeaders: 'cors-expose-headers', allowCredentials: 'cors-allow-credentials', maxAgeSeconds: 'cors-max-age' };
  return spec(ctx, 'cors', config, fields, 'cors-allow-origin');
}

function rateLimit(a: Annotations, ctx: SpecContext, scope: string): MiddlewareSpec | null {
  if (!a.has('rate-limit-rps')) {
    a.unused(['rate-limit-burst', 'rate-limit-key', 'rate-limit-store', 'rate-limit-status-code', 'rate-limit-exempt-source-range'], 'tideway.dev/rate-limit-rps');
    return null;
  }
  const rps = a.number('rate-limit-rps');
  const burst = a.number('rate-limit-burst', true);
  const key = a.string('rate-limit-key');
  const store = a.string('rate-limit-store');
  const status = a.number('rate-limit-status-code', true);
  if (rps === undefined || (burst === undefined && a.has('rate-limit-burst')) || (status === undefined && a.has('rate-limit-status-code'))) return null;
  if (key !== undefined && parseRateLimitKey(key) === null) return a.reject('rate-limit-key', `${JSON.stringify(key)} is not ${RATE_LIMIT_KEY_HINT}`);
  if (store !== undefined && store !== 'local' && store !== 'cluster') return a.reject('rate-limit-store', `${JSON.stringify(store)} is not "local" or "cluster"`);
  const config: Record<string, unknown> = { scope, requestsPerSecond: rps, burst: burst ?? Math.max(1, Math.ceil(rps * NGINX_BURST_MULTIPLIER)), key: key ?? 'client-ip' };
  if (status !== undefined) config.statusCode = status;
  if (store !== undefined) config.store = store;
  const exempt = a.list('rate-limit-exempt-source-range');
  if (exempt !== undefined) config.exemptSourceRanges = exempt;
  const fields = { requestsPerSecond: 'rate-limit-rps', burst: 'rate-limit-burst', key: 'rate-limit-key', statusCode: 'rate-limit-status-code', exemptSourceRanges: 'rate-limit-exempt-source-range', store: 'rate-limit-store' };
  return spec(ctx, 'rate-limit', config, fields, 'rate-limit-rps');
}

function basicAuth(a: Annotations, ctx: SpecContext, anyRange: string[] | null): MiddlewareSpec | null {
  if (!a.has('auth-basic-secret')) {
    a.unused(['auth-realm', 'auth-secret-type'], 'tideway.dev/auth-basic-secret');
    return null;
  }
  const name = a.string('auth-basic-secret');
  if (name === undefined) return null;
  const layout = a.string('auth-secret-type') ?? 'auth-file';
  if (layout !== 'auth-file' && layout !== 'auth-map') return a.reject('auth-secret-type', `${JSON.stringify(layout)} is not "auth-file" or "auth-map"`);
  const field = annotationField('auth-basic-secret');
  const ref = objectReference(name, ctx, field, 'Secret');
  if (ref === null) return null;
  const users = htpasswdFromSecret(ctx, ref, field, layout);
  if (users === null) return null;
  const config: Record<string, unknown> = { users };
  const realm = a.string('auth-realm');
  if (realm !== undefined) config.realm = realm;
  if (anyRange !== null) config.allowSourceRange = anyRange;
  return spec(ctx, 'basic-auth', config, { realm: 'auth-realm', users: 'auth-basic-secret', allowSourceRange: 'allow-source-range' }, 'auth-basic-secret');
}

function forwardAuth(a: Annotations, ctx: SpecContext, anyRange: string[] | null): MiddlewareSpec | null {
  if (!a.has('auth-url')) {
    a.unused(['auth-method', 'auth-response-headers', 'auth-signin', 'auth-signin-redirect-param', 'auth-request-redirect', 'auth-set-cookie'], 'tideway.dev/auth-url');
    return null;
  }
  const url = a.string('auth-url');
  if (url === undefined) return null;
  const config: Record<string, unknown> = { url };
  const method = a.string('auth-method');
  const headers = a.list('auth-response-headers');
  const signin = a.string('auth-signin');
  if (method !== undefined) config.method = method.toUpperCase();
  if (headers) config.authResponseHeaders = headers;
  if (signin !== undefined) config.signinUrl = signin;
  const param = a.string('auth-signin-redirect-param');
  const redirect = a.string('auth-request-redirect');
  if (param !== undefined) config.signinRedirectParam = param;
  if (redirect !== undefined) config.requestRedirect = redirect;
  const setCookie = a.string('auth-set-cookie');
  if (setCookie !== undefined) config.passAuthCookies = setCookie === 'success' ? 'on-success' : setCookie;
  if (anyRange !== null) config.allowSourceRange = anyRange;
  const fields = {
    allowSourceRange: 'allow-source-range',
    url: 'auth-url', method: 'auth-method', authResponseHeaders: 'auth-response-headers', signinUrl: 'auth-signin',
    signinRedirectParam: 'auth-signin-redirect-param', requestRedirect: 'auth-request-redirect', passAuthCookies: 'auth-set-cookie',
  };
  return spec(ctx, 'forward-auth', config, fields, 'auth-url');
}

function compress(a: Annotations, ctx: SpecContext): MiddlewareSpec | null {
  return a.boolean('enable-compression') ? spec(ctx, 'compress', {}, {}, 'enable-compression') : null;
}

function rewrite(a: Annotations, ctx: SpecContext, useRegex: boolean): MiddlewareSpec | null {
  const target = a.string('rewrite-target');
  if (target === undefined) return null;
  if (/\$\d/.test(target) && !useRegex) {
    return a.reject('rewrite-target', `uses capture groups (${JSON.stringify(target)}), which need tideway.dev/use-regex: "true" (the path regex provides them)`);
  }
  return spec(ctx, 'rewrite', { target }, {}, 'rewrite-target');
}

const CANARY_REFINEMENTS = ['canary-weight', 'canary-weight-total', 'canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie'];

/** "service:port" (port number or name) -> an Ingress-style backend. */
function canaryService(value: string): Record<string, unknown> | null {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?):([0-9]+|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(value);
  if (!m) return null;
  return { service: { name: m[1], port: /^\d+$/.test(m[3]!) ? { number: Number(m[3]) } : { name: m[3] } } };
}

function canary(a: Annotations, ctx: SpecContext): MiddlewareSpec | null {
  const backendText = a.string('canary-backend');
  if (backendText === undefined) {
    if (a.boolean('canary') === true) {
      a.invalid('canary', 'Tideway does not merge a canary Ingress into another Ingress; set tideway.dev/canary-backend ("service:port") on the main Ingress instead');
    }
    a.unused(CANARY_REFINEMENTS, 'tideway.dev/canary-backend');
    return null;
  }
  const field = annotationField('canary-backend');
  const backend = canaryService(backendText);
  if (backend === null) return a.reject('canary-backend', `expected "service:port" (a Service of this namespace and its port number or name), got ${JSON.stringify(backendText)}`);
  const resolved = ctx.backend(ctx.namespace, backend, field);
  if (!('key' in resolved)) {
    ctx.problem({ field, reason: 'CanaryBackendUnavailable', message: `canary backend ${JSON.stringify(backendText)} cannot be used`, missing: resolved.missing });
    return null;
  }
  const config: Record<string, unknown> = { backend: resolved.key };
  const weight = a.number('canary-weight', true);
  const total = a.number('canary-weight-total', true);
  const header = a.string('canary-by-header');
  const value = a.string('canary-by-header-value');
  const pattern = a.string('canary-by-header-pattern');
  const cookie = a.string('canary-by-cookie');
  if (weight !== undefined) config.weight = weight;
  if (total !== undefined) config.weightTotal = total;
  if (header !== undefined) config.header = header;
  if (value !== undefined) config.headerValue = value;
  if (pattern !== undefined) config.headerPattern = pattern;
  if (cookie !== undefined) config.cookie = cookie;
  const fields = { weight: 'canary-weight', weightTotal: 'canary-weight-total', header: 'canary-by-header', headerValue: 'canary-by-header-value', headerPattern: 'canary-by-header-pattern', cookie: 'canary-by-cookie' };
  return spec(ctx, 'canary', config, fields, 'canary-backend');
}

const SESSION_COOKIE = ['session-cookie-name', 'session-cookie-path', 'session-cookie-domain', 'session-cookie-max-age', 'session-cookie-secure', 'session-cookie-samesite'];

function affinity(a: Annotations, ctx: SpecContext): MiddlewareSpec | null {
  const mode = a.string('affinity');
  if (mode === undefined) {
    a.unused(SESSION_COOKIE, 'tideway.dev/affinity: cookie');
    return null;
  }
  if (mode !== 'cookie') return a.reject('affinity', `only "cookie" is supported, got ${JSON.stringify(mode)}`);
  const config: Record<string, unknown> = {};
  const name = a.string('session-cookie-name');
  const path = a.string('session-cookie-path');
  const domain = a.string('session-cookie-domain');
  const maxAge = a.number('session-cookie-max-age', true);
  const secure = a.boolean('session-cookie-secure');
  const sameSite = a.string('session-cookie-samesite');
  if (name !== undefined) config.cookieName = name;
  if (path !== undefined) config.path = path;
  if (domain !== undefined) config.domain = domain;
  if (maxAge !== undefined) config.maxAge = `${maxAge}s`;
  if (secure !== undefined) config.secure = secure;
  if (sameSite !== undefined) config.sameSite = sameSite;
  const fields = { cookieName: 'session-cookie-name', path: 'session-cookie-path', domain: 'session-cookie-domain', maxAge: 'session-cookie-max-age', secure: 'session-cookie-secure', sameSite: 'session-cookie-samesite' };
  return spec(ctx, 'affinity', config, fields, 'affinity');
}

export interface AnnotationMiddlewares {
  /** Access control and answers at the gateway, applied before the Middleware objects. */
  before: MiddlewareSpec[];
  /** Path rewriting and upstream choice, applied after the Middleware objects. */
  after: MiddlewareSpec[];
}

/**
 * The annotation-made middlewares of an Ingress, in their fixed order (docs/annotations.md):
 * compress, ip-filter, redirect, cors, rate-limit, basic-auth, forward-auth | Middleware objects |
 * rewrite, canary, affinity. `scope` names the Ingress ("Ingress ns/name") for rate-limit buckets.
 */
export function annotationMiddlewares(annotations: Record<string, string>, ctx: SpecContext, scope: string, useRegex: boolean): AnnotationMiddlewares {
  const a = new Annotations(annotations, ctx);
  const present = (list: (MiddlewareSpec | null)[]) => list.filter((s): s is MiddlewareSpec => s !== null);
  // An invalid satisfy (undefined, reported) keeps the allowlist a requirement: the stricter reading.
  const anyRange = satisfyAnyRange(a) ?? null;
  return {
    before: present([compress(a, ctx), ipFilter(a, ctx, anyRange), redirect(a, ctx), cors(a, ctx), rateLimit(a, ctx, scope), basicAuth(a, ctx, anyRange), forwardAuth(a, ctx, anyRange)]),
    after: present([rewrite(a, ctx, useRegex), canary(a, ctx), affinity(a, ctx)]),
  };
}
