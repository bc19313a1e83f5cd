// spec.tls -> certificates. A Secret is checked once (type, keys, PEM, key matches certificate) and
// every Ingress that names a bad one gets its own diagnostic. Each host gets one certificate: when
// two Secrets claim a host, the Ingress with precedence keeps it. An entry without hosts provides
// the default certificate (Kubernetes: the hosts default to the load balancer's wildcard), emitted
// as a TlsCertificateSpec with hosts: [].
//
// node:crypto is used for parsing only: pure computation, no I/O. Expiry is not checked here,
// because translation must not read the clock.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Ingress } from '../kube/types.ts';
import type { TlsCertificateSpec } from '../routing/spec.ts';
import type { Lookups } from './cluster-index.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';
import { checkHost, hostCovers, isWildcardHost } from './hosts.ts';
import { namespaceOf } from './precedence.ts';
import { arrayField, field, isUnset, stringMap } from './shape.ts';

const TLS_SECRET_TYPE = 'kubernetes.io/tls';
const DEFAULT_HOST = '';

export type SecretCheck = { ok: true; certPem: string; keyPem: string; certificate: X509Certificate } | { ok: false; reason: string; message: string };

export interface Claim {
  secret: string;
  /** "Ingress ns/name spec.tls[i]" for the conflict message. */
  where: string;
}

function decode(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

function checkSecret(ref: string, secret: unknown): SecretCheck {
  const type = field(secret, 'type');
  if (type !== TLS_SECRET_TYPE) {
    return { ok: false, reason: 'InvalidSecret', message: `Secret ${ref} has type ${JSON.stringify(type ?? 'Opaque')}; a TLS Secret must have type ${TLS_SECRET_TYPE}` };
  }
  const data = stringMap(field(secret, 'data'));
  for (const key of ['tls.crt', 'tls.key']) {
    if (!data[key]) return { ok: false, reason: 'InvalidSecret', message: `Secret ${ref} has no data["${key}"]` };
  }
  return checkKeyPair(ref, decode(data['tls.crt']!), decode(data['tls.key']!));
}

/** A PEM certificate and the private key that matches it, from tls.crt and tls.key of Secret `ref`. */
export function checkKeyPair(ref: string, certPem: string, keyPem: string): SecretCheck {
  let certificate: X509Certificate;
  try {
    if (!certPem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM "CERTIFICATE" block');
    certificate = new X509Certificate(certPem);
  } catch (err) {
    return { ok: false, reason: 'InvalidCertificate', message: `tls.crt of Secret ${ref} is not a valid PEM certificate: ${(err as Error).message}` };
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(keyPem))) {
      return { ok: false, reason: 'InvalidCertificate', message: `tls.key of Secret ${ref} does not match the certificate in tls.crt` };
    }
  } catch (err) {
    return { ok: false, reason: 'InvalidCertificate', message: `tls.key of Secret ${ref} is not a valid PEM private key: ${(err as Error).message}` };
  }
  return { ok: true, certPem, keyPem, certificate };
}

/** Whether the certificate names `host`; a wildcard host needs the same wildcard in the certificate. */
function certificateCovers(certificate: X509Certificate, host: string): boolean {
  if (!isWildcardHost(host)) return certificate.checkHost(host) !== undefined;
  const names = (certificate.subjectAltName ?? '').split(',').map((entry) => entry.trim().toLowerCase());
  return names.includes(`dns:${host}`);
}

/** Checks are costly (X.509 parsing, key matching) and depend on the Secret alone: done once per Secret object. */
const checks = new WeakMap<object, SecretCheck>();

/** The check of a TLS Secret (by object identity: objects from the store are immutable). */
export function checkTlsSecret(ref: string, secret: object): SecretCheck {
  let check = checks.get(secret);
  if (check === undefined) {
    check = checkSecret(ref, secret);
    checks.set(secret, check);
  }
  return check;
}

export function tlsConflictMessage(host: string, winner: Claim, secret: string): string {
  return `the certificate for ${describeHosts([host])} already comes from Secret ${winner.secret} (${winner.where}), which takes precedence; Secret ${secret} is not used for it`;
}

/** Where translateIngress() reads spec.tls: the full translation's CertificateSet or the incremental recorder. */
export interface CertificateSink {
  addIngress(ingress: Ingress, diag: ObjectDiagnostics): string[];
}

export class CertificateSet implements CertificateSink {
  protected readonly index: Lookups;
  private readonly checked = new Map<string, SecretCheck>();
  private readonly claims = new Map<string, Claim>();

  constructor(index: Lookups) {
    this.index = index;
  }

