// Small builders for the Kubernetes objects translate() reads, so that each test states only what
// it is about.
import { CONTROLLER_NAME, SERVICE_NAME_LABEL } from '../../src/kube/constants.ts';
import type { Diagnostic } from '../../src/kube/diagnostic.ts';
import type {
  AnyKubeObject,
  Endpoint,
  EndpointPort,
  EndpointSlice,
  HTTPIngressPath,
  Ingress,
  IngressClass,
  IngressRule,
  IngressTLS,
  Secret,
  Service,
  ServicePort,
} from '../../src/kube/types.ts';
import type { ClusterState } from '../../src/store/cluster-state.ts';

export interface Meta {
  namespace?: string;
  annotations?: Record<string, string>;
  created?: string;
}

function metadata(name: string, meta: Meta = {}): Ingress['metadata'] {
  const m: Ingress['metadata'] = { name, namespace: meta.namespace ?? 'default' };
  if (meta.annotations) m.annotations = meta.annotations;
  if (meta.created) m.creationTimestamp = meta.created;
  return m;
}

export function ingress(name: string, spec: NonNullable<Ingress['spec']>, meta: Meta = {}): Ingress {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: metadata(name, meta), spec: { ingressClassName: 'tideway', ...spec } };
}

/** An Ingress without spec.ingressClassName (for class-selection tests). */
export function classlessIngress(name: string, spec: NonNullable<Ingress['spec']>, meta: Meta = {}): Ingress {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: metadata(name, meta), spec };
}

export function backend(service: string, port: number | string): HTTPIngressPath['backend'] {
  return { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

export function path(p: string, pathType: string, service = 'web', port: number | string = 80): HTTPIngressPath {
  return { path: p, pathType, backend: backend(service, port) };
}

export function rule(host: string | undefined, ...paths: HTTPIngressPath[]): IngressRule {
  return host === undefined ? { http: { paths } } : { host, http: { paths } };
}

export function tls(secretName: string, ...hosts: string[]): IngressTLS {
  return hosts.length ? { secretName, hosts } : { secretName };
}

export function ingressClass(name: string, controller = CONTROLLER_NAME, isDefault = false): IngressClass {
  const meta: IngressClass['metadata'] = { name };
  if (isDefault) meta.annotations = { 'ingressclass.kubernetes.io/is-default-class': 'true' };
  return { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: meta, spec: { controller } };
}

export const OUR_CLASS = ingressClass('tideway');

export function service(name: string, ports: ServicePort[] = [{ port: 80 }], meta: Meta & { type?: string } = {}): Service {
  const spec: NonNullable<Service['spec']> = { ports };
  if (meta.type) spec.type = meta.type;
  return { apiVersion: 'v1', kind: 'Service', metadata: metadata(name, meta), spec };
}

export function endpoint(address: string | string[], conditions?: Endpoint['conditions'], pod?: string): Endpoint {
  const e: Endpoint = { addresses: Array.isArray(address) ? address : [address] };
  if (conditions) e.conditions = conditions;
  if (pod) e.targetRef = { kind: 'Pod', name: pod };
  return e;
}

export function slice(name: string, serviceName: string, ports: EndpointPort[], endpoints: Endpoint[], meta: Meta & { addressType?: EndpointSlice['addressType'] } = {}): EndpointSlice {
  const m = metadata(name, meta);
  m.labels = { [SERVICE_NAME_LABEL]: serviceName };
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: m, addressType: meta.addressType ?? 'IPv4', ports, endpoints };
}

export function tlsSecret(name: string, certPem: string, keyPem: string, meta: Meta & { type?: string } = {}): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(name, meta),
    type: meta.type ?? 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(certPem).toString('base64'), 'tls.key': Buffer.from(keyPem).toString('base64') },
  };
}

/** A ClusterState holding the given objects, plus Tideway's IngressClass unless `withClass` is false. */
export function clusterState(objects: AnyKubeObject[], withClass = true): ClusterState {
  const of = <K extends AnyKubeObject['kind']>(kind: K) => objects.filter((o): o is Extract<AnyKubeObject, { kind: K }> => o.kind === kind);
  return {
    ingresses: of('Ingress'),
    ingressClasses: withClass ? [OUR_CLASS, ...of('IngressClass')] : of('IngressClass'),
    services: of('Service'),
    endpointSlices: of('EndpointSlice'),
    secrets: of('Secret'),
    middlewares: of('Middleware'),
    sourceDiagnostics: [],
  };
}

/** The default web Service (port 80, one endpoint) that most path tests route to. */
export function webBackend(name = 'web', namespace = 'default'): AnyKubeObject[] {
  return [service(name, [{ port: 80 }], { namespace }), slice(`${name}-1`, name, [{ port: 8080 }], [endpoint('10.0.0.1')], { namespace })];
}

export function reasons(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => d.reason);
}

export function findDiagnostic(diagnostics: readonly Diagnostic[], reason: string): Diagnostic {
  const found = diagnostics.find((d) => d.reason === reason);
  if (!found) throw new Error(`no ${reason} diagnostic in ${JSON.stringify(diagnostics, null, 2)}`);
  return found;
}
