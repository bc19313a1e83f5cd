// What turning annotations and Middleware objects into MiddlewareSpecs needs from translate(): Secret
// values and backend keys (looked up in the cluster state there), and a place to report problems.
// Everything here stays pure; translate/middlewares.ts provides the implementation.
import { MiddlewareConfigError } from '../types.ts';
import { BUILTIN_CONFIG_PARSERS } from './parsers.ts';

/** A problem that makes the Ingress's routes fail closed. */
export interface SpecProblem {
  /** Field of the Ingress (an annotation), as diagnostics name it. */
  field: string;
  reason: string;
  message: string;
  /** A referenced object is missing (answered 503: it may appear); otherwise the configuration is invalid (500). */
  missing: boolean;
}

export type SecretLookup = { value: string } | { problem: string; missing: boolean };
export type SecretDataLookup = { data: Record<string, string> } | { problem: string; missing: boolean };
export type BackendLookup = { key: string } | { missing: boolean };

export interface SpecContext {
  /** Namespace in which names resolve (the Ingress's, or the Middleware object's). */
  namespace: string;
  allowCrossNamespace: boolean;
  /** The decoded value of data[key] of a Secret. */
  secret(namespace: string, name: string, key: string): SecretLookup;
  /** Every data key of a Secret, decoded (for Secrets whose keys are names, as ingress-nginx's auth-map). */
  secretData(namespace: string, name: string): SecretDataLookup;
  /** An Ingress-style backend ({ service: { name, port } }) -> snapshot backend key; failures are reported by the resolver. */
  backend(namespace: string, backend: unknown, field: string): BackendLookup;
  problem(problem: SpecProblem): void;
  warning(field: string, reason: string, message: string): void;
}

export function annotationField(name: string): string {
  return `metadata.annotations["tideway.dev/${name}"]`;
}

/** Kubernetes object names (DNS-1123 subdomain). */
export const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Splits "name" or "namespace/name" (the latter only when cross-namespace references are allowed).
 * Returns null after reporting a problem.
 */
export function objectReference(text: string, ctx: SpecContext, field: string, what: string): { namespace: string; name: string } | null {
  const value = text.trim();
  const slash = value.indexOf('/');
  const namespace = slash < 0 ? ctx.namespace : value.slice(0, slash);
  const name = slash < 0 ? value : value.slice(slash + 1);
  if (!OBJECT_NAME.test(name) || !OBJECT_NAME.test(namespace)) {
    ctx.problem({ field, reason: 'InvalidReference', message: `${JSON.stringify(value)} is not a valid ${what} reference ("name" or "namespace/name")`, missing: false });
    return null;
  }
  if (namespace !== ctx.namespace && !ctx.allowCrossNamespace) {
    ctx.problem({ field, reason: 'CrossNamespaceReference', message: `${what} ${namespace}/${name} is in another namespace than ${ctx.namespace}; cross-namespace references are not allowed (see --allow-cross-namespace)`, missing: false });
    return null;
  }
  return { namespace, name };
}

/**
 * Runs a built-in's configuration parser; `describe` turns a rejected config field and why into the
 * field and message of the problem (reported with `reason`). Returns whether the configuration is valid.
 */
export function validateBuiltin(type: string, config: Record<string, unknown>, ctx: SpecContext, reason: string, describe: (configField: string, why: string) => { field: string; message: string }): boolean {
  try {
    BUILTIN_CONFIG_PARSERS[type]!(config);
    return true;
  } catch (err) {
    if (!(err instanceof MiddlewareConfigError)) throw err;
    ctx.problem({ ...describe(err.field, err.message.slice(err.field.length + 2)), reason, missing: false });
    return false;
  }
}
