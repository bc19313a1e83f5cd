// Annotations and Middleware objects through translate(): the MiddlewareSpecs routes carry, the
// diagnostics for what is wrong, and the fail-closed deny spec.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import type { Diagnostic } from '../../src/kube/diagnostic.ts';
import type { AnyKubeObject, Middleware, Secret } from '../../src/kube/types.ts';
import { buildChain } from '../../src/middleware/registry.ts';
import type { MiddlewareSpec, RouteSpec } from '../../src/routing/spec.ts';
import { translate, type TranslateOptions } from '../../src/translate/index.ts';
import { clusterState, ingress, path, rule, service, slice, endpoint, webBackend } from '../translate/builders.ts';
import { fakeUpstream, run } from '../support/context.ts';
import { recordingEnv } from './helpers.ts';

const HTPASSWD = `alice:${bcrypt.hashSync('wonderland', 4)}\nbob:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=\n`;

function secret(name: string, data: Record<string, string>, namespace = 'default'): Secret {
  return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
}

function middleware(name: string, spec: Record<string, unknown>, namespace = 'default'): Middleware {
  return { apiVersion: 'tideway.dev/v1alpha1', kind: 'Middleware', metadata: { name, namespace }, spec };
}

interface Result {
  routes: RouteSpec[];
  specs: MiddlewareSpec[];
  diagnostics: Diagnostic[];
  backends: string[];
}

function translateWith(annotations: Record<string, string>, objects: AnyKubeObject[] = [], options: Partial<TranslateOptions> = {}): Result {
  const state = clusterState([ingress('web', { rules: [rule('a.test', path('/', 'Prefix'), path('/api', 'Prefix'))] }, { annotations }), ...webBackend(), ...objects]);
  const { table, diagnostics } = translate(state, options);
  const routes = table.hosts.flatMap((h) => h.routes);
  return { routes, specs: routes[0]!.middlewares, diagnostics, backends: Object.keys(table.backends) };
}

const ann = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [`tideway.dev/${k}`, v]));
const field = (name: string) => `metadata.annotations["tideway.dev/${name}"]`;
const errors = (r: Result) => r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.field, d.reason, d.message]);
const warnings = (r: Result) => r.diagnostics.filter((d) => d.severity === 'warning').map((d) => [d.field, d.reason, d.message]);
const denyOf = (r: Result) => {
  assert.equal(r.specs.length, 1, JSON.stringify(r.specs));
  assert.equal(r.specs[0]!.type, 'deny');
  return r.specs[0]!.config as { status: number; reason: string };
};

