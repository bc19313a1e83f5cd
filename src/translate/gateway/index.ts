// The Gateway API room of translation: Gateways of Tideway's GatewayClasses, and the HTTPRoutes and
// GRPCRoutes attached to them, added to the same route, backend and certificate sets as Ingresses.
// Pure, like the rest of translate/. Routes are visited in the spec's precedence order (oldest first,
// then namespace/name), which numbers their matches for routing/'s tie-breaks.
import type { BackendTLSPolicy, ConfigMap, GatewayClass, GRPCRoute, HTTPRoute, ListenerSet, Namespace, ReferenceGrant } from '../../kube/types.ts';
import { BackendTlsPolicies } from './backend-tls-policy.ts';
import type { BackendProtocol, BackendTlsSpec, ClientValidationSpec, RouteOptions } from '../../routing/spec.ts';
import type { ClusterState } from '../../store/cluster-state.ts';
import type { BackendResolver } from '../backends.ts';
import type { ClusterIndex } from '../cluster-index.ts';
import type { DiagnosticSink } from '../diagnostics.ts';
import { compareIngressPrecedence, namespaceOf } from '../precedence.ts';
import type { RouteSet } from '../route-set.ts';
import { field } from '../shape.ts';
import type { CertificateSet } from '../tls.ts';
import { ReferenceGrants } from './grants.ts';
import { isOurClass, readOurGateways, type GatewayView, type Listener } from './listeners.ts';
import { gatewayStatus, SUPPORTED_FEATURES } from './gateway-status.ts';
import { condition, generationOf, type GatewayApiStatus, type StatusEntry } from './status.ts';
import { middlewareObjectFor } from '../middlewares.ts';
import { resolveBackendRef } from './backend-refs.ts';
import { readBackendClientCertificate } from './backend-client-certificate.ts';
import { translateRoute } from './routes.ts';
import { NamespaceLabels } from './namespaces.ts';
import { attachListenerSets } from './listener-sets.ts';
import { FrontendValidation } from './frontend-tls.ts';

export { GATEWAY_GROUP, isOurClass, type GatewayView, type Listener, type ListenerSetView } from './listeners.ts';
export { intersectHostnames } from './hostnames.ts';
export type { ConditionSpec, GatewayAddressSpec, GatewayApiStatus, ListenerStatusSpec, ParentRefSpec, PolicyAncestorStatusSpec, RouteParentStatusSpec, StatusEntry } from './status.ts';
export { SUPPORTED_FEATURES } from './gateway-status.ts';

export interface GatewayTranslationContext {
  state: ClusterState;
  index: ClusterIndex;
  backends: BackendResolver;
  certificates: CertificateSet;
  routes: RouteSet;
  /** Route options of Gateway API routes (the operator's defaults; no HTTPS redirect). */
  options: RouteOptions;
}

/** The named objects of one of the state's lists (hand-made states may hold anything). */
function list<T>(state: ClusterState, key: keyof ClusterState): readonly T[] {
  const value = field(state, key);
  if (!Array.isArray(value)) return [];
  return value.filter((o) => typeof field(field(o, 'metadata'), 'name') === 'string') as T[];
}

/** What translating the Gateway API objects gives besides routes. */
export interface GatewayApiResult {
  /** The status the leader writes. */
  status: GatewayApiStatus;
  /** Listener ports to bind besides 80 and 443 (plain HTTP, bound as written). */
  extraPorts: number[];
  /** HTTPS listener ports other than 443, bound as written. */
  extraTlsPorts: number[];
  /** Client certificate validation of HTTPS listeners. */
  clientValidation: ClientValidationSpec[];
}

