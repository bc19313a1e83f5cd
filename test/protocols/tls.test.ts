// The TLS port: certificate selection by SNI (exact, one-label wildcard, default), a bad Secret
// falling back to the default certificate and never to another tenant's, hot swap of a Secret,
// protocol floor, ALPN to HTTP/1.1 and HTTP/2, HSTS, and the plain port's redirect for TLS hosts.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import type net from 'node:net';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { CertificateFactory, type KeyPair } from '../translate/certs.ts';
import { handshakeSucceeds, servedCertificate, tlsSecretYaml } from './support/tls.ts';
import { h2Connect, h2Request } from './support/h2.ts';

const DEFAULT_SUBJECT = 'CN=Tideway Default Certificate';

function curl(args: string[]): Promise<{ stdout: string; code: number }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '5', ...args], (error, stdout) => resolve({ stdout, code: error === null ? 0 : (error as { code?: number }).code ?? 1 }));
  });
}

describe('TLS listener', () => {
  const certs = new CertificateFactory();
  let gw: RunningGateway;
  let backend: TestBackend;
  let httpsPort: number;
  let a: KeyPair;
  let wild: KeyPair;
  const caDir = mkdtempSync(join(tmpdir(), 'tideway-ca-'));
  /** a.test's self-signed certificate, as the CA file curl trusts. */
  const caFile = join(caDir, 'a.pem');

  before(async () => {
    backend = await startBackend('web');
    a = certs.create('a.test');
    writeFileSync(caFile, a.certPem);
    wild = certs.create('*.wild.test');
    const b = certs.create('b.test');
    const mismatched = { certPem: certs.create('bad.test').certPem, keyPem: b.keyPem };
    const tlsIngress = (name: string, host: string, tlsHost: string, secretName: string, annotations: Record<string, string> = {}): string =>
      ingressYaml({ name, host, paths: [{ path: '/', service: 'web' }], tls: [{ hosts: [tlsHost], secretName }], annotations });
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }),
      'secrets.yaml': [tlsSecretYaml('a', a), tlsSecretYaml('wild', wild), tlsSecretYaml('b', b), tlsSecretYaml('bad', mismatched)].join('---\n'),
      'ing.yaml': [
        tlsIngress('a', 'a.test', 'a.test', 'a', { 'tideway.dev/hsts': 'max-age=600; includeSubDomains' }),
        tlsIngress('wild', 'x.wild.test', '*.wild.test', 'wild'),
        tlsIngress('b', 'b.test', 'b.test', 'b'),
        tlsIngress('bad', 'bad.test', 'bad.test', 'bad'),
      ].join('---\n'),
    }, ['--https-port', '0']);
    httpsPort = gw.gateway.ports!.https!;
  });
  after(async () => {
    await gw.close();
    await backend.close();
    certs.dispose();
    rmSync(caDir, { recursive: true, force: true });
  });

  test('an exact host gets its own certificate', async () => {
    const served = await servedCertificate(httpsPort, 'a.test');
    assert.equal(served.certificate.subject, 'CN=a.test');
    assert.match(served.certificate.subjectAltName ?? '', /DNS:a\.test/);
  });

  test('server names are matched without regard to case', async () => {
    assert.equal((await servedCertificate(httpsPort, 'A.Test')).certificate.subject, 'CN=a.test');
  });

  test('a wildcard covers exactly one label', async () => {
    assert.equal((await servedCertificate(httpsPort, 'y.wild.test')).certificate.subject, 'CN=*.wild.test');
    assert.equal((await servedCertificate(httpsPort, 'a.b.wild.test')).certificate.subject, DEFAULT_SUBJECT);
    assert.equal((await servedCertificate(httpsPort, 'wild.test')).certificate.subject, DEFAULT_SUBJECT);
  });

  test('unknown names and clients without SNI get the self-signed default certificate', async () => {
    const unknown = await servedCertificate(httpsPort, 'unknown.test');
    assert.equal(unknown.certificate.subject, DEFAULT_SUBJECT);
    assert.equal(unknown.certificate.issuer, DEFAULT_SUBJECT);
    assert.equal((await servedCertificate(httpsPort, null)).certificate.subject, DEFAULT_SUBJECT);
  });

  test("a host whose Secret is bad gets the default certificate, never another tenant's", async () => {
    const served = await servedCertificate(httpsPort, 'bad.test');
    assert.equal(served.certificate.subject, DEFAULT_SUBJECT, served.transcript);
    const diagnostics = gw.gateway.currentDiagnostics.filter((d) => d.object === 'default/bad');
    assert.ok(diagnostics.some((d) => /does not match/.test(d.message)), JSON.stringify(diagnostics));
  });

  test('TLS 1.1 is refused, TLS 1.2 and 1.3 are served', async () => {
    assert.equal(await handshakeSucceeds(httpsPort, ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']), false);
    assert.equal(await handshakeSucceeds(httpsPort, ['-tls1_2']), true);
    assert.equal(await handshakeSucceeds(httpsPort, ['-tls1_3']), true);
  });

  test('ALPN http/1.1 reaches the HTTP/1.1 path with https forwarding headers', async () => {
    backend.received.length = 0;
    const res = await curl(['--http1.1', '--cacert', caFile, '-o', '/dev/null', '-w', '%{http_code} %{http_version}', '--resolve', `a.test:${httpsPort}:127.0.0.1`, `https://a.test:${httpsPort}/h1`]);
    assert.equal(res.stdout, '200 1.1');
    const seen = backend.received.at(-1)!;
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(seen.headers['x-forwarded-port'], String(httpsPort));
  });

  test('ALPN h2 reaches the HTTP/2 path (curl --http2)', async () => {
    const res = await curl(['--http2', '--cacert', caFile, '-o', '/dev/null', '-w', '%{http_code} %{http_version}', '--resolve', `a.test:${httpsPort}:127.0.0.1`, `https://a.test:${httpsPort}/h2`]);
    assert.equal(res.stdout, '200 2');
    assert.equal(backend.received.at(-1)!.url, '/h2');
  });

  test('HSTS from the annotation is sent on HTTPS responses', async () => {
    const session = await h2Connect(httpsPort, { ca: a.certPem, servername: 'a.test' });
    try {
      const res = await h2Request(session, { ':authority': 'a.test', ':path': '/' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['strict-transport-security'], 'max-age=600; includeSubDomains');
    } finally {
      session.close();
    }
  });

  test('h2c on the plain port is redirected to HTTPS for a TLS host (308), without HSTS', async () => {
    const session = await h2Connect(gw.port);
    try {
      const res = await h2Request(session, { ':authority': `a.test:${gw.port}`, ':path': '/some/path?q=1' });
      assert.equal(res.status, 308);
      assert.equal(res.headers.location, `https://a.test:${httpsPort}/some/path?q=1`);
      assert.equal(res.headers['strict-transport-security'], undefined);
    } finally {
      session.close();
    }
  });

  test('a changed Secret is served to new connections without a restart', async () => {
    const renewed = certs.create('a.test');
    const before = (await servedCertificate(httpsPort, 'a.test')).certificate.serialNumber;
    await gw.writeManifest('secrets.yaml', [tlsSecretYaml('a', renewed), tlsSecretYaml('wild', wild)].join('---\n'));
    const after = (await servedCertificate(httpsPort, 'a.test')).certificate;
    assert.notEqual(after.serialNumber, before);
    assert.equal(after.serialNumber, new X509Certificate(renewed.certPem).serialNumber);
    // The unchanged wildcard Secret is still served.
    assert.equal((await servedCertificate(httpsPort, 'z.wild.test')).certificate.subject, 'CN=*.wild.test');
  });
});

function caSecretYaml(name: string, caPem: string): string {
  return `apiVersion: v1\nkind: Secret\nmetadata: { name: ${name}, namespace: default }\ntype: Opaque\ndata:\n  ca.crt: ${Buffer.from(caPem).toString('base64')}\n`;
}

function verifiedIngress(name: string, caSecret: string, serverName: string): string {
  return ingressYaml({
    name, host: `${name}.test`, paths: [{ path: '/', service: 'pod' }],
    annotations: { 'tideway.dev/backend-ca-secret': caSecret, 'tideway.dev/backend-tls-server-name': serverName },
  });
}

describe('--default-certificate and TLS upstreams', () => {
  const certs = new CertificateFactory();
  let gw: RunningGateway;
  let upstream: https.Server;
  let upstreamCert: KeyPair;
  let operatorDefault: KeyPair;

  before(async () => {
    upstreamCert = certs.create('pod.internal');
    operatorDefault = certs.create('fallback.example');
    upstream = https.createServer({ cert: upstreamCert.certPem, key: upstreamCert.keyPem }, (req, res) => {
      res.setHeader('x-upstream-tls', String((req.socket as import('node:tls').TLSSocket).encrypted));
      res.end(`secure ${req.url}`);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
    const port = (upstream.address() as net.AddressInfo).port;
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'pod', appProtocol: 'https', endpoints: [['127.0.0.1', port]] }),
      'secret.yaml': tlsSecretYaml('fallback', operatorDefault, 'ops'),
      'ca.yaml': [caSecretYaml('pod-ca', upstreamCert.certPem), caSecretYaml('other-ca', certs.create('other.internal').certPem)].join('---\n'),
      'ing.yaml': [
        ingressYaml({ name: 'pod', host: 'pod.test', paths: [{ path: '/', service: 'pod' }] }),
        verifiedIngress('verified', 'pod-ca', 'pod.internal'),
        verifiedIngress('wrong-name', 'pod-ca', 'other.internal'),
        verifiedIngress('wrong-ca', 'other-ca', 'pod.internal'),
        verifiedIngress('missing-ca', 'no-such-secret', 'pod.internal'),
      ].join('---\n'),
    }, ['--https-port', '0', '--default-certificate', 'ops/fallback']);
  });
  after(async () => {
    await gw.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
    certs.dispose();
  });

  test('names no Ingress covers get the --default-certificate Secret', async () => {
    const served = await servedCertificate(gw.gateway.ports!.https!, 'unknown.test');
    assert.equal(served.certificate.subject, 'CN=fallback.example');
  });

  test('a missing --default-certificate Secret is a diagnostic naming it, and the self-signed certificate is served', async () => {
    await gw.removeManifest('secret.yaml');
    const diagnostic = gw.gateway.currentDiagnostics.find((d) => d.kind === 'Secret' && d.object === 'ops/fallback');
    assert.ok(diagnostic, JSON.stringify(gw.gateway.currentDiagnostics));
    assert.match(diagnostic.message, /--default-certificate/);
    assert.equal((await servedCertificate(gw.gateway.ports!.https!, 'unknown.test')).certificate.subject, DEFAULT_SUBJECT);
  });

  test('an https backend is reached over TLS (certificate not verified by default) from HTTP/2 and HTTP/1.1', async () => {
    const session = await h2Connect(gw.port);
    try {
      const res = await h2Request(session, { ':authority': 'pod.test', ':path': '/h2' });
      assert.equal(res.status, 200);
      assert.equal(res.body, 'secure /h2');
      assert.equal(res.headers['x-upstream-tls'], 'true');
    } finally {
      session.close();
    }
    const h1 = await curl(['-H', 'Host: pod.test', `http://127.0.0.1:${gw.port}/h1`]);
    assert.equal(h1.stdout, 'secure /h1');
  });

  test('backend-ca-secret: the backend certificate must chain to the CA and carry the server name', async () => {
    const status = async (host: string): Promise<string> => (await curl(['-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: ${host}`, `http://127.0.0.1:${gw.port}/`])).stdout;
    assert.equal(await status('verified.test'), '200');
    assert.equal(await status('wrong-name.test'), '502');
    assert.equal(await status('wrong-ca.test'), '502');
    // A CA Secret that does not exist: no unverified fallback, 503, and a diagnostic naming it.
    assert.equal(await status('missing-ca.test'), '503');
    const diagnostic = gw.gateway.currentDiagnostics.find((d) => d.object === 'default/missing-ca' && d.reason === 'SecretNotFound');
    assert.match(diagnostic?.message ?? '', /default\/no-such-secret/);
  });
});
