// The certificate for server names no Ingress covers, in order of authority: the operator's
// --default-certificate Secret (resolved and checked by translate into RouteTableSpec.defaultCertificate),
// then an Ingress's spec.tls entry without hosts (hosts: []), then the self-signed certificate made at
// start.
import type { RouteTableSpec } from '../../routing/spec.ts';
import type { CertificateSource } from './certificate-selector.ts';

export function chooseDefaultCertificate(spec: Pick<RouteTableSpec, 'certificates' | 'defaultCertificate'>, generated: CertificateSource): CertificateSource {
  return spec.defaultCertificate ?? spec.certificates.find((c) => c.hosts.length === 0) ?? generated;
}
