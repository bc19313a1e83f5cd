// Builders for Gateway API objects as YAML (files source) or plain objects (API test server).
import { stringify } from 'yaml';

export const GW = 'gateway.networking.k8s.io';

export function gatewayClass(name = 'tideway', controllerName = 'tideway.dev/gateway-controller'): Record<string, unknown> {
  return { apiVersion: `${GW}/v1`, kind: 'GatewayClass', metadata: { name }, spec: { controllerName } };
}

export interface ListenerInput {
  name: string;
  port?: number;
  protocol?: string;
  hostname?: string;
  from?: 'Same' | 'All' | 'Selector';
  /** allowedRoutes.namespaces.selector (with from: Selector). */
  selector?: Record<string, unknown>;
  kinds?: string[];
  certificateRefs?: { name: string; namespace?: string }[];
}

function listenerSpec(l: ListenerInput): Record<string, unknown> {
  return {
    name: l.name, port: l.port ?? 80, protocol: l.protocol ?? 'HTTP',
    ...(l.hostname ? { hostname: l.hostname } : {}),
    ...(l.from || l.kinds ? { allowedRoutes: { ...(l.from ? { namespaces: { from: l.from, ...(l.selector ? { selector: l.selector } : {}) } } : {}), ...(l.kinds ? { kinds: l.kinds.map((kind) => ({ kind })) } : {}) } } : {}),
    ...(l.certificateRefs ? { tls: { certificateRefs: l.certificateRefs } } : {}),
  };
}

/** spec.allowedListeners.namespaces of a Gateway: which ListenerSets it takes. */
export interface AllowedListenersInput {
  from: 'Same' | 'All' | 'Selector' | 'None';
  selector?: Record<string, unknown>;
}

export function gateway(name: string, listeners: ListenerInput[], options: { namespace?: string; className?: string; allowedListeners?: AllowedListenersInput } = {}): Record<string, unknown> {
  return {
    apiVersion: `${GW}/v1`, kind: 'Gateway', metadata: { name, namespace: options.namespace ?? 'default' },
    spec: {
      gatewayClassName: options.className ?? 'tideway',
      listeners: listeners.map(listenerSpec),
      ...(options.allowedListeners ? { allowedListeners: { namespaces: options.allowedListeners } } : {}),
    },
  };
}

export function listenerSet(name: string, parent: { name: string; namespace?: string }, listeners: ListenerInput[], options: { namespace?: string; creationTimestamp?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: `${GW}/v1`, kind: 'ListenerSet',
    metadata: { name, namespace: options.namespace ?? 'default', ...(options.creationTimestamp ? { creationTimestamp: options.creationTimestamp } : {}) },
    spec: { parentRef: parent, listeners: listeners.map(listenerSpec) },
  };
}

export function httpRoute(name: string, spec: Record<string, unknown>, options: { namespace?: string; creationTimestamp?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: `${GW}/v1`, kind: 'HTTPRoute',
    metadata: { name, namespace: options.namespace ?? 'default', ...(options.creationTimestamp ? { creationTimestamp: options.creationTimestamp } : {}) },
    spec,
  };
}

export function referenceGrant(name: string, namespace: string, from: { kind: string; namespace: string }, to: { kind: string; name?: string }): Record<string, unknown> {
  return {
    apiVersion: `${GW}/v1beta1`, kind: 'ReferenceGrant', metadata: { name, namespace },
    spec: { from: [{ group: GW, kind: from.kind, namespace: from.namespace }], to: [{ group: '', kind: to.kind, ...(to.name ? { name: to.name } : {}) }] },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export function yamlDocs(...objects: Record<string, unknown>[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}
