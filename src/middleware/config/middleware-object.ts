// A Middleware object (tideway.dev/v1alpha1) -> its MiddlewareSpec. The spec holds exactly one key,
// naming the middleware type; its value is that type's configuration, as documented in
// docs/middleware.md and deploy/crds/middleware.yaml. References are resolved here in the object's own
// namespace (Secrets into their values, a canary Service into a backend key), and the result is
// validated with the built-in's parser, so that a bad object is reported with the field at fault.
import type { MiddlewareSpec } from '../../routing/spec.ts';
import { isBuiltinType } from './parsers.ts';
import { isPlainObject } from './read.ts';
import { htpasswdFromSecret, secretValue } from './secret-values.ts';
import { objectReference, validateBuiltin, type SpecContext } from './sources.ts';

/** Middleware spec key -> built-in type ("plugin" names a plugin-registered type instead). */
export const SPEC_KEYS: Readonly<Record<string, string>> = Object.freeze({
  ipAllowList: 'ip-filter',
  ipDenyList: 'ip-filter',
  redirect: 'redirect',
  cors: 'cors',
  rateLimit: 'rate-limit',
  basicAuth: 'basic-auth',
  jwt: 'jwt',
  forwardAuth: 'forward-auth',
  headers: 'headers',
  rewrite: 'rewrite',
  compress: 'compress',
  canary: 'canary',
  affinity: 'affinity',
  plugin: 'plugin',
});

const PLUGIN_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Where an object's problems are reported: the Ingress field that references it, and a message prefix. */
export interface ObjectSite {
  field: string;
  /** "Middleware shop/limits" */
  object: string;
}

type Converter = (value: Record<string, unknown>, ctx: SpecContext, site: ObjectSite, at: string) => Record<string, unknown> | null;

function problem(ctx: SpecContext, site: ObjectSite, at: string, message: string, reason = 'InvalidMiddleware', missing = false): null {
  ctx.problem({ field: site.field, reason, message: `${site.object} ${at}: ${message}`, missing });
  return null;
}

/** Runs a resolution step whose problems must carry the object and field in their message. */
function scoped(ctx: SpecContext, site: ObjectSite, at: string): SpecContext {
  return { ...ctx, problem: (p) => ctx.problem({ ...p, field: site.field, message: `${site.object} ${at}: ${p.message}` }) };
}

/** A Secret name field: the Secret lives in the Middleware object's own namespace. */
function secretName(value: unknown, ctx: SpecContext, site: ObjectSite, at: string): { namespace: string; name: string } | null {
  if (typeof value !== 'string' || value.trim() === '') return problem(ctx, site, at, 'must be the name of a Secret');
  return objectReference(value, { ...scoped(ctx, site, at), allowCrossNamespace: false }, site.field, 'Secret');
}

/**
 * Config fields that translate() fills in from references (a Secret's value, a Service's backend key,
 * the bucket owner); written in the object itself they are unknown fields, as the CRD schema says.
 */
const RESOLVED_FIELDS: Record<string, readonly string[]> = { rateLimit: ['scope'], basicAuth: ['users'], canary: ['backend'] };

function resolvedFieldWritten(key: string, value: Record<string, unknown>, ctx: SpecContext, site: ObjectSite, at: string): boolean {
  const written = (RESOLVED_FIELDS[key] ?? []).find((name) => Object.hasOwn(value, name));
  if (written !== undefined) problem(ctx, site, `${at}.${written}`, 'unknown field');
  const redis = value.redis;
  if (key === 'rateLimit' && isPlainObject(redis) && Object.hasOwn(redis, 'password')) {
    problem(ctx, site, `${at}.redis.password`, 'unknown field; put the password in a Secret and name it in passwordSecret');
    return true;
  }
  return written !== undefined;
}

const CONVERTERS: Record<string, Converter> = {
  ipAllowList: (v, ctx, site, at) => {
    const { sourceRange, ...rest } = v;
    if (Object.keys(rest).length > 0) return problem(ctx, site, `${at}.${Object.keys(rest)[0]}`, 'unknown field');
    return sourceRange === undefined ? problem(ctx, site, `${at}.sourceRange`, 'is required (a list of CIDRs)') : { allow: sourceRange };
  },
  ipDenyList: (v, ctx, site, at) => {
    const { sourceRange, ...rest } = v;
    if (Object.keys(rest).length > 0) return problem(ctx, site, `${at}.${Object.keys(rest)[0]}`, 'unknown field');
    return sourceRange === undefined ? problem(ctx, site, `${at}.sourceRange`, 'is required (a list of CIDRs)') : { deny: sourceRange };
  },
  basicAuth: (v, ctx, site, at) => {
    const { secret, ...rest } = v;
    const ref = secretName(secret, ctx, site, `${at}.secret`);
    if (ref === null) return null;
    const users = htpasswdFromSecret(scoped(ctx, site, `${at}.secret`), ref, site.field);
    return users === null ? null : { ...rest, users };
  },
  jwt: (v, ctx, site, at) => {
    const { hmacSecret, ...rest } = v;
    if (hmacSecret === undefined) return rest;
    if (!isPlainObject(hmacSecret)) return problem(ctx, site, `${at}.hmacSecret`, 'must be { secret: <Secret name>, key: <data key, default "secret"> }');
    const ref = secretName(hmacSecret.secret, ctx, site, `${at}.hmacSecret.secret`);
    const key = hmacSecret.key ?? 'secret';
    if (typeof key !== 'string' || key === '') return problem(ctx, site, `${at}.hmacSecret.key`, 'must be a data key of the Secret');
    if (ref === null) return null;
    const value = secretValue(scoped(ctx, site, `${at}.hmacSecret`), ref, key, site.field);
    return value === null ? null : { ...rest, hmacSecret: value };
  },
  rateLimit: (v, ctx, site, at) => {
    const config: Record<string, unknown> = { ...v, scope: site.object };
    const redis = v.redis;
    if (!isPlainObject(redis) || redis.passwordSecret === undefined) return config;
    const { passwordSecret, ...redisRest } = redis;
    const ref = secretName(passwordSecret, ctx, site, `${at}.redis.passwordSecret`);
    if (ref === null) return null;
    const password = secretValue(scoped(ctx, site, `${at}.redis.passwordSecret`), ref, 'password', site.field);
    return password === null ? null : { ...config, redis: { ...redisRest, password } };
  },
  canary: (v, ctx, site, at) => {
    const { service, ...rest } = v;
    if (!isPlainObject(service)) return problem(ctx, site, `${at}.service`, 'is required: { name: <Service>, port: { number | name } }');
    const resolved = ctx.backend(ctx.namespace, { service }, `${site.field} (${site.object} ${at}.service)`);
    if (!('key' in resolved)) return problem(ctx, site, `${at}.service`, 'the canary Service cannot be used', 'CanaryBackendUnavailable', resolved.missing);
    return { ...rest, backend: resolved.key };
  },
};

