// ingress-nginx's default-backend annotation: a Service of the Ingress's namespace (its first port)
// that gets the requests of paths whose own Service has no endpoint (or does not exist), instead of 503.
// The table is rebuilt on every EndpointSlice change, so choosing at translate time follows the
// endpoints as they come and go.
import type { BackendSink } from '../backends.ts';
import type { Lookups } from '../cluster-index.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { arrayField, field } from '../shape.ts';
import { annotationField } from './annotations.ts';

export type FallbackFor = (backend: string | null) => string | null;

const KEEP: FallbackFor = (backend) => backend;

/** How a path's backend key becomes the one served: itself, or the default backend when it has no endpoint. */
export function defaultBackendFallback(name: string | null, namespace: string, prefix: string, lookups: Lookups, backends: BackendSink, diag: ObjectDiagnostics): FallbackFor {
  if (name === null) return KEEP;
  const hasEndpoints = backends.hasEndpoints?.bind(backends);
  if (hasEndpoints === undefined) return KEEP;
  const at = annotationField(`${prefix}/default-backend`);
  const port = field(arrayField(field(lookups.service(namespace, name), 'spec'), 'ports')[0], 'port');
  if (typeof port !== 'number') {
    diag.error(at, 'ServiceNotFound', `Service ${namespace}/${name} not found, or it has no port; paths without endpoints answer 503`);
    return KEEP;
  }
  const ref = backends.resolve(namespace, { service: { name, port: { number: port } } }, at, null, diag);
  if (!ref.route || ref.backend === null) return KEEP;
  const fallback = ref.backend;
  return (backend) => (backend !== null && hasEndpoints(backend) ? backend : fallback);
}
