// ingress-nginx's default-backend annotation: a Service of the Ingress's namespace (its first port)
// that gets the requests of paths whose own Service has no endpoint (or does not exist), instead of 503.
// The table is rebuilt on every EndpointSlice change, so choosing at translate time follows the
// endpoints as they come and go.
import type { BackendResolver } from '../backends.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { annotationField } from './annotations.ts';

export type FallbackFor = (backend: string | null) => string | null;

const KEEP: FallbackFor = (backend) => backend;

/** How a path's backend key becomes the one served: itself, or the default backend when it has no endpoint. */
export function defaultBackendFallback(name: string | null, namespace: string, prefix: string, backends: BackendResolver, diag: ObjectDiagnostics): FallbackFor {
  if (name === null) return KEEP;
  const at = annotationField(`${prefix}/default-backend`);
  const port = backends.servicePorts(namespace, name)[0];
  if (port === undefined) {
    diag.error(at, 'ServiceNotFound', `Service ${namespace}/${name} not found, or it has no port; paths without endpoints answer 503`);
    return KEEP;
  }
  const ref = backends.resolve(namespace, { service: { name, port: { number: port } } }, at, null, diag);
  if (!ref.route || ref.backend === null) return KEEP;
  const fallback = ref.backend;
  return (backend) => (backend !== null && backends.hasEndpoints(backend) ? backend : fallback);
}
