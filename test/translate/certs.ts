// Self-signed certificates for TLS tests, made with the openssl CLI into a temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
