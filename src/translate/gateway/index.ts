// The Gateway API room of translation: Gateways of Tideway's GatewayClasses, and the HTTPRoutes and
// GRPCRoutes attached to them, added to the same route, backend and certificate sets as Ingresses.
// Pure, like the rest of translate/. Routes are visited in the spec's precedence order (oldest first,
// then namespace/name), which numbers their matches for routing/'s tie-breaks.
import type { GRPCRoute, HTTPRoute, ReferenceGrant } from '../../kube/types.ts';
import type { BackendProtocol, RouteOptions } from '../../routing/spec.ts';
import type { ClusterState } from '../../store/cluster-state.ts';
import type { BackendResolver } from '../backends.ts';
import type { ClusterIndex } from '../cluster-index.ts';
import type { DiagnosticSink } from '../diagnostics.ts';
import { compareIngressPrecedence, namespaceOf } from '../precedence.ts';
import type { RouteSet } from '../route-set.ts';
import { field } from '../shape.ts';
import type { CertificateSet } from '../tls.ts';
import { ReferenceGrants } from './grants.ts';
import { readOurGateways, type GatewayView } from './listeners.ts';
import { translateRoute } from './routes.ts';

export { GATEWAY_GROUP, isOurClass, type GatewayView, type Listener } from './listeners.ts';
export { intersectHostnames } from './hostnames.ts';

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

/** Translates every Gateway API object of the state; returns the Gateways served (for status and tooling). */
export function translateGatewayApi(ctx: GatewayTranslationContext, sink: DiagnosticSink): GatewayView[] {
  const grants = new ReferenceGrants(list<ReferenceGrant>(ctx.state, 'referenceGrants'));
  const gateways = readOurGateways(list(ctx.state, 'gatewayClasses'), list(ctx.state, 'gateways'), ctx.certificates, grants, sink);
  if (gateways.length === 0) return gateways;
  const byRef = new Map(gateways.map((g) => [g.ref, g]));
  let order = 0;
  const routes = [...list<HTTPRoute>(ctx.state, 'httpRoutes'), ...list<GRPCRoute>(ctx.state, 'grpcRoutes')]
    .sort((a, b) => compareIngressPrecedence(a as never, b as never) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  for (const route of routes) {
    const diag = sink.for(route.kind, `${namespaceOf(route)}/${route.metadata.name}`);
    const protocol: BackendProtocol | null = route.kind === 'GRPCRoute' ? 'grpc' : null;
    try {
      translateRoute(route, {
        gateways: byRef,
        routes: ctx.routes,
        options: ctx.options,
        index: ctx.index,
        grants,
        nextOrder: () => order++,
        resolve: (namespace, backend, at) => ctx.backends.resolve(namespace, backend, at, protocol, diag),
      }, diag);
    } catch (err) {
      // A safety net, as for Ingresses: this route is reported and the rest of the table is built.
      diag.error('', 'InternalError', `could not be translated: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return gateways;
}
