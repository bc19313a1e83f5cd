// A Gateway's spec.tls.backend.clientCertificateRef: the certificate Tideway presents on TLS connections
// to the backends of the routes attached to that Gateway (GatewayBackendClientCertificate). A core TLS
// Secret, of the Gateway's namespace or, with a ReferenceGrant, of another. A reference that cannot be
// used makes the Gateway's ResolvedRefs False (InvalidClientCertificateRef or RefNotPermitted), and its
// routes' TLS backends answer 500 rather than being reached without the identity they may require.
import type { Gateway } from '../../kube/types.ts';
import type { ClientCertificateSpec } from '../../routing/spec.ts';
import type { Lookups } from '../cluster-index.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { namespaceOf } from '../precedence.ts';
import { field, stringField } from '../shape.ts';
import { checkTlsSecret } from '../tls.ts';
import type { ReferenceGrants } from './grants.ts';
import { GATEWAY_GROUP } from './listeners.ts';

const AT = 'spec.tls.backend.clientCertificateRef';

/** The certificate to present, null when the Gateway names none, or why the one it names is unusable. */
export type BackendClientCertificate = ClientCertificateSpec | null | { reason: string; message: string };

export function readBackendClientCertificate(gateway: Gateway, index: Lookups, grants: ReferenceGrants, diag: ObjectDiagnostics): BackendClientCertificate {
  const ref = field(field(field(gateway.spec, 'tls'), 'backend'), 'clientCertificateRef');
  if (ref === undefined || ref === null) return null;
  const namespace = namespaceOf(gateway);
  const fail = (reason: string, where: string, message: string): BackendClientCertificate => {
    const full = `${message}; TLS backends of this Gateway's routes answer 500`;
    diag.error(where, reason, full);
    return { reason, message: `${where}: ${full}` };
  };
  const group = stringField(ref, 'group') ?? '';
  const kind = stringField(ref, 'kind') ?? 'Secret';
  const name = stringField(ref, 'name');
  if (group !== '' || kind !== 'Secret') return fail('InvalidClientCertificateRef', AT, `${group === '' ? '' : `${group}/`}${kind} is not supported (only core Secrets of type kubernetes.io/tls)`);
  if (name === undefined || name === '') return fail('InvalidClientCertificateRef', `${AT}.name`, 'a Secret name is required');
  const secretNamespace = stringField(ref, 'namespace') ?? namespace;
  if (!grants.allows({ fromGroup: GATEWAY_GROUP, fromKind: 'Gateway', fromNamespace: namespace, toGroup: '', toKind: 'Secret', toNamespace: secretNamespace, toName: name })) {
    return fail('RefNotPermitted', `${AT}.namespace`, `Secret ${secretNamespace}/${name} is in another namespace and no ReferenceGrant there allows Gateways of ${namespace} to use it`);
  }
  const secretRef = `${secretNamespace}/${name}`;
  const secret = index.secret(secretNamespace, name);
  if (secret === undefined) return fail('InvalidClientCertificateRef', `${AT}.name`, `Secret ${secretRef} not found`);
  const check = checkTlsSecret(secretRef, secret);
  if (!check.ok) return fail('InvalidClientCertificateRef', `${AT}.name`, check.message);
  return { secret: secretRef, certPem: check.certPem, keyPem: check.keyPem };
}

/** Whether `value` is a usable certificate (not null, not a problem). */
export function isClientCertificate(value: BackendClientCertificate | undefined): value is ClientCertificateSpec {
  return value !== undefined && value !== null && 'certPem' in value;
}
