// The status translation computes for Gateway API objects, as data: which conditions the Lease leader
// writes (src/status/ adds lastTransitionTime and observedGeneration). Pure, like all of translate/.
// Reasons are the spec's (gateway.networking.k8s.io v1.6).
import type { Listener, ListenerProblem } from './listeners.ts';

export interface ConditionSpec {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface ObjectId {
  kind: 'GatewayClass' | 'Gateway' | 'ListenerSet' | 'HTTPRoute' | 'GRPCRoute' | 'BackendTLSPolicy';
  /** Absent for GatewayClass. */
  namespace?: string;
  name: string;
  /** metadata.generation the conditions are about (observedGeneration). */
  generation: number;
}

export interface ListenerStatusSpec {
  name: string;
  attachedRoutes: number;
  supportedKinds: { group: string; kind: string }[];
  conditions: ConditionSpec[];
}

export interface ParentRefSpec {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface RouteParentStatusSpec {
  parentRef: ParentRefSpec;
  conditions: ConditionSpec[];
}

export interface GatewayClassStatusEntry extends ObjectId {
  kind: 'GatewayClass';
  conditions: ConditionSpec[];
  supportedFeatures: string[];
}

export interface GatewayStatusEntry extends ObjectId {
  kind: 'Gateway';
  conditions: ConditionSpec[];
  listeners: ListenerStatusSpec[];
  /** ListenerSets attached and Accepted (status.attachedListenerSets). */
  attachedListenerSets: number;
  /**
   * spec.addresses of supported types. The status writer, which knows Tideway's addresses, lists
   * those that are Tideway's in status.addresses and makes the Gateway Programmed=False
   * (AddressNotUsable) for the others. Empty: status.addresses is Tideway's own.
   */
  requestedAddresses: GatewayAddressSpec[];
}

export interface GatewayAddressSpec {
  type: 'IPAddress' | 'Hostname';
  value: string;
}

export interface ListenerSetStatusEntry extends ObjectId {
  kind: 'ListenerSet';
  conditions: ConditionSpec[];
  listeners: ListenerStatusSpec[];
}

export interface RouteStatusEntry extends ObjectId {
  kind: 'HTTPRoute' | 'GRPCRoute';
  parents: RouteParentStatusSpec[];
}

/** A policy's status for one Gateway through which it applies (PolicyAncestorStatus). */
export interface PolicyAncestorStatusSpec {
  ancestorRef: ParentRefSpec;
  conditions: ConditionSpec[];
}

export interface PolicyStatusEntry extends ObjectId {
  kind: 'BackendTLSPolicy';
  ancestors: PolicyAncestorStatusSpec[];
}

export type StatusEntry = GatewayClassStatusEntry | GatewayStatusEntry | ListenerSetStatusEntry | RouteStatusEntry | PolicyStatusEntry;

/** Everything the leader writes for one translation, sorted by kind, namespace and name. */
export interface GatewayApiStatus {
  entries: StatusEntry[];
}

export function condition(type: string, ok: boolean, reason: string, message: string): ConditionSpec {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

function first(problems: readonly ListenerProblem[], kind: ListenerProblem['condition']): ListenerProblem | undefined {
  return problems.find((p) => p.condition === kind);
}

/** Whether the listener is Accepted: no Accepted problem and no conflict (a conflicted listener is not). */
export function isAccepted(listener: Listener): boolean {
  return !listener.problems.some((p) => p.condition === 'Accepted' || p.condition === 'Conflicted');
}

export function listenerStatus(listener: Listener): ListenerStatusSpec {
  const conflict = first(listener.problems, 'Conflicted');
  // A conflicted listener is neither Accepted nor Programmed, for the conflict's reason.
  const accepted = first(listener.problems, 'Accepted') ?? conflict;
  const refs = first(listener.problems, 'ResolvedRefs');
  const programmed = listener.usable;
  return {
    name: listener.name,
    attachedRoutes: listener.attachedRoutes,
    supportedKinds: listener.kinds.map((kind) => ({ group: 'gateway.networking.k8s.io', kind })),
    conditions: [
      accepted ? condition('Accepted', false, accepted.reason, accepted.message) : condition('Accepted', true, 'Accepted', 'the listener is accepted'),
      programmed
        ? condition('Programmed', true, 'Programmed', 'the listener is served')
        : condition('Programmed', false, conflict?.reason ?? 'Invalid', (accepted ?? refs)?.message ?? 'the listener is not served'),
      refs ? condition('ResolvedRefs', false, refs.reason, refs.message) : condition('ResolvedRefs', true, 'ResolvedRefs', 'every reference is resolved'),
      conflict ? condition('Conflicted', true, conflict.reason, conflict.message) : condition('Conflicted', false, 'NoConflicts', 'no conflict with another listener'),
    ],
  };
}

export function generationOf(object: { metadata: { generation?: number } }): number {
  const g = object.metadata.generation;
  return typeof g === 'number' ? g : 0;
}