/**
 * The names of the Secrets a Middleware object's spec names (they live in its own namespace): what the
 * converters above read, so that a cluster source can fetch exactly those. Kept next to the converters
 * so that a new Secret field is added to both.
 */
export function middlewareSecretNames(spec: unknown): string[] {
  if (!isPlainObject(spec)) return [];
  const { basicAuth, jwt, rateLimit } = spec;
  const redis = isPlainObject(rateLimit) ? rateLimit.redis : undefined;
  const hmacSecret = isPlainObject(jwt) ? jwt.hmacSecret : undefined;
  const names = [
    isPlainObject(basicAuth) ? basicAuth.secret : undefined,
    isPlainObject(hmacSecret) ? hmacSecret.secret : undefined,
    isPlainObject(redis) ? redis.passwordSecret : undefined,
  ];
  return names.filter((name): name is string => typeof name === 'string' && name.trim() !== '').map((name) => name.trim());
}

/** Spec keys whose value is the configuration as it is. */
const PASSTHROUGH = new Set(['redirect', 'cors', 'forwardAuth', 'headers', 'rewrite', 'compress', 'affinity']);

/** The MiddlewareSpec of a Middleware object (`ctx.namespace` is the object's namespace), or null after reporting. */
export function middlewareObjectSpec(spec: unknown, ctx: SpecContext, site: ObjectSite): MiddlewareSpec | null {
  if (!isPlainObject(spec)) return problem(ctx, site, 'spec', 'must be an object with one middleware key');
  const keys = Object.keys(spec);
  const known = Object.keys(SPEC_KEYS).join(', ');
  if (keys.length !== 1) return problem(ctx, site, 'spec', `must hold exactly one middleware key (one of ${known}), found ${keys.length === 0 ? 'none' : keys.join(', ')}`);
  const key = keys[0]!;
  const at = `spec.${key}`;
  if (!Object.hasOwn(SPEC_KEYS, key)) return problem(ctx, site, at, `unknown middleware key; use one of ${known}`);
  const value = spec[key];
  if (!isPlainObject(value)) return problem(ctx, site, at, 'must be an object');
  const source = site.object.slice(site.object.indexOf(' ') + 1);

  if (key === 'plugin') {
    const { name, config = {}, ...rest } = value;
    if (Object.keys(rest).length > 0) return problem(ctx, site, `${at}.${Object.keys(rest)[0]}`, 'unknown field');
    if (typeof name !== 'string' || !PLUGIN_NAME.test(name)) return problem(ctx, site, `${at}.name`, 'must be the type a plugin registered (lower-case words joined by dashes)');
    if (isBuiltinType(name)) return problem(ctx, site, `${at}.name`, `${JSON.stringify(name)} is a built-in type; use spec.${Object.keys(SPEC_KEYS).find((k) => SPEC_KEYS[k] === name) ?? name} instead`);
    if (!isPlainObject(config)) return problem(ctx, site, `${at}.config`, 'must be an object');
    // Plugins are loaded by the workers; their configuration is checked when the chain is built.
    return { type: name, source, config };
  }

  const type = SPEC_KEYS[key]!;
  if (resolvedFieldWritten(key, value, ctx, site, at)) return null;
  const config = PASSTHROUGH.has(key) ? value : CONVERTERS[key]!(value, ctx, site, at);
  if (config === null) return null;
  const ok = validateBuiltin(type, config, ctx, 'InvalidMiddleware', (configField, why) => ({ field: site.field, message: `${site.object} ${at}.${renamed(key, configField)}: ${why}` }));
  return ok ? { type, source, config } : null;
}

/** A rejected config field, named as the user wrote it in the Middleware object. */
function renamed(key: string, configField: string): string {
  if ((key === 'ipAllowList' && configField.startsWith('allow')) || (key === 'ipDenyList' && configField.startsWith('deny'))) return configField.replace(/^(allow|deny)/, 'sourceRange');
  if (key === 'canary' && configField === 'backend') return 'service';
  if (key === 'basicAuth' && configField.startsWith('users')) return 'secret';
  return configField;
}