  /**
   * Reads an Ingress's spec.tls (Ingresses are passed in precedence order). Returns the valid hosts
   * its entries list ("" for an entry without hosts), whether or not their Secret is usable: the
   * hosts whose routes redirect HTTP to HTTPS.
   */
  addIngress(ingress: Ingress, diag: ObjectDiagnostics): string[] {
    const namespace = namespaceOf(ingress);
    const secured: string[] = [];
    arrayField(field(ingress, 'spec'), 'tls').forEach((entry, i) => {
      const at = `spec.tls[${i}]`;
      const hosts: string[] = [];
      const rawHosts = arrayField(entry, 'hosts');
      rawHosts.forEach((raw, j) => {
        const check = typeof raw === 'string' && raw !== '' ? checkHost(raw) : { ok: false as const, message: `invalid host ${JSON.stringify(raw)}` };
        if (check.ok) hosts.push(check.host);
        else diag.error(`${at}.hosts[${j}]`, 'InvalidHost', check.message);
      });
      if (rawHosts.length === 0) hosts.push(DEFAULT_HOST);
      if (hosts.length === 0) return;
      // As in ingress-nginx, a host listed in spec.tls is an HTTPS host (and redirected to HTTPS) even
      // when its Secret is missing or bad: it is then served with the default certificate.
      secured.push(...hosts);

      const secretName = field(entry, 'secretName');
      if (isUnset(secretName) || typeof secretName !== 'string') {
        diag.warning(`${at}.secretName`, 'SecretNotFound', `no secretName: ${describeHosts(hosts)} served with the default certificate`);
        return;
      }
      const ref = `${namespace}/${secretName}`;
      const check = this.check(ref, namespace, secretName);
      if (!check) {
        diag.error(`${at}.secretName`, 'SecretNotFound', `Secret ${ref} not found`);
        return;
      }
      if (!check.ok) {
        diag.error(`${at}.secretName`, check.reason, check.message);
        return;
      }
      const where = `Ingress ${diag.object} ${at}`;
      hosts.forEach((host, j) => {
        if (host !== DEFAULT_HOST && !certificateCovers(check.certificate, host)) {
          diag.warning(`${at}.hosts[${j}]`, 'CertificateHostMismatch', `the certificate in Secret ${ref} does not cover host "${host}"`);
        }
        this.claimHost(host, { secret: ref, where }, rawHosts.length === 0 ? at : `${at}.hosts[${j}]`, check, diag);
      });
    });
    return secured;
  }

  /** The first claim of a host wins; a later one with another Secret is reported at `at`. */
  protected claimHost(host: string, claim: Claim, at: string, _check: SecretCheck & { ok: true }, diag: ObjectDiagnostics): void {
    const winner = this.claims.get(host);
    if (winner === undefined) this.claims.set(host, claim);
    else if (winner.secret !== claim.secret) diag.warning(at, 'TlsHostConflict', tlsConflictMessage(host, winner, claim.secret));
  }

  /**
   * A Gateway listener's certificateRef: the Secret serves `host` ("" for a listener without hostname:
   * the default certificate). Returns null when usable, else the reason and message for the listener's
   * ResolvedRefs condition (reported by the caller). A host already claimed keeps its first Secret.
   */
  addListenerCertificate(namespace: string, name: string, host: string, where: string): { reason: string; message: string } | null {
    const ref = `${namespace}/${name}`;
    const check = this.check(ref, namespace, name);
    if (check === undefined) return { reason: 'InvalidCertificateRef', message: `Secret ${ref} not found` };
    if (!check.ok) return { reason: 'InvalidCertificateRef', message: check.message };
    if (!this.claims.has(host)) this.claims.set(host, { secret: ref, where });
    return null;
  }

  /** One entry per Secret for its hosts, plus one with hosts: [] for the default certificate; sorted by Secret. */
  certificates(): TlsCertificateSpec[] {
    return certificateSpecs(this.claims, (secret) => this.checked.get(secret));
  }

  /** The operator's default certificate (--default-certificate), checked like any TLS Secret; null when unusable. */
  operatorDefault(ref: string, diag: ObjectDiagnostics): TlsCertificateSpec | null {
    const slash = ref.indexOf('/');
    const check = this.check(ref, ref.slice(0, slash), ref.slice(slash + 1));
    const instead = 'names no Ingress covers get a hostless spec.tls certificate, else a self-signed one';
    if (check === undefined) diag.error('', 'SecretNotFound', `Secret ${ref} named by --default-certificate not found; ${instead}`);
    else if (!check.ok) diag.error('data', check.reason, `${check.message}; ${instead}`);
    else return { hosts: [], secret: ref, certPem: check.certPem, keyPem: check.keyPem };
    return null;
  }

  /** undefined when the Secret does not exist. */
  private check(ref: string, namespace: string, name: string): SecretCheck | undefined {
    let check = this.checked.get(ref);
    if (check === undefined) {
      const secret = this.index.secret(namespace, name);
      if (secret === undefined) return undefined;
      check = checkTlsSecret(ref, secret);
      this.checked.set(ref, check);
    }
    return check;
  }
}

/** The certificates of the winning claims (host -> claim): one entry per Secret, plus hosts: [] for the default one. */
export function certificateSpecs(claims: Iterable<[string, Claim]>, checkOf: (secret: string) => SecretCheck | undefined): TlsCertificateSpec[] {
  const hostsBySecret = new Map<string, string[]>();
  for (const [host, claim] of claims) {
    const list = hostsBySecret.get(claim.secret);
    if (list) list.push(host);
    else hostsBySecret.set(claim.secret, [host]);
  }
  const out: TlsCertificateSpec[] = [];
  for (const secret of [...hostsBySecret.keys()].sort()) {
    const check = checkOf(secret);
    if (!check?.ok) continue;
    const hosts = hostsBySecret.get(secret)!;
    const named = hosts.filter((h) => h !== DEFAULT_HOST).sort();
    if (named.length > 0) out.push({ hosts: named, secret, certPem: check.certPem, keyPem: check.keyPem });
    if (hosts.includes(DEFAULT_HOST)) out.push({ hosts: [], secret, certPem: check.certPem, keyPem: check.keyPem });
  }
  return out;
}

function describeHosts(hosts: readonly string[]): string {
  return hosts.map((h) => (h === DEFAULT_HOST ? 'requests without a listed host (default certificate)' : `host "${h}"`)).join(', ');
}

/** Whether a route of `host` is served over HTTPS by one of `secured` (from CertificateSet.addIngress). */
export function isSecured(secured: readonly string[], host: string): boolean {
  return secured.some((pattern) => hostCovers(pattern, host));
}
