// Builds the ClusterState translate() reads from the objects each origin holds. Deterministic: origins are
// visited in sorted order, so when two origins define the same object the one that sorts first wins, and
// every array is sorted by namespace/name.

import type {
  AnyKubeObject, BackendTLSPolicy, EndpointSlice, Gateway, GatewayClass, GRPCRoute, HTTPRoute, Ingress, IngressClass, Kind, ListenerSet,
  Middleware, Namespace, ReferenceGrant, Secret, Service, ConfigMap,
} from '../kube/types.ts';
import { KINDS, objectRef } from '../kube/types.ts';
import type { Diagnostic } from '../kube/diagnostic.ts';
import type { ClusterState } from './cluster-state.ts';

export interface OriginContents {
  /** Objects by objectKey(). */
  readonly objects: ReadonlyMap<string, AnyKubeObject>;
  readonly diagnostics: readonly Diagnostic[];
}

interface Winner {
  object: AnyKubeObject;
  origins: string[];
}

export function buildClusterState(origins: ReadonlyMap<string, OriginContents>): ClusterState {
  const names = [...origins.keys()].sort(compareStrings);
  const winners = new Map<string, Winner>();
  const diagnostics: Diagnostic[] = [];
  for (const origin of names) {
    const contents = origins.get(origin)!;
    diagnostics.push(...contents.diagnostics);
    for (const [key, object] of contents.objects) {
      const winner = winners.get(key);
      if (winner) winner.origins.push(origin);
      else winners.set(key, { object, origins: [origin] });
    }
  }

  const byKind = Object.fromEntries(KINDS.map((kind) => [kind, [] as AnyKubeObject[]])) as Record<Kind, AnyKubeObject[]>;
  for (const { object, origins: definedIn } of winners.values()) {
    byKind[object.kind].push(object);
    if (definedIn.length > 1) diagnostics.push(duplicateWarning(object, definedIn));
  }
  const sorted = <T extends AnyKubeObject>(kind: T['kind']): readonly T[] =>
    Object.freeze(byKind[kind].sort(compareObjects) as T[]);

  return Object.freeze({
    ingresses: sorted<Ingress>('Ingress'),
    ingressClasses: sorted<IngressClass>('IngressClass'),
    services: sorted<Service>('Service'),
    endpointSlices: sorted<EndpointSlice>('EndpointSlice'),
    secrets: sorted<Secret>('Secret'),
    middlewares: sorted<Middleware>('Middleware'),
    gatewayClasses: sorted<GatewayClass>('GatewayClass'),
    gateways: sorted<Gateway>('Gateway'),
    httpRoutes: sorted<HTTPRoute>('HTTPRoute'),
    grpcRoutes: sorted<GRPCRoute>('GRPCRoute'),
    referenceGrants: sorted<ReferenceGrant>('ReferenceGrant'),
    backendTlsPolicies: sorted<BackendTLSPolicy>('BackendTLSPolicy'),
    listenerSets: sorted<ListenerSet>('ListenerSet'),
    configMaps: sorted<ConfigMap>('ConfigMap'),
    namespaces: sorted<Namespace>('Namespace'),
    sourceDiagnostics: Object.freeze(diagnostics),
  });
}

function duplicateWarning(object: AnyKubeObject, definedIn: string[]): Diagnostic {
  return {
    severity: 'warning',
    kind: object.kind,
    object: objectRef(object),
    field: '',
    message: `defined more than once, in ${definedIn.join(' and ')}; the one from ${definedIn[0]} is used`,
    reason: 'DuplicateObject',
  };
}

function compareObjects(a: AnyKubeObject, b: AnyKubeObject): number {
  return compareStrings(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || compareStrings(a.metadata.name, b.metadata.name);
}

/** Code-unit order, not locale order: the same on every machine. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
