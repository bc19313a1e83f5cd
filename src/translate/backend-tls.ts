// Verification of TLS backends (https, grpcs) against a CA from a Secret: the annotations
// tideway.dev/backend-ca-secret (a Secret of the Ingress's namespace holding ca.crt) and
// tideway.dev/backend-tls-server-name (the name the backend's certificate must carry; default
// <service>.<namespace>.svc). Without them the backend's certificate is not verified, as
// ingress-nginx's proxy_ssl_verify off. A Secret that also holds tls.crt and tls.key gives the client
// certificate presented to backends that ask for one, as ingress-nginx's proxy-ssl-secret.
import { X509Certificate } from 'node:crypto';
import type { BackendProtocol, BackendTlsSpec, ClientCertificateSpec } from '../routing/spec.ts';
import type { Lookups } from './cluster-index.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';
import { field, stringMap } from './shape.ts';
import { checkKeyPair } from './tls.ts';

export const CA_SECRET_ANNOTATION = 'tideway.dev/backend-ca-secret';

/**
 * What an Ingress asked for (annotation values, checked for shape only), or verification settings a
 * Gateway API BackendTLSPolicy already resolved (`resolved`).
 */
export type BackendTlsRequest = AnnotationTlsRequest | { resolved: BackendTlsSpec };

export interface AnnotationTlsRequest {
  caSecret: string;
  serverName: string | null;
}

const CA_KEY = 'ca.crt';
const CLIENT_CERT_KEY = 'tls.crt';
const CLIENT_KEY_KEY = 'tls.key';

/**
 * The verification settings for one backend of the Ingress, or null for none. A CA Secret that is
 * missing or holds no certificate is an error, and the backend is then not reached at all
 * (null backend: 503), since falling back to an unverified connection would defeat the annotation.
 */
export function resolveBackendTls(
  request: BackendTlsRequest | null, protocol: BackendProtocol, namespace: string, service: string,
  index: Lookups, diag: ObjectDiagnostics,
): BackendTlsSpec | null | 'invalid' {
  if (request === null) return null;
  if ('resolved' in request) return request.resolved;
  const at = `metadata.annotations[${JSON.stringify(CA_SECRET_ANNOTATION)}]`;
  if (protocol !== 'https' && protocol !== 'grpcs') {
    diag.warning(at, 'AnnotationIgnored', `backend protocol ${protocol} is not TLS; the CA is not used`);
    return null;
  }
  const ref = `${namespace}/${request.caSecret}`;
  const secret = index.secret(namespace, request.caSecret);
  if (secret === undefined) {
    diag.error(at, 'SecretNotFound', `Secret ${ref} not found; the backend is not reached without verification (503)`);
    return 'invalid';
  }
  const encoded = stringMap(field(secret, 'data'))[CA_KEY];
  const caPem = encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
  try {
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`no PEM certificate in data["${CA_KEY}"]`);
    new X509Certificate(caPem);
  } catch (err) {
    diag.error(at, 'InvalidCertificate', `Secret ${ref}: ${(err as Error).message}; the backend is not reached without verification (503)`);
    return 'invalid';
  }
  const spec: BackendTlsSpec = { caSecret: ref, caPem, serverName: request.serverName ?? `${service}.${namespace}.svc` };
  const client = clientCertificate(ref, stringMap(field(secret, 'data')));
  if (client !== null && 'message' in client) {
    diag.error(at, client.reason, `${client.message}; the backend is not reached without its client certificate (503)`);
    return 'invalid';
  }
  if (client !== null) spec.clientCertificate = client;
  return spec;
}

/**
 * tls.crt and tls.key of the CA's Secret (ingress-nginx's proxy-ssl-secret holds all three): the client
 * certificate presented to backends. Null when the Secret has neither; a reason when it is unusable.
 */
function clientCertificate(ref: string, data: Record<string, string>): ClientCertificateSpec | { reason: string; message: string } | null {
  const cert = data[CLIENT_CERT_KEY];
  const key = data[CLIENT_KEY_KEY];
  if (!cert && !key) return null;
  if (!cert || !key) return { reason: 'InvalidSecret', message: `Secret ${ref} has data["${cert ? CLIENT_KEY_KEY : CLIENT_CERT_KEY}"] missing next to data["${cert ? CLIENT_CERT_KEY : CLIENT_KEY_KEY}"]` };
  const check = checkKeyPair(ref, Buffer.from(cert, 'base64').toString('utf8'), Buffer.from(key, 'base64').toString('utf8'));
  return check.ok ? { secret: ref, certPem: check.certPem, keyPem: check.keyPem } : check;
}
