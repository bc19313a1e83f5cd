// The Kubernetes objects Tideway reads, typed only as far as Tideway uses them. Both sources (the API
// server and manifest files) produce these plain JSON shapes; timestamps stay RFC 3339 strings.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export interface ServiceBackendPort { number?: number; name?: string }
export interface IngressServiceBackend { name: string; port?: ServiceBackendPort }
export interface TypedLocalObjectReference { apiGroup?: string; kind: string; name: string }
export interface IngressBackend { service?: IngressServiceBackend; resource?: TypedLocalObjectReference }
export interface HTTPIngressPath { path?: string; pathType?: string; backend: IngressBackend }
export interface IngressRule { host?: string; http?: { paths: HTTPIngressPath[] } }
export interface IngressTLS { hosts?: string[]; secretName?: string }
export interface LoadBalancerIngress { ip?: string; hostname?: string; ports?: { port: number; protocol: string }[] }

export interface Ingress extends KubeObject {
  kind: 'Ingress';
  spec?: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    rules?: IngressRule[];
    tls?: IngressTLS[];
  };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface IngressClass extends KubeObject {
  kind: 'IngressClass';
  spec?: { controller?: string; parameters?: unknown };
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface Service extends KubeObject {
  kind: 'Service';
  spec?: { type?: string; ports?: ServicePort[]; clusterIP?: string; externalName?: string; selector?: Record<string, string> };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface EndpointConditions { ready?: boolean; serving?: boolean; terminating?: boolean }
export interface Endpoint { addresses: string[]; conditions?: EndpointConditions; nodeName?: string; zone?: string; targetRef?: { kind?: string; name?: string; namespace?: string } }
export interface EndpointPort { name?: string; port?: number; protocol?: string; appProtocol?: string }

export interface EndpointSlice extends KubeObject {
  kind: 'EndpointSlice';
  addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

export interface Secret extends KubeObject {
  kind: 'Secret';
  type?: string;
  /** base64-encoded values, as the API serves them */
  data?: Record<string, string>;
  /** plain values, as manifests may write them; merged into data by the sources */
  stringData?: Record<string, string>;
}

/** Read for ingress-nginx compatibility only (--ingress-nginx-configmap). */
export interface ConfigMap extends KubeObject {
  kind: 'ConfigMap';
  data?: Record<string, string>;
}

/**
 * Read for Gateway API listeners that admit routes (or ListenerSets) from namespaces chosen by a label
 * selector: only the labels matter.
 */
export interface Namespace extends KubeObject {
  kind: 'Namespace';
}

/** Tideway's own custom resource (group tideway.dev, version v1alpha1). */
export interface Middleware extends KubeObject {
  kind: 'Middleware';
  spec?: Record<string, unknown>;
}

/**
 * Gateway API objects (gateway.networking.k8s.io, v1.6 standard channel). Their specs are deep and
 * translate/gateway/ reads every field through guards, so only the top level is typed here.
 */
export interface GatewayApiObject<K extends string> extends KubeObject {
  kind: K;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}
export type GatewayClass = GatewayApiObject<'GatewayClass'>;
export type Gateway = GatewayApiObject<'Gateway'>;
export type HTTPRoute = GatewayApiObject<'HTTPRoute'>;
export type GRPCRoute = GatewayApiObject<'GRPCRoute'>;
export type ReferenceGrant = GatewayApiObject<'ReferenceGrant'>;
export type BackendTLSPolicy = GatewayApiObject<'BackendTLSPolicy'>;
export type ListenerSet = GatewayApiObject<'ListenerSet'>;
export type GatewayApiKind = 'GatewayClass' | 'Gateway' | 'HTTPRoute' | 'GRPCRoute' | 'ReferenceGrant' | 'BackendTLSPolicy' | 'ListenerSet';

export type AnyKubeObject = Ingress | IngressClass | Service | EndpointSlice | Secret | Middleware | ConfigMap | Namespace
  | GatewayClass | Gateway | HTTPRoute | GRPCRoute | ReferenceGrant | BackendTLSPolicy | ListenerSet;
export type Kind = AnyKubeObject['kind'];
export const GATEWAY_API_KINDS: readonly GatewayApiKind[] = ['GatewayClass', 'Gateway', 'HTTPRoute', 'GRPCRoute', 'ReferenceGrant', 'BackendTLSPolicy', 'ListenerSet'];
export const KINDS: readonly Kind[] = ['Ingress', 'IngressClass', 'Service', 'EndpointSlice', 'Secret', 'Middleware', 'ConfigMap', 'Namespace', ...GATEWAY_API_KINDS];

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** apiVersion each kind is read as (the preferred one; see ALSO_SERVED for older versions still served). */
export const API_VERSIONS: Record<Kind, string> = {
  Ingress: 'networking.k8s.io/v1',
  IngressClass: 'networking.k8s.io/v1',
  Service: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  Secret: 'v1',
  Middleware: 'tideway.dev/v1alpha1',
  ConfigMap: 'v1',
  Namespace: 'v1',
  GatewayClass: `${GATEWAY_API_GROUP}/v1`,
  Gateway: `${GATEWAY_API_GROUP}/v1`,
  HTTPRoute: `${GATEWAY_API_GROUP}/v1`,
  GRPCRoute: `${GATEWAY_API_GROUP}/v1`,
  ReferenceGrant: `${GATEWAY_API_GROUP}/v1`,
  BackendTLSPolicy: `${GATEWAY_API_GROUP}/v1`,
  ListenerSet: `${GATEWAY_API_GROUP}/v1`,
};

/** Older versions the v1.6 standard-channel CRDs still serve, with the same schema as the preferred one. */
export const ALSO_SERVED: Partial<Record<Kind, readonly string[]>> = {
  GatewayClass: [`${GATEWAY_API_GROUP}/v1beta1`],
  Gateway: [`${GATEWAY_API_GROUP}/v1beta1`],
  HTTPRoute: [`${GATEWAY_API_GROUP}/v1beta1`],
  ReferenceGrant: [`${GATEWAY_API_GROUP}/v1beta1`],
};

const CLUSTER_SCOPED: ReadonlySet<Kind> = new Set(['IngressClass', 'GatewayClass', 'Namespace']);

export function isClusterScoped(kind: Kind): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/** IngressClass, GatewayClass and Namespace are cluster-scoped; every other kind is namespaced. */
export function objectKey(kind: Kind, namespace: string | undefined, name: string): string {
  return CLUSTER_SCOPED.has(kind) ? `${kind}/${name}` : `${kind}/${namespace ?? 'default'}/${name}`;
}

/** "namespace/name" (or "name" for cluster-scoped objects), as diagnostics and the admin API print it. */
export function objectRef(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}