describe('middleware annotations', () => {
  it('no middleware annotation, no middleware', () => {
    const r = translateWith({});
    assert.deepEqual(r.specs, []);
    assert.deepEqual(r.diagnostics, []);
  });

  it('every annotation group becomes one spec, in the documented order, shared by all routes of the Ingress', () => {
    const r = translateWith(ann({
      'enable-compression': 'true',
      'affinity': 'cookie', 'session-cookie-name': 'route', 'session-cookie-max-age': '3600',
      'canary-backend': 'web-v2:80', 'canary-weight': '10', 'canary-by-header': 'X-Canary',
      'rewrite-target': '/$2', 'use-regex': 'true',
      'auth-url': 'http://auth.default.svc/verify', 'auth-response-headers': 'X-User, X-Groups', 'auth-signin': 'https://login.test/start',
      'auth-basic-secret': 'htpasswd', 'auth-realm': 'Staff',
      'rate-limit-rps': '10', 'rate-limit-key': 'header:X-Api-Key',
      'cors-allow-origin': 'https://app.test, https://*.app.test', 'cors-allow-credentials': 'true', 'cors-max-age': '600',
      'permanent-redirect': 'https://elsewhere.test/', 'permanent-redirect-code': '308',
      'allow-source-range': '10.0.0.0/8, 192.168.0.0/16', 'deny-source-range': '10.0.0.1',
    }), [secret('htpasswd', { auth: HTPASSWD }), service('web-v2'), slice('web-v2-1', 'web-v2', [{ port: 8080 }], [endpoint('10.0.0.2')])]);
    assert.deepEqual(errors(r), []);
    assert.deepEqual(r.specs.map((s) => s.type), ['compress', 'ip-filter', 'redirect', 'cors', 'rate-limit', 'basic-auth', 'forward-auth', 'rewrite', 'canary', 'affinity']);
    assert.ok(r.specs.every((s) => s.source === 'annotations'));
    const config = Object.fromEntries(r.specs.map((s) => [s.type, s.config]));
    assert.deepEqual(config['ip-filter'], { allow: ['10.0.0.0/8', '192.168.0.0/16'], deny: ['10.0.0.1'] });
    assert.deepEqual(config.redirect, { url: 'https://elsewhere.test/', statusCode: 308 });
    assert.deepEqual(config.cors, { allowOrigins: ['https://app.test', 'https://*.app.test'], allowCredentials: true, maxAgeSeconds: 600 });
    assert.deepEqual(config['rate-limit'], { scope: 'Ingress default/web', requestsPerSecond: 10, burst: 50, key: 'header:X-Api-Key' });
    assert.deepEqual(config['basic-auth'], { users: HTPASSWD.split('\n'), realm: 'Staff' });
    assert.deepEqual(config['forward-auth'], { url: 'http://auth.default.svc/verify', authResponseHeaders: ['X-User', 'X-Groups'], signinUrl: 'https://login.test/start' });
    assert.deepEqual(config.rewrite, { target: '/$2' });
    assert.deepEqual(config.canary, { backend: 'default/web-v2:80', weight: 10, header: 'X-Canary' });
    assert.ok(r.backends.includes('default/web-v2:80'), 'the canary backend is in the table, with its endpoints');
    assert.deepEqual(config.affinity, { cookieName: 'route', maxAge: '3600s' });
    assert.equal(r.routes[0]!.middlewares, r.routes[1]!.middlewares, 'one array per Ingress: its routes share one chain');
  });

  it('app-root and temporal-redirect', () => {
    assert.deepEqual(translateWith(ann({ 'app-root': '/dashboard' })).specs[0]!.config, { regex: '^([^:]+://[^/]+)/(\\?.*)?$', replacement: '$1/dashboard$2', statusCode: 302 });
    assert.deepEqual(translateWith(ann({ 'temporal-redirect': '/maintenance', 'temporal-redirect-code': '307' })).specs[0]!.config, { url: '/maintenance', statusCode: 307 });
    assert.deepEqual(translateWith(ann({ 'enable-cors': 'true' })).specs[0]!.config, { allowOrigins: ['*'] });
  });

  const invalid: [Record<string, string>, string, string][] = [
    [{ 'rate-limit-rps': 'fast' }, 'rate-limit-rps', 'expected a number, got "fast"'],
    [{ 'rate-limit-rps': '0' }, 'rate-limit-rps', 'must be at least 0.001, got 0'],
    [{ 'rate-limit-rps': '5', 'rate-limit-burst': '2.5' }, 'rate-limit-burst', 'expected a whole number, got "2.5"'],
    [{ 'rate-limit-rps': '5', 'rate-limit-key': 'cookie:id' }, 'rate-limit-key', '"cookie:id" is not "client-ip", "host", "route" or "header:<Name>"'],
    [{ 'allow-source-range': '10.0.0.0/8, 300.0.0.0/8' }, 'allow-source-range', 'invalid CIDR "300.0.0.0/8": not an IPv4 or IPv6 address'],
    [{ 'deny-source-range': ' , ' }, 'deny-source-range', 'expected a comma-separated list, got ","'],
    [{ 'cors-allow-origin': 'app.test' }, 'cors-allow-origin', '"app.test" is not an origin such as "https://app.example.com" or "https://*.example.com" (no path, no trailing slash)'],
    [{ 'cors-allow-origin': '*', 'cors-allow-credentials': 'true' }, 'cors-allow-credentials', 'cannot be true with allowOrigins ["*"]: list the origins that may send credentials'],
    [{ 'enable-cors': 'yes' }, 'enable-cors', 'expected "true" or "false", got "yes"'],
    [{ 'permanent-redirect': 'https://a.test', 'permanent-redirect-code': '200' }, 'permanent-redirect-code', 'must be one of 301, 302, 303, 307, 308, got 200'],
    [{ 'permanent-redirect': 'https://a.test', 'temporal-redirect': '/b' }, 'temporal-redirect', 'cannot be combined with tideway.dev/permanent-redirect: set one of permanent-redirect, temporal-redirect and app-root'],
    [{ 'app-root': 'dashboard' }, 'app-root', 'must be an absolute path other than "/", got "dashboard"'],
    [{ 'auth-url': 'not a url' }, 'auth-url', '"not a url" is not an absolute URL'],
    [{ 'rewrite-target': '/$1' }, 'rewrite-target', 'uses capture groups ("/$1"), which need tideway.dev/use-regex: "true" (the path regex provides them)'],
    [{ affinity: 'ip' }, 'affinity', 'only "cookie" is supported, got "ip"'],
    [{ affinity: 'cookie', 'session-cookie-samesite': 'lax' }, 'session-cookie-samesite', 'must be one of "Strict", "Lax", "None", got string "lax"'],
    [{ canary: 'true' }, 'canary', 'Tideway does not merge a canary Ingress into another Ingress; set tideway.dev/canary-backend ("service:port") on the main Ingress instead'],
    [{ 'canary-backend': 'web' }, 'canary-backend', 'expected "service:port" (a Service of this namespace and its port number or name), got "web"'],
    [{ 'canary-backend': 'web:80', 'canary-weight': '150' }, 'canary-weight', 'must be at most 100, got 150'],
    [{ 'enable-compression': 'on' }, 'enable-compression', 'expected "true" or "false", got "on"'],
    [{ middlewares: ' , ' }, 'middlewares', 'expected a comma-separated list of Middleware names'],
  ];
  for (const [values, name, message] of invalid) {
    it(`fails closed on a bad value: ${JSON.stringify(values)}`, () => {
      const r = translateWith(ann(values));
      assert.deepEqual(errors(r), [[field(name), 'InvalidAnnotation', `${message}; the routes of this Ingress answer 500 until this is fixed`]]);
      const deny = denyOf(r);
      assert.equal(deny.status, 500);
      assert.equal(deny.reason, `Ingress default/web ${field(name)}: ${message}`);
    });
  }

  it('basic auth: a missing Secret answers 503, a Secret without "auth" or with a bad line 500', () => {
    const missing = translateWith(ann({ 'auth-basic-secret': 'nope' }));
    assert.deepEqual(errors(missing), [[field('auth-basic-secret'), 'SecretNotFound', 'Secret default/nope not found; the routes of this Ingress answer 503 until this is fixed']]);
    assert.equal(denyOf(missing).status, 503);
    const noKey = translateWith(ann({ 'auth-basic-secret': 'creds' }), [secret('creds', { users: HTPASSWD })]);
    assert.deepEqual(errors(noKey), [[field('auth-basic-secret'), 'InvalidSecret', 'Secret default/creds has no data["auth"]; the routes of this Ingress answer 500 until this is fixed']]);
    const badLine = translateWith(ann({ 'auth-basic-secret': 'creds' }), [secret('creds', { auth: `${HTPASSWD}carol:plain\n` })]);
    assert.match(errors(badLine)[0]![2]!, /^Secret default\/creds data\["auth"\] line 3: the hash of user "carol" is not a supported/);
    assert.equal(denyOf(badLine).status, 500);
  });

  it('a Secret of another namespace only with cross-namespace references allowed', () => {
    const other = secret('creds', { auth: HTPASSWD }, 'auth');
    const refused = translateWith(ann({ 'auth-basic-secret': 'auth/creds' }), [other]);
    assert.equal(errors(refused)[0]![1], 'CrossNamespaceReference');
    assert.equal(translateWith(ann({ 'auth-basic-secret': 'auth/creds' }), [other], { allowCrossNamespace: true }).specs[0]!.type, 'basic-auth');
  });

  it('a canary Service that does not exist answers 503 (and translate names it)', () => {
    const r = translateWith(ann({ 'canary-backend': 'ghost:80', 'canary-weight': '5' }));
    assert.deepEqual(r.diagnostics.map((d) => d.reason), ['ServiceNotFound', 'CanaryBackendUnavailable']);
    assert.equal(denyOf(r).status, 503);
  });

  it('warns about refinements without the annotation they refine', () => {
    const r = translateWith(ann({ 'auth-realm': 'x', 'cors-max-age': '5', 'rate-limit-burst': '3', 'session-cookie-name': 'a', 'canary-weight': '3', 'permanent-redirect-code': '301' }));
    assert.deepEqual(r.specs, []);
    assert.deepEqual(warnings(r).map(([f, reason]) => [f, reason]), [
      [field('permanent-redirect-code'), 'IgnoredAnnotation'],
      [field('cors-max-age'), 'IgnoredAnnotation'],
      [field('rate-limit-burst'), 'IgnoredAnnotation'],
      [field('auth-realm'), 'IgnoredAnnotation'],
      [field('canary-weight'), 'IgnoredAnnotation'],
      [field('session-cookie-name'), 'IgnoredAnnotation'],
    ]);
    assert.deepEqual(warnings(translateWith(ann({ 'enable-cors': 'false', 'cors-allow-origin': 'https://a.test' })))[0]!.slice(1), ['IgnoredAnnotation', 'has no effect without CORS on (tideway.dev/enable-cors is "false")']);
  });
});

