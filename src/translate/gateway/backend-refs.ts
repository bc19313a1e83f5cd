// A rule's backendRefs -> where its requests go. Weights split the traffic; a weight of 0 gets nothing.
// A backendRef that cannot be resolved (wrong kind, missing Service or port, a cross-namespace reference
// without a ReferenceGrant) keeps its share, answered 500 as the spec asks, and is reported.
import type { BackendRef } from '../backends.ts';
import type { ClusterIndex } from '../cluster-index.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import type { BackendTlsSpec, ClientCertificateSpec } from '../../routing/spec.ts';
import { arrayField, field, isRecord, stringField } from '../shape.ts';
import type { BackendTlsPolicies } from './backend-tls-policy.ts';
import type { ReferenceGrants } from './grants.ts';
import { GATEWAY_GROUP } from './listeners.ts';

export interface WeightedBackend {
  /** Key into the table's backends, or null: answered 500. */
  backend: string | null;
  weight: number;
  /** Index of the backendRef in the rule. */
  index: number;
}

export interface BackendRefContext {
  index: ClusterIndex;
  grants: ReferenceGrants;
  tlsPolicies: BackendTlsPolicies;
  /** The Gateways ("namespace/name") the asking route is attached to: ancestors of the policies it meets. */
  ancestors?: readonly string[];
  /**
   * The client certificate those Gateways present to TLS backends (spec.tls.backend), or 'invalid'
   * when one names a certificate that cannot be used: its TLS backends then answer 500.
   */
  clientCertificate?: ClientCertificateSpec | 'invalid' | null;
  /** BackendResolver.resolve for a Service of `namespace`; `tls` when a BackendTLSPolicy applies. */
  resolve(namespace: string, backend: unknown, at: string, tls: BackendTlsSpec | null): BackendRef;
}

/** Resolves one backendRef of a route of kind `routeKind` in `namespace`; null when unusable (reported). */
export function resolveBackendRef(ref: unknown, at: string, routeKind: string, namespace: string, ctx: BackendRefContext, diag: ObjectDiagnostics): string | null {
  if (!isRecord(ref)) {
    diag.error(at, 'InvalidKind', 'a backendRef must be an object');
    return null;
  }
  const group = stringField(ref, 'group') ?? '';
  const kind = stringField(ref, 'kind') ?? 'Service';
  const name = stringField(ref, 'name');
  if (group !== '' || kind !== 'Service') {
    diag.error(at, 'InvalidKind', `backendRef kind ${group === '' ? '' : `${group}/`}${kind} is not supported (only Service); its share of requests is answered 500`);
    return null;
  }
  if (name === undefined || name === '') {
    diag.error(`${at}.name`, 'BackendNotFound', 'a backendRef needs a Service name; its share of requests is answered 500');
    return null;
  }
  const target = stringField(ref, 'namespace') ?? namespace;
  if (!ctx.grants.allows({ fromGroup: GATEWAY_GROUP, fromKind: routeKind, fromNamespace: namespace, toGroup: '', toKind: 'Service', toNamespace: target, toName: name })) {
    diag.error(`${at}.namespace`, 'RefNotPermitted', `Service ${target}/${name} is in another namespace and no ReferenceGrant there allows ${routeKind}s of ${namespace} to use it; its share of requests is answered 500`);
    return null;
  }
  if (ctx.index.service(target, name) === undefined) {
    diag.error(`${at}.name`, 'BackendNotFound', `Service ${target}/${name} not found; its share of requests is answered 500`);
    return null;
  }
  const port = field(ref, 'port');
  if (typeof port !== 'number') {
    diag.error(`${at}.port`, 'UnsupportedValue', `a port is required for Service ${target}/${name}; its share of requests is answered 500`);
    return null;
  }
  const servicePort = arrayField(field(ctx.index.service(target, name), 'spec'), 'ports').find((p) => field(p, 'port') === port);
  const policy = ctx.tlsPolicies.forService(target, name, stringField(servicePort, 'name') ?? '', ctx.ancestors);
  if (policy !== null && 'problem' in policy) {
    diag.error(at, 'InvalidBackendTLSPolicy', `${policy.problem}; Service ${target}/${name} is not reached without it, its share of requests is answered 500`);
    return null;
  }
  let tls = policy?.tls ?? null;
  const client = ctx.clientCertificate ?? null;
  if (tls !== null && client !== null) {
    if (client === 'invalid') {
      diag.error(at, 'InvalidClientCertificateRef', `the client certificate of the Gateway (spec.tls.backend.clientCertificateRef) cannot be used; TLS Service ${target}/${name} is not reached without it, its share of requests is answered 500`);
      return null;
    }
    tls = { ...tls, clientCertificate: client };
  }
  const resolved = ctx.resolve(target, { service: { name, port: { number: port } } }, at, tls);
  return resolved.route ? resolved.backend : null;
}

/** The weighted backends of a rule's backendRefs (weight 0 left out). */
export function resolveBackendRefs(refs: readonly unknown[], at: string, routeKind: string, namespace: string, ctx: BackendRefContext, diag: ObjectDiagnostics): WeightedBackend[] {
  const out: WeightedBackend[] = [];
  refs.forEach((ref, i) => {
    const weight = field(ref, 'weight') ?? 1;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 1_000_000) {
      diag.error(`${at}[${i}].weight`, 'UnsupportedValue', `weight must be an integer from 0 to 1000000, not ${JSON.stringify(weight)}; this backendRef is not used`);
      return;
    }
    const backend = resolveBackendRef(ref, `${at}[${i}]`, routeKind, namespace, ctx, diag);
    if (weight > 0) out.push({ backend, weight, index: i });
  });
  return out;
}
