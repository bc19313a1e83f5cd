// TLS helpers for protocol tests: Secret manifests from certificate pairs, and what a real TLS client
// (openssl s_client) is served for a server name, and a GET over TLS.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { stringify } from 'yaml';
import type { KeyPair } from '../../translate/certs.ts';

export function tlsSecretYaml(name: string, pair: KeyPair, namespace = 'default'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(pair.certPem).toString('base64'), 'tls.key': Buffer.from(pair.keyPem).toString('base64') },
  });
}

export interface ServedCertificate {
  certificate: X509Certificate;
  /** The s_client transcript, for assertion messages. */
  transcript: string;
}

/** Connects with `openssl s_client` (SNI `serverName` unless null) and returns the certificate it got. */
export function servedCertificate(port: number, serverName: string | null, extra: string[] = []): Promise<ServedCertificate> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, ...(serverName === null ? ['-noservername'] : ['-servername', serverName]), ...extra];
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { timeout: 5000 }, (error, stdout, stderr) => {
      const transcript = stdout + stderr;
      const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout);
      if (pem === null) return reject(new Error(`no certificate from s_client (${error?.message ?? 'no error'}):\n${transcript}`));
      resolve({ certificate: new X509Certificate(pem[0]), transcript });
    });
    child.stdin!.end();
  });
}

/** Whether a handshake with these s_client options succeeds. */
export function handshakeSucceeds(port: number, extra: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'any.test', ...extra], { timeout: 5000 }, (_error, stdout) => {
      resolve(/-----BEGIN CERTIFICATE-----/.test(stdout) && !/Cipher is \(NONE\)/.test(stdout));
    });
    child.stdin!.end();
  });
}

/** A GET over TLS verified against `ca` for `host` (also the SNI, unless `servername` says another), with a client certificate when given. */
export function httpsGet(port: number, host: string, ca: string, path = '/', client: { cert?: string; key?: string; servername?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path, servername: client.servername ?? host, headers: { host }, ca, cert: client.cert, key: client.key, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}
