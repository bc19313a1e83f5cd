// How Tideway connects to backends over TLS (backend protocol https or grpcs). As ingress-nginx does by
// default (proxy_ssl_verify off), the backend's certificate is not verified unless the Ingress names a
// CA (BackendSpec.tls): pods are addressed by IP and usually serve certificates no public CA signed.
// With a CA, the certificate must chain to it and carry the configured server name, which is also
// sent as SNI, or one of the subject alternative names the policy lists. ALPN says which protocol we speak.
// A client certificate (a Gateway's spec.tls.backend) is presented when the backend asks for one.
import type tls from 'node:tls';
import type { BackendProtocol, BackendTlsSpec } from '../routing/spec.ts';
import { subjectAltNameCheck } from './subject-alt-names.ts';

export function upstreamTlsOptions(protocol: BackendProtocol, verify: BackendTlsSpec | undefined): tls.ConnectionOptions | null {
  if (protocol !== 'https' && protocol !== 'grpcs') return null;
  const ALPNProtocols = [protocol === 'https' ? 'http/1.1' : 'h2'];
  if (verify === undefined) return { rejectUnauthorized: false, ALPNProtocols };
  const options: tls.ConnectionOptions = { rejectUnauthorized: true, ca: verify.caPem, servername: verify.serverName, ALPNProtocols };
  if (verify.subjectAltNames !== undefined) options.checkServerIdentity = subjectAltNameCheck(verify.subjectAltNames);
  if (verify.clientCertificate !== undefined) {
    options.cert = verify.clientCertificate.certPem;
    options.key = verify.clientCertificate.keyPem;
  }
  return options;
}

/** Backend protocols spoken over HTTP/2 upstream. */
export function isHttp2Protocol(protocol: BackendProtocol): boolean {
  return protocol === 'h2c' || protocol === 'grpc' || protocol === 'grpcs';
}
