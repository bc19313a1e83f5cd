// What the Kubernetes source lists and watches, and how narrowly: every byte listed is held in memory and
// every resource needs a list+watch RBAC rule, so each one is filtered on the server where it can be.
import type { Kind } from '../../kube/types.ts';
import { API_VERSIONS } from '../../kube/types.ts';
import { SERVICE_NAME_LABEL } from '../../kube/constants.ts';

export interface WatchedResource {
  kind: Kind;
  apiVersion: string;
  /** Resource name in URLs, e.g. "ingresses". */
  plural: string;
  namespaced: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  /** A custom resource whose CRD may not be installed: 404 means "none", not an error. */
  optional?: boolean;
}

export const WATCHED_RESOURCES: readonly WatchedResource[] = [
  { kind: 'Ingress', apiVersion: API_VERSIONS.Ingress, plural: 'ingresses', namespaced: true },
  { kind: 'IngressClass', apiVersion: API_VERSIONS.IngressClass, plural: 'ingressclasses', namespaced: false },
  { kind: 'Service', apiVersion: API_VERSIONS.Service, plural: 'services', namespaced: true },
  // Slices without the service-name label belong to no Service, so no backend can use them.
  { kind: 'EndpointSlice', apiVersion: API_VERSIONS.EndpointSlice, plural: 'endpointslices', namespaced: true, labelSelector: SERVICE_NAME_LABEL },
  // Only certificates. Listing every Secret would hold all of the cluster's credentials in memory (service
  // account tokens, registry credentials, Helm release Secrets of up to 1 MB each). The other Secrets the
  // configuration names (basic auth users, backend CAs, Middleware objects' Secrets) are watched one by
  // one, by name, while something names them: see namedSecret() and source.ts.
  { kind: 'Secret', apiVersion: API_VERSIONS.Secret, plural: 'secrets', namespaced: true, fieldSelector: 'type=kubernetes.io/tls' },
  { kind: 'Middleware', apiVersion: API_VERSIONS.Middleware, plural: 'middlewares', namespaced: true, optional: true },
  // Gateway API: clusters without its CRDs are common, and Ingress works without them.
  { kind: 'GatewayClass', apiVersion: API_VERSIONS.GatewayClass, plural: 'gatewayclasses', namespaced: false, optional: true },
  { kind: 'Gateway', apiVersion: API_VERSIONS.Gateway, plural: 'gateways', namespaced: true, optional: true },
  { kind: 'HTTPRoute', apiVersion: API_VERSIONS.HTTPRoute, plural: 'httproutes', namespaced: true, optional: true },
  { kind: 'GRPCRoute', apiVersion: API_VERSIONS.GRPCRoute, plural: 'grpcroutes', namespaced: true, optional: true },
  { kind: 'ReferenceGrant', apiVersion: API_VERSIONS.ReferenceGrant, plural: 'referencegrants', namespaced: true, optional: true },
  { kind: 'BackendTLSPolicy', apiVersion: API_VERSIONS.BackendTLSPolicy, plural: 'backendtlspolicies', namespaced: true, optional: true },
  { kind: 'ListenerSet', apiVersion: API_VERSIONS.ListenerSet, plural: 'listenersets', namespaced: true, optional: true },
  // Their labels decide which routes and ListenerSets a Gateway admits (allowedRoutes.namespaces.from:
  // Selector). Cluster-scoped, small, and few.
  { kind: 'Namespace', apiVersion: API_VERSIONS.Namespace, plural: 'namespaces', namespaced: false },
];

/**
 * ConfigMaps are read one by one, by name (ingress-nginx's, --ingress-nginx-configmap): listing them
 * all would hold every application's configuration. "namespace/name" -> a resource watched in that
 * namespace only, filtered to that name on the server.
 */
export function namedConfigMap(name: string): WatchedResource {
  return { kind: 'ConfigMap', apiVersion: API_VERSIONS.ConfigMap, plural: 'configmaps', namespaced: true, fieldSelector: `metadata.name=${name}` };
}

/**
 * One Secret the configuration names, watched in its namespace and filtered to its name on the server.
 * TLS Secrets are left out: the Secret list above holds them already, and one object must come from
 * one list only.
 */
export function namedSecret(name: string): WatchedResource {
  return { kind: 'Secret', apiVersion: API_VERSIONS.Secret, plural: 'secrets', namespaced: true, fieldSelector: `metadata.name=${name},type!=kubernetes.io/tls` };
}

/** The collection URL path of `resource`, in one namespace or (undefined) in all of them. */
export function collectionPath(resource: WatchedResource, namespace: string | undefined): string {
  const prefix = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  const scope = resource.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${prefix}${scope}/${resource.plural}`;
}

/** "ingresses in namespace shop" / "ingressclasses": for log messages. */
export function describeScope(resource: WatchedResource, namespace: string | undefined): string {
  if (!resource.namespaced) return resource.plural;
  return namespace === undefined ? `${resource.plural} in all namespaces` : `${resource.plural} in namespace ${namespace}`;
}
