// The middleware part of translation: an Ingress's annotations and the Middleware objects it names in
// tideway.dev/middlewares become the MiddlewareSpec list every route of the Ingress carries. The meaning
// of each annotation and Middleware key lives in the middleware room (middleware/config/, pure); this
// file looks up what they reference in the cluster state (Middleware objects, Secrets, canary Services)
// and reports problems on the Ingress.
//
// Fail closed: when anything the Ingress asks for cannot be honoured (a missing Middleware or Secret, an
// invalid value), its routes get a single "deny" middleware instead, answered 503 when only referenced
// objects are missing (they may appear) and 500 otherwise, so that nothing is served without the
// authentication, filtering or limits the user configured.
//
// Order of the list: compress, ip-filter, redirect, cors, rate-limit, basic-auth, forward-auth (from
// annotations), then the Middleware objects in the order listed, then rewrite, canary and affinity (from
// annotations).
import type { Ingress } from '../kube/types.ts';
import {
  annotationField,
  annotationMiddlewares,
  middlewareObjectSpec,
  objectReference,
  type SecretDataLookup,
  type SecretLookup,
  type SpecContext,
  type SpecProblem,
} from '../middleware/config/index.ts';
import type { MiddlewareSpec } from '../routing/spec.ts';
import type { Lookups } from './cluster-index.ts';
import type { BackendRef } from './backends.ts';
import type { NginxTranslation } from './ingress-nginx/index.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';
import type { TranslateOptions } from './options.ts';
import { namespaceOf } from './precedence.ts';
import { isRecord, stringMap } from './shape.ts';

export { MIDDLEWARE_ANNOTATIONS } from '../middleware/config/index.ts';

/** Resolves an Ingress-style backend ({ service: { name, port } }) of `namespace`, reporting problems at `at`. */
export type ResolveBackend = (namespace: string, backend: unknown, at: string) => BackendRef;

const MIDDLEWARES_FIELD = annotationField('middlewares');

function secretData(lookups: Lookups, namespace: string, name: string): SecretDataLookup {
  const secret = lookups.secret(namespace, name);
  if (secret === undefined) return { problem: `Secret ${namespace}/${name} not found`, missing: true };
  const data: Record<string, string> = {};
  for (const [key, encoded] of Object.entries(stringMap(secret.data))) data[key] = Buffer.from(encoded, 'base64').toString('utf8');
  return { data };
}

function secretValue(lookups: Lookups, namespace: string, name: string, key: string): SecretLookup {
  const found = secretData(lookups, namespace, name);
  if (!('data' in found)) return found;
  const value = found.data[key];
  if (value === undefined) return { problem: `Secret ${namespace}/${name} has no data["${key}"]`, missing: false };
  return { value };
}

/** The specs of the Middleware objects named in tideway.dev/middlewares, in the order listed. */
function referencedObjects(value: string | undefined, lookups: Lookups, ctx: SpecContext): MiddlewareSpec[] {
  if (value === undefined) return [];
  const specs: MiddlewareSpec[] = [];
  const seen = new Set<string>();
  const names = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (names.length === 0) ctx.problem({ field: MIDDLEWARES_FIELD, reason: 'InvalidAnnotation', message: 'expected a comma-separated list of Middleware names', missing: false });
  for (const text of names) {
    const ref = objectReference(text, ctx, MIDDLEWARES_FIELD, 'Middleware');
    if (ref === null) continue;
    const object = `Middleware ${ref.namespace}/${ref.name}`;
    if (seen.has(object)) {
      ctx.warning(MIDDLEWARES_FIELD, 'DuplicateMiddleware', `${object} is listed more than once; it applies once`);
      continue;
    }
    seen.add(object);
    const middleware = lookups.middleware(ref.namespace, ref.name);
    if (middleware === undefined) {
      ctx.problem({ field: MIDDLEWARES_FIELD, reason: 'MiddlewareNotFound', message: `${object} not found`, missing: true });
      continue;
    }
    const spec = middlewareObjectSpec(middleware.spec, { ...ctx, namespace: ref.namespace }, { field: MIDDLEWARES_FIELD, object });
    if (spec !== null) specs.push(spec);
  }
  return specs;
}

function specContext(namespace: string, lookups: Lookups, diag: ObjectDiagnostics, allowCrossNamespace: boolean, resolveBackend: ResolveBackend, problems: SpecProblem[]): SpecContext {
  return {
    namespace,
    allowCrossNamespace,
    secret: (ns, name, key) => secretValue(lookups, ns, name, key),
    secretData: (ns, name) => secretData(lookups, ns, name),
    backend: (ns, backend, at) => {
      const ref = resolveBackend(ns, backend, at);
      if (!ref.route) return { missing: false };
      return ref.backend === null ? { missing: true } : { key: ref.backend };
    },
    problem: (problem) => problems.push(problem),
    warning: (at, reason, message) => diag.warning(at, reason, message),
  };
}

/**
 * The MiddlewareSpec of Middleware object `namespace/name` (a Gateway API ExtensionRef filter), or null
 * when it is missing or invalid, reported at `at` on the referring object.
 */
export function middlewareObjectFor(namespace: string, name: string, at: string, lookups: Lookups, diag: ObjectDiagnostics, resolveBackend: ResolveBackend): MiddlewareSpec | null {
  const object = `Middleware ${namespace}/${name}`;
  const middleware = lookups.middleware(namespace, name);
  if (middleware === undefined) {
    diag.error(at, 'MiddlewareNotFound', `${object} not found; requests of this rule are answered 500`);
    return null;
  }
  const problems: SpecProblem[] = [];
  const spec = middlewareObjectSpec(middleware.spec, specContext(namespace, lookups, diag, false, resolveBackend, problems), { field: at, object });
  for (const p of problems) diag.error(p.field, p.reason, `${p.message}; requests of this rule are answered 500`);
  return problems.length === 0 ? spec : null;
}

/**
 * The middlewares of every route of `ingress`. Problems are reported through `diag` (the Ingress's
 * diagnostics); never throws. `options.allowCrossNamespace` says whether "namespace/name" references
 * to another namespace are allowed.
 */
export function middlewaresFor(ingress: Ingress, lookups: Lookups, diag: ObjectDiagnostics, options: TranslateOptions, resolveBackend: ResolveBackend, nginx: Pick<NginxTranslation, 'extra' | 'problems'>): MiddlewareSpec[] {
  const namespace = namespaceOf(ingress);
  const annotations = isRecord(ingress.metadata?.annotations) ? stringMap(ingress.metadata.annotations) : {};
  const problems: SpecProblem[] = [...nginx.problems];
  const ctx = specContext(namespace, lookups, diag, options.allowCrossNamespace, resolveBackend, problems);
  const useRegex = annotations['tideway.dev/use-regex']?.trim().toLowerCase() === 'true';
  const { before, after } = annotationMiddlewares(annotations, ctx, `Ingress ${namespace}/${ingress.metadata.name}`, useRegex);
  const objects = referencedObjects(annotations['tideway.dev/middlewares'], lookups, ctx);
  if (problems.length === 0) return [...nginx.extra, ...before, ...objects, ...after];

  const status = problems.every((p) => p.missing) ? 503 : 500;
  for (const p of problems) diag.error(p.field, p.reason, `${p.message}; the routes of this Ingress answer ${status} until this is fixed`);
  const first = problems[0]!;
  return [{ type: 'deny', source: 'annotations', config: { status, reason: `Ingress ${namespace}/${ingress.metadata.name} ${first.field}: ${first.message}` } }];
}