/** Translates every Gateway API object of the state into routes of the shared sets. */
export function translateGatewayApi(ctx: GatewayTranslationContext, sink: DiagnosticSink): GatewayApiResult {
  const grants = new ReferenceGrants(list<ReferenceGrant>(ctx.state, 'referenceGrants'));
  const tlsPolicies = new BackendTlsPolicies(
    [...list<BackendTLSPolicy>(ctx.state, 'backendTlsPolicies')].sort((a, b) => compareIngressPrecedence(a as never, b as never)),
    list<ConfigMap>(ctx.state, 'configMaps'),
  );
  const namespaces = new NamespaceLabels(list<Namespace>(ctx.state, 'namespaces'));
  const classes = list<GatewayClass>(ctx.state, 'gatewayClasses').filter(isOurClass);
  const gateways = readOurGateways(classes, list(ctx.state, 'gateways'), ctx.certificates, grants, sink);
  const entries: StatusEntry[] = classes.map((c) => ({
    kind: 'GatewayClass', name: c.metadata.name, generation: generationOf(c),
    conditions: [condition('Accepted', true, 'Accepted', 'Tideway serves the Gateways of this class')],
    supportedFeatures: [...SUPPORTED_FEATURES],
  }));
  const byRef = new Map(gateways.map((g) => [g.ref, g]));
  const backendClientCertificates = new Map(gateways.map((g) => [g.ref, readBackendClientCertificate(g.gateway, ctx.index, grants, sink.for('Gateway', g.ref))]));
  const listenerSets = attachListenerSets(gateways, list<ListenerSet>(ctx.state, 'listenerSets'), namespaces, sink);
  const frontend = new FrontendValidation(list<ConfigMap>(ctx.state, 'configMaps'), grants);
  for (const view of gateways) view.insecureFrontend = frontend.apply(view, sink.for('Gateway', view.ref));
  const tlsPorts = protocolsByPort(gateways, sink);
  const listenerPorts = [...new Set(gateways.flatMap((g) => g.listeners.filter((l) => l.usable).map((l) => l.port)))].sort((a, b) => a - b);
  let order = 0;
  const routes = [...list<HTTPRoute>(ctx.state, 'httpRoutes'), ...list<GRPCRoute>(ctx.state, 'grpcRoutes')]
    .sort((a, b) => compareIngressPrecedence(a as never, b as never) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  for (const route of routes) {
    const diag = sink.for(route.kind, `${namespaceOf(route)}/${route.metadata.name}`);
    const grpc = route.kind === 'GRPCRoute';
    const namespace = namespaceOf(route);
    // A BackendTLSPolicy makes the backend TLS (https, or grpcs for gRPC), verified as it says.
    const resolve = (ns: string, backend: unknown, at: string, tls: BackendTlsSpec | null = null) => {
      const protocol: BackendProtocol | null = tls === null ? (grpc ? 'grpc' : null) : grpc ? 'grpcs' : 'https';
      return ctx.backends.resolve(ns, backend, at, protocol, diag, tls === null ? null : { resolved: tls });
    };
    const refs = { index: ctx.index, grants, tlsPolicies, resolve };
    try {
      const status = translateRoute(route, {
        ...refs,
        gateways: byRef,
        listenerSets,
        backendClientCertificates,
        routes: ctx.routes,
        options: ctx.options,
        nextOrder: () => order++,
        listenerPorts,
        namespaces,
        extensionRef: (name, at) => middlewareObjectFor(namespace, name, at, ctx.index, diag, resolve),
        mirrorEndpoints: (ref, at) => {
          const key = resolveBackendRef(ref, at, route.kind, namespace, refs, diag);
          if (key === null) return null;
          return (ctx.backends.spec(key)?.endpoints ?? []).filter((e) => e.ready).map((e) => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`));
        },
      }, diag);
      if (status !== null) entries.push(status);
    } catch (err) {
      // A safety net, as for Ingresses: this route is reported and the rest of the table is built.
      diag.error('', 'InternalError', `could not be translated: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // Gateways last: their listeners' attachedRoutes are counted by the routes; policies, whose
  // ancestors are the Gateways of the routes that met them, too.
  for (const view of gateways) entries.push(...gatewayStatus(view, backendClientCertificates.get(view.ref) ?? null, sink.for('Gateway', view.ref)));
  entries.push(...tlsPolicies.statusEntries());
  tlsPolicies.report(sink);
  const extra = listenerPorts.filter((p) => p !== 80 && p !== 443);
  return {
    status: { entries }, extraPorts: extra.filter((p) => !tlsPorts.has(p)), extraTlsPorts: extra.filter((p) => tlsPorts.has(p)),
    // A validation whose listeners lost their port to the other protocol has nothing to validate.
    clientValidation: frontend.specs.filter((s) => s.port === 443 || tlsPorts.has(s.port)),
  };
}

/**
 * One port speaks one protocol: listeners (of any of our Gateways, oldest Gateway first) that want the
 * other protocol on a port already taken are Conflicted (ProtocolConflict) and take no routes. Returns
 * the HTTPS ports.
 */
function protocolsByPort(gateways: readonly GatewayView[], sink: DiagnosticSink): Set<number> {
  const first = new Map<number, Listener>();
  for (const view of gateways) {
    view.listeners.forEach((listener, i) => {
      if (!listener.usable) return;
      const owner = first.get(listener.port);
      if (owner === undefined) first.set(listener.port, listener);
      else if (owner.protocol !== listener.protocol) {
        const message = `port ${listener.port} already serves ${owner.protocol} for listener ${owner.name} of Gateway ${owner.gateway}; listener ${listener.name} (${listener.protocol}) is Conflicted and takes no routes`;
        sink.for('Gateway', view.ref).error(`spec.listeners[${i}].protocol`, 'ProtocolConflict', message);
        listener.problems.push({ condition: 'Conflicted', reason: 'ProtocolConflict', message });
        listener.usable = false;
      }
    });
  }
  return new Set([...first.values()].filter((l) => l.protocol === 'HTTPS').map((l) => l.port));
}
