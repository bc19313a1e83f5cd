// The certificate for server names no Ingress covers, in order of authority: the operator's
// --default-certificate Secret, then an Ingress's spec.tls entry without hosts (translate emits it with
// hosts: []), then the self-signed certificate generated at start. A flag Secret that is missing or
// unusable is reported and skipped; the next candidate is served.
import type { Secret } from '../../kube/types.ts';
import type { TlsCertificateSpec } from '../../routing/spec.ts';
import type { CertificateSource } from './certificate-selector.ts';

export interface DefaultCertificateChoice {
  source: CertificateSource;
  /** Why the --default-certificate Secret was not used, when it was named but could not be. */
  problem: string | null;
}

function decoded(secret: Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  return typeof value === 'string' && value !== '' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

/** The Secret's certificate pair, or why it has none. Key/certificate validity is checked when loading. */
export function certificateFromSecret(ref: string, secrets: readonly Secret[]): CertificateSource | string {
  const slash = ref.indexOf('/');
  const namespace = ref.slice(0, slash);
  const name = ref.slice(slash + 1);
  const secret = secrets.find((s) => s.metadata.name === name && (s.metadata.namespace ?? 'default') === namespace);
  if (secret === undefined) return `Secret ${ref} not found`;
  const certPem = decoded(secret, 'tls.crt');
  const keyPem = decoded(secret, 'tls.key');
  if (certPem === undefined || keyPem === undefined) return `Secret ${ref} has no data["tls.crt"] and data["tls.key"]`;
  return { secret: ref, certPem, keyPem };
}

export function chooseDefaultCertificate(
  flagRef: string | undefined,
  secrets: readonly Secret[],
  certificates: readonly TlsCertificateSpec[],
  generated: CertificateSource,
): DefaultCertificateChoice {
  let problem: string | null = null;
  if (flagRef !== undefined) {
    const fromFlag = certificateFromSecret(flagRef, secrets);
    if (typeof fromFlag !== 'string') return { source: fromFlag, problem: null };
    problem = `--default-certificate: ${fromFlag}; serving ${certificates.some((c) => c.hosts.length === 0) ? 'the hostless spec.tls certificate' : 'the self-signed certificate'} instead`;
  }
  const hostless = certificates.find((c) => c.hosts.length === 0);
  return { source: hostless ?? generated, problem };
}
