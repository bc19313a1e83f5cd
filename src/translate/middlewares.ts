// Extension point for the middleware layer: the annotations and Middleware objects that turn into
// MiddlewareSpec entries on every route of an Ingress. Not implemented yet; translate() already
// calls it once per Ingress and attaches its result to each of the Ingress's routes.
import type { ClusterState } from '../store/cluster-state.ts';
import type { Ingress } from '../kube/types.ts';
import type { MiddlewareSpec } from '../routing/spec.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';
import type { TranslateOptions } from './options.ts';

/**
 * Annotation names (after "tideway.dev/") that belong to the middleware layer. translate() does not
 * read them but knows them, so it does not warn about them as unknown. Add new ones here.
 */
export const MIDDLEWARE_ANNOTATIONS: readonly string[] = [
  'middlewares',
  'rate-limit-rps',
  'rate-limit-burst',
  'rate-limit-key',
  'auth-basic-secret',
  'allow-source-range',
  'deny-source-range',
  'cors-allow-origin',
  'rewrite-target',
];

/**
 * The middlewares of every route of `ingress`. Report bad values through `diag` (the Ingress's
 * diagnostics) and leave the offending middleware out; never throw. `options.allowCrossNamespace`
 * says whether "namespace/name" references to another namespace are allowed.
 */
export function middlewaresFor(_ingress: Ingress, _state: ClusterState, _diag: ObjectDiagnostics, _options: TranslateOptions): MiddlewareSpec[] {
  return [];
}
