// Certificates for TLS tests (self-signed, or client certificates signed by one of them), made with the
// openssl CLI into a temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  certPem: string;
  keyPem: string;
}

export class CertificateFactory {
  private readonly dir = mkdtempSync(join(tmpdir(), 'tideway-certs-'));
  private count = 0;

  /** An EC P-256 certificate for the given DNS names (the first is also the CN); a "URI:..." name is a URI entry. */
  create(...dnsNames: string[]): KeyPair {
    const n = this.count++;
    const key = join(this.dir, `${n}.key`);
    const cert = join(this.dir, `${n}.crt`);
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${dnsNames[0]}`,
      '-addext', `subjectAltName=${dnsNames.map((d) => (d.startsWith('URI:') ? d : `DNS:${d}`)).join(',')}`,
    ], { stdio: 'pipe' });
    return { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
  }

  /** A client certificate for `name` (CN, and DNS name) signed by `ca` (a pair from create()). */
  signedBy(ca: KeyPair, name: string): KeyPair {
    const n = this.count++;
    const file = (ext: string) => join(this.dir, `${n}.${ext}`);
    writeFileSync(file('ca.crt'), ca.certPem);
    writeFileSync(file('ca.key'), ca.keyPem);
    writeFileSync(file('ext'), `subjectAltName=DNS:${name}\nextendedKeyUsage=clientAuth\n`);
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', file('key'), '-out', file('csr'), '-subj', `/CN=${name}`], { stdio: 'pipe' });
    execFileSync('openssl', ['x509', '-req', '-in', file('csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('crt'), '-days', '2', '-extfile', file('ext')], { stdio: 'pipe' });
    return { certPem: readFileSync(file('crt'), 'utf8'), keyPem: readFileSync(file('key'), 'utf8') };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
