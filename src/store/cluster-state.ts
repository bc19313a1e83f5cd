import type {
  BackendTLSPolicy, EndpointSlice, Gateway, GatewayClass, GRPCRoute, HTTPRoute, Ingress, IngressClass, ListenerSet, Middleware,
  Namespace, ReferenceGrant, Secret, Service, ConfigMap,
} from '../kube/types.ts';
import type { Diagnostic } from '../kube/diagnostic.ts';

/**
 * Everything translate() reads: an immutable view of the objects a source has delivered, plus the
 * diagnostics the sources themselves raised (unreadable files, objects that failed basic validation).
 * Arrays are sorted by namespace/name so that translation is deterministic.
 */
export interface ClusterState {
  ingresses: readonly Ingress[];
  ingressClasses: readonly IngressClass[];
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  secrets: readonly Secret[];
  middlewares: readonly Middleware[];
  /** Gateway API objects; absent in states built before Gateway API support (tests' hand-made states). */
  gatewayClasses?: readonly GatewayClass[];
  gateways?: readonly Gateway[];
  httpRoutes?: readonly HTTPRoute[];
  grpcRoutes?: readonly GRPCRoute[];
  referenceGrants?: readonly ReferenceGrant[];
  backendTlsPolicies?: readonly BackendTLSPolicy[];
  listenerSets?: readonly ListenerSet[];
  /** ConfigMaps (ingress-nginx's, --ingress-nginx-configmap); absent in tests' hand-made states. */
  configMaps?: readonly ConfigMap[];
  /** Namespaces (their labels, for Gateway API namespace selectors); absent in tests' hand-made states. */
  namespaces?: readonly Namespace[];
  sourceDiagnostics: readonly Diagnostic[];
}
