// Status of our Gateways and the features our GatewayClasses announce.
import { arrayField } from '../shape.ts';
import type { GatewayView, ListenerSetView } from './listeners.ts';
import { condition, generationOf, isAccepted, listenerStatus, type ConditionSpec, type ListenerSetStatusEntry, type StatusEntry } from './status.ts';
import { isClientCertificate, type BackendClientCertificate } from './backend-client-certificate.ts';

/** The Gateway's own references (listeners report theirs): the backend client certificate. */
function resolvedRefs(backendCertificate: BackendClientCertificate): ConditionSpec {
  if (backendCertificate === null || isClientCertificate(backendCertificate)) return condition('ResolvedRefs', true, 'ResolvedRefs', 'every reference is resolved');
  return condition('ResolvedRefs', false, backendCertificate.reason, backendCertificate.message);
}

/**
 * Conformance features Tideway supports (GatewayClass status.supportedFeatures), the names of the
 * Gateway API's conformance suite. docs/gateway-api.md lists every feature, supported or not, and why.
 */
export const SUPPORTED_FEATURES: readonly string[] = [
  'Gateway', 'GatewayAddressEmpty', 'GatewayFrontendClientCertificateValidation', 'GatewayFrontendClientCertificateValidationInsecureFallback', 'GatewayHTTPListenerIsolation', 'GatewayPort8080', 'GatewayHTTPSListenerDetectMisdirectedRequests', 'GRPCRoute', 'GRPCRouteNamedRouteRule', 'GRPCRouteRequestHeaderModifier',
  'GatewayBackendClientCertificate', 'BackendTLSPolicy', 'BackendTLSPolicySANValidation',
  'HTTPRoute', 'HTTPRoute303RedirectStatusCode', 'HTTPRoute307RedirectStatusCode', 'HTTPRoute308RedirectStatusCode',
  'HTTPRouteBackendProtocolH2C', 'HTTPRouteBackendProtocolWebSocket', 'HTTPRouteBackendRequestHeaderModification', 'HTTPRouteBackendTimeout',
  'HTTPRouteCORS', 'HTTPRouteHostRewrite', 'HTTPRouteMethodMatching', 'HTTPRouteNamedRouteRule', 'HTTPRouteParentRefPort', 'HTTPRoutePathRedirect',
  'HTTPRoutePathRewrite', 'HTTPRoutePortRedirect', 'HTTPRouteQueryParamMatching', 'HTTPRouteRequestMirror', 'HTTPRouteRequestMultipleMirrors',
  'HTTPRouteRequestPercentageMirror', 'HTTPRouteRequestTimeout', 'HTTPRouteRetry', 'HTTPRouteRetryBackendTimeout', 'HTTPRouteRetryConnectionError', 'HTTPRouteResponseHeaderModification', 'HTTPRouteSchemeRedirect', 'ListenerSet', 'ReferenceGrant',
];

/**
 * The status of a Gateway and of the ListenerSets naming it; `backendCertificate` is its
 * spec.tls.backend client certificate as read.
 */
export function gatewayStatus(view: GatewayView, backendCertificate: BackendClientCertificate): StatusEntry[] {
  const { gateway } = view;
  const listeners = view.listeners.filter((l) => l.owner.kind === 'Gateway');
  const requested = arrayField(gateway.spec, 'addresses');
  const anyAccepted = listeners.some(isAccepted);
  const anyServed = listeners.some((l) => l.usable);
  const accepted = requested.length > 0
    ? condition('Accepted', false, 'UnsupportedAddress', 'spec.addresses cannot be honoured: Tideway\'s address is the one of its Service (--publish-service or --publish-address); remove spec.addresses')
    : listeners.length > 0 && !anyAccepted
      ? condition('Accepted', false, 'ListenersNotValid', 'no listener is valid')
      : condition('Accepted', true, 'Accepted', 'the Gateway is accepted');
  const programmed = accepted.status === 'True' && anyServed
    ? condition('Programmed', true, 'Programmed', 'the Gateway is served')
    : condition('Programmed', false, requested.length > 0 ? 'AddressNotUsable' : 'Invalid', accepted.status === 'True' ? 'no listener is served' : accepted.message);
  const sets = view.listenerSets.map((set) => listenerSetStatus(set, accepted.status === 'True'));
  return [{
    kind: 'Gateway',
    namespace: view.ref.slice(0, view.ref.indexOf('/')),
    name: gateway.metadata.name,
    generation: generationOf(gateway),
    conditions: view.insecureFrontend
      ? [accepted, programmed, resolvedRefs(backendCertificate), condition('InsecureFrontendValidationMode', true, 'ConfigurationChanged', 'spec.tls.frontend lets clients without a valid certificate in (AllowInsecureFallback)')]
      : [accepted, programmed, resolvedRefs(backendCertificate)],
    listeners: listeners.map(listenerStatus),
    attachedListenerSets: sets.filter((s) => s.conditions[0]!.status === 'True').length,
  }, ...sets];
}

/** A ListenerSet's conditions: Accepted when its Gateway takes it and one of its listeners is valid. */
function listenerSetStatus(view: ListenerSetView, parentAccepted: boolean): ListenerSetStatusEntry {
  const both = (reason: string, message: string) => [condition('Accepted', false, reason, message), condition('Programmed', false, reason, message)];
  const conditions = view.refusal !== null
    ? both(view.refusal.reason, view.refusal.message)
    : !parentAccepted
      ? both('ParentNotAccepted', `Gateway ${view.parent.ref} is not accepted`)
      : !view.listeners.some(isAccepted)
        ? both('ListenersNotValid', 'no listener is valid')
        : [
          condition('Accepted', true, 'Accepted', `attached to Gateway ${view.parent.ref}`),
          view.listeners.some((l) => l.usable) ? condition('Programmed', true, 'Programmed', 'its listeners are served') : condition('Programmed', false, 'Invalid', 'no listener is served'),
        ];
  return {
    kind: 'ListenerSet',
    namespace: view.ref.slice(0, view.ref.indexOf('/')),
    name: view.set.metadata.name,
    generation: generationOf(view.set),
    conditions,
    listeners: view.listeners.map(listenerStatus),
  };
}
