// ListenerSets (gateway.networking.k8s.io/v1): more listeners for a Gateway, written in other objects
// (often other namespaces). A Gateway takes those its spec.allowedListeners.namespaces admits (None by
// default); their listeners join the Gateway's after its own, the ListenerSets in precedence order
// (oldest first, then namespace/name), so a conflict leaves the earlier listener in place. Routes attach
// to them with a parentRef of kind ListenerSet; a parentRef naming the Gateway selects only the
// Gateway's own listeners.
import type { ListenerSet } from '../../kube/types.ts';
import type { DiagnosticSink } from '../diagnostics.ts';
import { compareIngressPrecedence, namespaceOf } from '../precedence.ts';
import { field, stringField } from '../shape.ts';
import { GATEWAY_GROUP, type GatewayView, type ListenerSetView } from './listeners.ts';
import { readNamespaceFilter, type NamespaceFilter, type NamespaceFrom, type NamespaceLabels } from './namespaces.ts';

const LISTENER_FROM: readonly NamespaceFrom[] = ['All', 'Selector', 'Same', 'None'];

/** The Gateway's allowedListeners, read once; a malformed one is reported and admits nothing. */
function allowedListeners(view: GatewayView, sink: DiagnosticSink): NamespaceFilter {
  const filter = readNamespaceFilter(field(field(view.gateway.spec, 'allowedListeners'), 'namespaces'), LISTENER_FROM, 'None');
  if (!('field' in filter)) return filter;
  sink.for('Gateway', view.ref).error(`spec.allowedListeners.namespaces${filter.field}`, 'UnsupportedValue', `${filter.message}; no ListenerSet is attached`);
  return { from: 'None' };
}

/**
 * Attaches the ListenerSets naming one of `gateways` to it (their listeners read and added to the
 * Gateway's), or records why not. Returns them by "namespace/name"; ListenerSets of other Gateways are
 * none of our business and left out.
 */
export function attachListenerSets(gateways: readonly GatewayView[], sets: readonly ListenerSet[], namespaces: NamespaceLabels, sink: DiagnosticSink): Map<string, ListenerSetView> {
  const byRef = new Map(gateways.map((g) => [g.ref, g]));
  const filters = new Map<GatewayView, NamespaceFilter>();
  const out = new Map<string, ListenerSetView>();
  for (const set of [...sets].sort((a, b) => compareIngressPrecedence(a as never, b as never))) {
    const namespace = namespaceOf(set);
    const parentRef = field(set.spec, 'parentRef');
    if ((stringField(parentRef, 'group') ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (stringField(parentRef, 'kind') ?? 'Gateway') !== 'Gateway') continue;
    const parent = byRef.get(`${stringField(parentRef, 'namespace') ?? namespace}/${stringField(parentRef, 'name') ?? ''}`);
    if (parent === undefined) continue;
    const ref = `${namespace}/${set.metadata.name}`;
    const diag = sink.for('ListenerSet', ref);
    let filter = filters.get(parent);
    if (filter === undefined) filters.set(parent, (filter = allowedListeners(parent, sink)));
    const view: ListenerSetView = { set, ref, parent, listeners: [], refusal: null };
    if (!namespaces.admits(filter, namespaceOf(parent.gateway), namespace)) {
      const message = `Gateway ${parent.ref} does not allow ListenerSets from namespace ${namespace} (spec.allowedListeners.namespaces.from: ${filter.from}); its listeners are not served`;
      diag.error('spec.parentRef', 'NotAllowed', message);
      view.refusal = { reason: 'NotAllowed', message };
    } else {
      view.listeners = parent.reader.readAll({ kind: 'ListenerSet', ref }, set.spec, diag);
      parent.listeners.push(...view.listeners);
    }
    parent.listenerSets.push(view);
    out.set(ref, view);
  }
  return out;
}