describe('Middleware objects (tideway.dev/middlewares)', () => {
  const objects = () => [
    middleware('limits', { rateLimit: { requestsPerSecond: 100, burst: 200, key: 'client-ip' } }),
    middleware('staff', { basicAuth: { secret: 'htpasswd', realm: 'Staff' } }),
    middleware('office', { ipAllowList: { sourceRange: ['10.0.0.0/8'] } }),
    middleware('tokens', { jwt: { algorithms: ['HS256'], hmacSecret: { secret: 'jwt' } } }),
    middleware('powered', { plugin: { name: 'add-header', config: { name: 'X-Powered-By', value: 'tideway' } } }),
    secret('htpasswd', { auth: HTPASSWD }),
    secret('jwt', { secret: 'k'.repeat(40) }),
  ];

  it('resolves each object in the order listed, between the access and routing annotations', () => {
    const r = translateWith(ann({ middlewares: 'office, limits ,staff,tokens, powered', 'allow-source-range': '10.0.0.0/8', 'rewrite-target': '/' }), objects());
    assert.deepEqual(errors(r), []);
    assert.deepEqual(r.specs.map((s) => [s.type, s.source]), [
      ['ip-filter', 'annotations'], ['ip-filter', 'default/office'], ['rate-limit', 'default/limits'], ['basic-auth', 'default/staff'], ['jwt', 'default/tokens'], ['add-header', 'default/powered'], ['rewrite', 'annotations'],
    ]);
    const config = (i: number) => r.specs[i]!.config;
    assert.deepEqual(config(1), { allow: ['10.0.0.0/8'] });
    assert.deepEqual(config(2), { requestsPerSecond: 100, burst: 200, key: 'client-ip', scope: 'Middleware default/limits' });
    assert.deepEqual(config(3), { realm: 'Staff', users: HTPASSWD.split('\n') });
    assert.deepEqual(config(4), { algorithms: ['HS256'], hmacSecret: 'k'.repeat(40) });
    assert.deepEqual(config(5), { name: 'X-Powered-By', value: 'tideway' });
  });

  it('a missing Middleware answers 503; a listed duplicate is a warning', () => {
    const r = translateWith(ann({ middlewares: 'limits, nope, limits' }), objects());
    assert.deepEqual(errors(r), [[field('middlewares'), 'MiddlewareNotFound', 'Middleware default/nope not found; the routes of this Ingress answer 503 until this is fixed']]);
    assert.deepEqual(warnings(r), [[field('middlewares'), 'DuplicateMiddleware', 'Middleware default/limits is listed more than once; it applies once']]);
    assert.equal(denyOf(r).status, 503);
  });

  it('other namespaces only with allowCrossNamespace; their Secrets resolve in their own namespace', () => {
    const shared = [middleware('staff', { basicAuth: { secret: 'htpasswd' } }, 'platform'), secret('htpasswd', { auth: HTPASSWD }, 'platform')];
    const refused = translateWith(ann({ middlewares: 'platform/staff' }), shared);
    assert.deepEqual(errors(refused)[0]!.slice(0, 2), [field('middlewares'), 'CrossNamespaceReference']);
    assert.equal(denyOf(refused).status, 500);
    const allowed = translateWith(ann({ middlewares: 'platform/staff' }), shared, { allowCrossNamespace: true });
    assert.deepEqual(allowed.specs.map((s) => [s.type, s.source]), [['basic-auth', 'platform/staff']]);
    const reachingOut = translateWith(ann({ middlewares: 'platform/staff' }), [middleware('staff', { basicAuth: { secret: 'default/htpasswd' } }, 'platform'), secret('htpasswd', { auth: HTPASSWD })], { allowCrossNamespace: true });
    assert.match(errors(reachingOut)[0]![2]!, /Middleware platform\/staff spec\.basicAuth\.secret: Secret default\/htpasswd is in another namespace/);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['two keys', { rateLimit: { requestsPerSecond: 1 }, cors: { allowOrigins: ['*'] } }, 'spec: must hold exactly one middleware key (one of ipAllowList, ipDenyList, redirect, cors, rateLimit, basicAuth, jwt, forwardAuth, headers, rewrite, compress, canary, affinity, plugin), found rateLimit, cors'],
    ['no key', {}, 'spec: must hold exactly one middleware key (one of ipAllowList, ipDenyList, redirect, cors, rateLimit, basicAuth, jwt, forwardAuth, headers, rewrite, compress, canary, affinity, plugin), found none'],
    ['unknown key', { rateLimiting: {} }, 'spec.rateLimiting: unknown middleware key; use one of ipAllowList, ipDenyList, redirect, cors, rateLimit, basicAuth, jwt, forwardAuth, headers, rewrite, compress, canary, affinity, plugin'],
    ['not an object', { cors: 'yes' }, 'spec.cors: must be an object'],
    ['bad field', { rateLimit: { requestsPerSecond: 1, burst: -1 } }, 'spec.rateLimit.burst: must be at least 1, got -1'],
    ['nested field', { headers: { response: { set: { 'X-A': 'a\nb' } } } }, 'spec.headers.response.set.X-A: a header value must not contain CR, LF or NUL'],
    ['renamed field', { ipAllowList: { sourceRange: ['nope'] } }, 'spec.ipAllowList.sourceRange[0]: invalid CIDR "nope": not an IPv4 or IPv6 address'],
    ['unknown field', { ipDenyList: { sourceRange: ['10.0.0.0/8'], depth: 1 } }, 'spec.ipDenyList.depth: unknown field'],
    ['jwt secret shape', { jwt: { algorithms: ['HS256'], hmacSecret: 'inline' } }, 'spec.jwt.hmacSecret: must be { secret: <Secret name>, key: <data key, default "secret"> }'],
    ['plugin shadowing a built-in', { plugin: { name: 'rate-limit', config: {} } }, 'spec.plugin.name: "rate-limit" is a built-in type; use spec.rateLimit instead'],
    ['plugin name', { plugin: { name: 'My_Plugin' } }, 'spec.plugin.name: must be the type a plugin registered (lower-case words joined by dashes)'],
    ['canary without service', { canary: { weight: 5 } }, 'spec.canary.service: is required: { name: <Service>, port: { number | name } }'],
    ['a field translate() fills in', { canary: { backend: 'default/web:80', weight: 5 } }, 'spec.canary.backend: unknown field'],
    ['an inline Redis password', { rateLimit: { requestsPerSecond: 1, store: 'redis', redis: { url: 'redis://r:6379', password: 'x' } } }, 'spec.rateLimit.redis.password: unknown field; put the password in a Secret and name it in passwordSecret'],
  ];
  for (const [why, spec, message] of bad) {
    it(`names the object and field of a bad spec: ${why}`, () => {
      const r = translateWith(ann({ middlewares: 'broken' }), [middleware('broken', spec)]);
      assert.deepEqual(errors(r), [[field('middlewares'), 'InvalidMiddleware', `Middleware default/broken ${message}; the routes of this Ingress answer 500 until this is fixed`]]);
      assert.equal(denyOf(r).status, 500);
    });
  }

  it('a Middleware whose Secret is missing answers 503 and says which', () => {
    const r = translateWith(ann({ middlewares: 'staff' }), [middleware('staff', { basicAuth: { secret: 'gone' } })]);
    assert.deepEqual(errors(r), [[field('middlewares'), 'SecretNotFound', 'Middleware default/staff spec.basicAuth.secret: Secret default/gone not found; the routes of this Ingress answer 503 until this is fixed']]);
    assert.equal(denyOf(r).status, 503);
  });

  it('a canary Middleware resolves its Service in its own namespace', () => {
    const r = translateWith(ann({ middlewares: 'canary' }), [middleware('canary', { canary: { service: { name: 'web', port: { number: 80 } }, weight: 20 } })]);
    assert.deepEqual(r.specs, [{ type: 'canary', source: 'default/canary', config: { weight: 20, backend: 'default/web:80' } }]);
  });
});

describe('translated specs build working chains', () => {
  it('basic auth from an annotation and Secret: 401 without credentials, through with them', async () => {
    const r = translateWith(ann({ 'auth-basic-secret': 'htpasswd' }), [secret('htpasswd', { auth: HTPASSWD })]);
    const { chain, errors: buildErrors } = buildChain(r.specs, recordingEnv());
    assert.deepEqual(buildErrors, []);
    assert.equal((await run(chain!)).response!.status, 401);
    const upstream = fakeUpstream();
    await run(chain!, { headers: { authorization: `Basic ${Buffer.from('bob:hello').toString('base64')}` } }, upstream);
    assert.equal(upstream.calls.length, 1);
  });

  it('a fail-closed Ingress never reaches the upstream', async () => {
    const r = translateWith(ann({ middlewares: 'missing' }));
    const upstream = fakeUpstream();
    const ctx = await run(buildChain(r.specs, recordingEnv()).chain!, {}, upstream);
    assert.equal(ctx.response!.status, 503);
    assert.equal(upstream.calls.length, 0);
  });
});
