import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AnyKubeObject, Ingress, Secret } from '../../src/kube/types.ts';
import { translate, type TranslateOptionsInput } from '../../src/translate/index.ts';
import { clusterState, findDiagnostic, ingress, path, rule, tls, tlsSecret, webBackend, type Meta } from './builders.ts';
import { CertificateFactory, type KeyPair } from './certs.ts';

let factory: CertificateFactory;
let shop: KeyPair; // shop.example.com, *.apps.example.com
let other: KeyPair; // other.example.com
let wildcardOnly: KeyPair; // *.example.com

before(() => {
  factory = new CertificateFactory();
  shop = factory.create('shop.example.com', '*.apps.example.com');
  other = factory.create('other.example.com');
  wildcardOnly = factory.create('*.example.com');
});
after(() => factory.dispose());

function web(name: string, hosts: string[], tlsEntries: NonNullable<Ingress['spec']>['tls'], meta: Meta = {}): Ingress {
  return ingress(name, { rules: hosts.map((h) => rule(h || undefined, path('/', 'Prefix'))), tls: tlsEntries! }, meta);
}

function run(objects: AnyKubeObject[], options: TranslateOptionsInput = {}) {
  const result = translate(clusterState([...objects, ...webBackend()]), options);
  const redirect = Object.fromEntries(result.table.hosts.map((h) => [h.host, h.routes[0]!.options.sslRedirect]));
  return { ...result, redirect };
}

