// A backend certificate checked against a list of subject alternative names instead of the host name
// (BackendTLSPolicy validation.subjectAltNames): at least one must be in the certificate. The chain is
// still verified against the CA; this replaces only node:tls's host name check, once per handshake.
import { X509Certificate } from 'node:crypto';
import type tls from 'node:tls';

export class SubjectAltNameError extends Error {
  readonly expected: readonly string[];
  readonly found: string;

  constructor(expected: readonly string[], found: string) {
    super(`the backend certificate names none of ${expected.join(', ')} (it has ${found || 'no subject alternative names'})`);
    this.name = 'SubjectAltNameError';
    this.expected = expected;
    this.found = found;
  }
}

/** A checkServerIdentity for tls.connect: undefined when the certificate carries one of `names`. */
export function subjectAltNameCheck(names: readonly string[]): (host: string, cert: tls.PeerCertificate) => Error | undefined {
  return (_host, cert) => (certificateHasOne(cert, names) ? undefined : new SubjectAltNameError(names, cert.subjectaltname ?? ''));
}

function certificateHasOne(cert: tls.PeerCertificate, names: readonly string[]): boolean {
  // node:tls lists the entries separated by ", " and quotes any entry holding a separator, so a forged
  // entry cannot pass for two: splitting and comparing whole entries is exact.
  const entries = (cert.subjectaltname ?? '').split(', ');
  let x509: X509Certificate | null = null;
  for (const name of names) {
    if (entries.includes(name)) return true;
    // An exact host name also matches a wildcard entry of the certificate (RFC 6125 rules, as node:tls).
    if (name.startsWith('DNS:') && !name.startsWith('DNS:*.') && cert.raw !== undefined) {
      x509 ??= new X509Certificate(cert.raw);
      if (x509.checkHost(name.slice(4), { subject: 'never' }) !== undefined) return true;
    }
  }
  return false;
}
