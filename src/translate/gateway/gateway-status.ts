// Status of our Gateways and the features our GatewayClasses announce.
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { arrayField, field, stringField } from '../shape.ts';
import type { GatewayView, ListenerSetView } from './listeners.ts';
import { condition, generationOf, isAccepted, listenerStatus, type ConditionSpec, type GatewayAddressSpec, type ListenerSetStatusEntry, type StatusEntry } from './status.ts';
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
  'Gateway', 'GatewayAddressEmpty', 'GatewayFrontendClientCertificateValidation', 'GatewayFrontendClientCertificateValidationInsecureFallback', 'GatewayHTTPListenerIsolation', 'GatewayStaticAddresses', 'GatewayPort8080', 'GatewayHTTPSListenerDetectMisdirectedRequests', 'GRPCRoute', 'GRPCRouteNamedRouteRule', 'GRPCRouteRequestHeaderModifier',
  'GatewayBackendClientCertificate', 'BackendTLSPolicy', 'BackendTLSPolicySANValidation',
  'HTTPRoute', 'HTTPRoute303RedirectStatusCode', 'HTTPRoute307RedirectStatusCode', 'HTTPRoute308RedirectStatusCode',
  'HTTPRouteBackendProtocolH2C', 'HTTPRouteBackendProtocolWebSocket', 'HTTPRouteBackendRequestHeaderModification', 'HTTPRouteBackendRequestRedirect', 'HTTPRouteBackendTimeout', 'HTTPRouteBackendURLRewrite',
  'HTTPRouteCORS', 'HTTPRouteDestinationPortMatching', 'HTTPRouteHostRewrite', 'HTTPRouteMethodMatching', 'HTTPRouteNamedRouteRule', 'HTTPRouteParentRefPort', 'HTTPRoutePathRedirect',
  'HTTPRoutePathRewrite', 'HTTPRoutePortRedirect', 'HTTPRouteQueryParamMatching', 'HTTPRouteRequestMirror', 'HTTPRouteRequestMultipleMirrors',
  'HTTPRouteRequestPercentageMirror', 'HTTPRouteRequestTimeout', 'HTTPRouteRetry', 'HTTPRouteRetryBackendTimeout', 'HTTPRouteRetryConnectionError', 'HTTPRouteResponseHeaderModification', 'HTTPRouteSchemeRedirect', 'ListenerSet', 'ReferenceGrant',
];

/**
 * The status of a Gateway and of the ListenerSets naming it; `backendCertificate` is its
 * spec.tls.backend client certificate as read. spec.infrastructure labels and annotations are for
 * resources an implementation creates per Gateway: Tideway creates none, so they apply to nothing.
 */
export function gatewayStatus(view: GatewayView, backendCertificate: BackendClientCertificate, diag: ObjectDiagnostics): StatusEntry[] {
  const { gateway } = view;
  const listeners = view.listeners.filter((l) => l.owner.kind === 'Gateway');
  const { addresses, unsupported } = requestedAddresses(gateway.spec);
  const anyAccepted = listeners.some(isAccepted);
  const anyServed = listeners.some((l) => l.usable);
  // Tideway reads no parameters object of any kind, so a reference to one cannot be honoured (the spec's InvalidParameters).
  const parameters = field(field(gateway.spec, 'infrastructure'), 'parametersRef');
  const invalidParameters = parameters === undefined || parameters === null ? null
    : `${stringField(parameters, 'kind') ?? '?'} ${stringField(parameters, 'name') ?? '?'} cannot be used: Tideway takes no parameters object for a Gateway`;
  if (invalidParameters !== null) diag.error('spec.infrastructure.parametersRef', 'InvalidParameters', invalidParameters);
  const accepted = unsupported !== null
    ? condition('Accepted', false, 'UnsupportedAddress', unsupported)
    : invalidParameters !== null
      ? condition('Accepted', false, 'InvalidParameters', `spec.infrastructure.parametersRef: ${invalidParameters}`)
      : listeners.length > 0 && !anyAccepted
      ? condition('Accepted', false, 'ListenersNotValid', 'no listener is valid')
      : condition('Accepted', true, 'Accepted', 'the Gateway is accepted');
  const programmed = accepted.status === 'True' && anyServed
    ? condition('Programmed', true, 'Programmed', 'the Gateway is served')
    : condition('Programmed', false, 'Invalid', accepted.status === 'True' ? 'no listener is served' : accepted.message);
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
    requestedAddresses: addresses,
  }, ...sets];
}

/**
 * spec.addresses: IPAddress and Hostname entries are requests the status writer checks against
 * Tideway's own addresses (the publish address); any other type cannot be honoured (UnsupportedAddress).
 */
function requestedAddresses(spec: unknown): { addresses: GatewayAddressSpec[]; unsupported: string | null } {
  const addresses: GatewayAddressSpec[] = [];
  let unsupported: string | null = null;
  arrayField(spec, 'addresses').forEach((raw, i) => {
    const type = stringField(raw, 'type') ?? 'IPAddress';
    const value = stringField(raw, 'value');
    if ((type === 'IPAddress' || type === 'Hostname') && value !== undefined && value !== '') addresses.push({ type, value });
    else unsupported ??= `spec.addresses[${i}]: ${value === undefined || value === '' ? 'an address needs a value' : `address type ${JSON.stringify(type)} is not supported (IPAddress and Hostname are)`}`;
  });
  return { addresses, unsupported };
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