describe('TLS certificates', () => {
  it('serves a valid Secret for its hosts and redirects those hosts to HTTPS', () => {
    const { table, diagnostics, redirect } = run([web('web', ['Shop.Example.com', 'plain.example.com'], [tls('shop-tls', 'SHOP.example.com')]), tlsSecret('shop-tls', shop.certPem, shop.keyPem)]);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(table.certificates, [{ hosts: ['shop.example.com'], secret: 'default/shop-tls', certPem: shop.certPem, keyPem: shop.keyPem }]);
    assert.deepEqual(redirect, { 'shop.example.com': true, 'plain.example.com': false });
  });

  it('a wildcard TLS host covers one-label hosts and the same wildcard', () => {
    const { diagnostics, redirect } = run([web('web', ['a.apps.example.com', '*.apps.example.com', 'a.b.apps.example.com'], [tls('shop-tls', '*.apps.example.com')]), tlsSecret('shop-tls', shop.certPem, shop.keyPem)]);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(redirect, { '*.apps.example.com': true, 'a.apps.example.com': true, 'a.b.apps.example.com': false });
  });

  it('ssl-redirect "false" keeps plain HTTP; so does sslRedirect false in the defaults', () => {
    const objects = (annotations: Record<string, string>) => [web('web', ['shop.example.com'], [tls('shop-tls', 'shop.example.com')], { annotations }), tlsSecret('shop-tls', shop.certPem, shop.keyPem)];
    assert.deepEqual(run(objects({ 'tideway.dev/ssl-redirect': 'false' })).redirect, { 'shop.example.com': false });
    assert.deepEqual(run(objects({}), { defaults: { sslRedirect: false } }).redirect, { 'shop.example.com': false });
    assert.deepEqual(run(objects({ 'tideway.dev/ssl-redirect': 'true' })).redirect, { 'shop.example.com': true });
  });

  it("redirects only for the Ingress's own TLS hosts, not another Ingress's", () => {
    const secured = web('a', ['shop.example.com'], [tls('shop-tls', 'shop.example.com')]);
    const plain = ingress('b', { rules: [rule('shop.example.com', path('/b', 'Prefix'))] });
    const { table } = run([secured, plain, tlsSecret('shop-tls', shop.certPem, shop.keyPem)]);
    assert.deepEqual(table.hosts[0]!.routes.map((r) => [r.path, r.options.sslRedirect]), [['/', true], ['/b', false]]);
  });

  it('an entry without hosts provides the default certificate and covers the host-less rules', () => {
    const { table, diagnostics, redirect } = run([web('web', ['', 'shop.example.com'], [{ secretName: 'shop-tls' }]), tlsSecret('shop-tls', shop.certPem, shop.keyPem)]);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(table.certificates.map((c) => [c.secret, c.hosts]), [['default/shop-tls', []]]);
    assert.deepEqual(redirect, { '': true, 'shop.example.com': false });
  });

  it('merges the hosts of one Secret used by several entries and Ingresses', () => {
    const { table } = run([
      web('a', ['shop.example.com'], [tls('shop-tls', 'shop.example.com')]),
      web('b', ['x.apps.example.com'], [tls('shop-tls', '*.apps.example.com'), tls('other-tls', 'other.example.com')]),
      tlsSecret('shop-tls', shop.certPem, shop.keyPem),
      tlsSecret('other-tls', other.certPem, other.keyPem),
    ]);
    assert.deepEqual(table.certificates.map((c) => [c.secret, c.hosts]), [
      ['default/other-tls', ['other.example.com']],
      ['default/shop-tls', ['*.apps.example.com', 'shop.example.com']],
    ]);
  });

  it('two Secrets for one host: the Ingress with precedence keeps it', () => {
    const { table, diagnostics } = run([
      web('new', ['shop.example.com'], [tls('wild-tls', 'shop.example.com')], { created: '2024-06-01T00:00:00Z' }),
      web('old', ['shop.example.com'], [tls('shop-tls', 'shop.example.com')], { created: '2024-01-01T00:00:00Z' }),
      tlsSecret('shop-tls', shop.certPem, shop.keyPem),
      tlsSecret('wild-tls', wildcardOnly.certPem, wildcardOnly.keyPem),
    ]);
    assert.deepEqual(table.certificates.map((c) => [c.secret, c.hosts]), [['default/shop-tls', ['shop.example.com']]]);
    const d = findDiagnostic(diagnostics, 'TlsHostConflict');
    assert.deepEqual([d.severity, d.object, d.field], ['warning', 'default/new', 'spec.tls[0].hosts[0]']);
    assert.match(d.message, /already comes from Secret default\/shop-tls \(Ingress default\/old spec\.tls\[0\]\)/);
  });

  it('warns when the certificate does not name a TLS host, and still serves it', () => {
    const { table, diagnostics } = run([web('web', ['shop.example.com'], [tls('other-tls', 'shop.example.com', '*.apps.example.com')]), tlsSecret('other-tls', other.certPem, other.keyPem)]);
    assert.deepEqual(table.certificates.map((c) => c.hosts), [['*.apps.example.com', 'shop.example.com']]);
    assert.deepEqual(
      diagnostics.map((d) => [d.reason, d.field]),
      [
        ['CertificateHostMismatch', 'spec.tls[0].hosts[0]'],
        ['CertificateHostMismatch', 'spec.tls[0].hosts[1]'],
      ],
    );
  });

  it('a wildcard certificate covers a one-label host', () => {
    const { diagnostics } = run([web('web', ['shop.example.com'], [tls('wild-tls', 'shop.example.com')]), tlsSecret('wild-tls', wildcardOnly.certPem, wildcardOnly.keyPem)]);
    assert.deepEqual(diagnostics, []);
  });

  const swap = (s: Secret, patch: Partial<Secret>): Secret => ({ ...s, ...patch });
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const badSecrets: { name: string; secret: () => Secret | null; reason: string; message: RegExp }[] = [
    { name: 'missing Secret', secret: () => null, reason: 'SecretNotFound', message: /^Secret default\/shop-tls not found$/ },
    { name: 'wrong type', secret: () => swap(tlsSecret('shop-tls', shop.certPem, shop.keyPem), { type: 'Opaque' }), reason: 'InvalidSecret', message: /has type "Opaque"; a TLS Secret must have type kubernetes.io\/tls/ },
    { name: 'no tls.key', secret: () => swap(tlsSecret('shop-tls', shop.certPem, shop.keyPem), { data: { 'tls.crt': b64(shop.certPem) } }), reason: 'InvalidSecret', message: /has no data\["tls.key"\]/ },
    { name: 'no data', secret: () => swap(tlsSecret('shop-tls', shop.certPem, shop.keyPem), { data: undefined as never }), reason: 'InvalidSecret', message: /has no data\["tls.crt"\]/ },
    { name: 'garbage certificate', secret: () => tlsSecret('shop-tls', 'not a certificate', shop.keyPem), reason: 'InvalidCertificate', message: /tls.crt of Secret default\/shop-tls is not a valid PEM certificate/ },
    {
      name: 'truncated certificate',
      secret: () => tlsSecret('shop-tls', `${shop.certPem.slice(0, 100)}\n-----END CERTIFICATE-----\n`, shop.keyPem),
      reason: 'InvalidCertificate',
      message: /not a valid PEM certificate/,
    },
    { name: 'garbage key', secret: () => tlsSecret('shop-tls', shop.certPem, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), reason: 'InvalidCertificate', message: /tls.key of Secret default\/shop-tls is not a valid PEM private key/ },
    { name: 'key of another certificate', secret: () => tlsSecret('shop-tls', shop.certPem, other.keyPem), reason: 'InvalidCertificate', message: /tls.key of Secret default\/shop-tls does not match the certificate in tls.crt/ },
  ];
  for (const c of badSecrets) {
    it(`${c.name}: error on spec.tls[0].secretName, no certificate, served with the default certificate and still redirected`, () => {
      const secret = c.secret();
      const { table, diagnostics, redirect } = run([web('web', ['shop.example.com'], [tls('shop-tls', 'shop.example.com')]), ...(secret ? [secret] : [])]);
      assert.deepEqual(table.certificates, []);
      assert.deepEqual(redirect, { 'shop.example.com': true });
      assert.equal(diagnostics.length, 1);
      const d = diagnostics[0]!;
      assert.deepEqual([d.severity, d.reason, d.field], ['error', c.reason, 'spec.tls[0].secretName']);
      assert.match(d.message, c.message);
    });
  }

  it('each Ingress naming a bad Secret gets its own diagnostic', () => {
    const { diagnostics } = run([web('a', ['a.example.com'], [tls('bad', 'a.example.com')]), web('b', ['b.example.com'], [tls('bad', 'b.example.com')]), tlsSecret('bad', shop.certPem, other.keyPem)]);
    assert.deepEqual(diagnostics.map((d) => [d.object, d.reason]), [
      ['default/a', 'InvalidCertificate'],
      ['default/b', 'InvalidCertificate'],
    ]);
  });

  it('a Secret in another namespace is not found', () => {
    const { diagnostics } = run([web('web', ['shop.example.com'], [tls('shop-tls', 'shop.example.com')]), tlsSecret('shop-tls', shop.certPem, shop.keyPem, { namespace: 'other' })]);
    assert.equal(findDiagnostic(diagnostics, 'SecretNotFound').message, 'Secret default/shop-tls not found');
  });

  it('an invalid TLS host is an error; the valid hosts of the entry are served', () => {
    const { table, diagnostics } = run([web('web', ['shop.example.com'], [tls('shop-tls', 'foo.*.com', 'shop.example.com')]), tlsSecret('shop-tls', shop.certPem, shop.keyPem)]);
    assert.deepEqual(table.certificates.map((c) => c.hosts), [['shop.example.com']]);
    assert.deepEqual(diagnostics.map((d) => [d.reason, d.field]), [['InvalidHost', 'spec.tls[0].hosts[0]']]);
  });

  it('an entry without secretName is a warning: default certificate, still redirected', () => {
    const { table, diagnostics, redirect } = run([web('web', ['shop.example.com'], [{ hosts: ['shop.example.com'] }])]);
    assert.deepEqual(table.certificates, []);
    assert.deepEqual(redirect, { 'shop.example.com': true });
    assert.deepEqual(diagnostics.map((d) => [d.severity, d.field]), [['warning', 'spec.tls[0].secretName']]);
  });
});
