// The protocol layer's small parts on their own, bad input first: grpc-timeout and grpc-message, the
// h2c preface check, redirect locations, the hsts annotation, the self-signed certificate, and the
// SNI certificate selector (wildcards, refused PEM, context reuse across snapshots).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { encodeGrpcMessage, grpcStatusForHttp, isGrpcContentType, parseGrpcTimeout } from '../../src/proxy/http2/grpc.ts';
import { classifyPreface, HTTP2_PREFACE } from '../../src/proxy/http2/preface.ts';
import { httpsLocation } from '../../src/proxy/ssl-redirect.ts';
import { createSelfSignedCertificate } from '../../src/proxy/tls/self-signed.ts';
import { CertificateSelector } from '../../src/proxy/tls/certificate-selector.ts';
import { translate } from '../../src/translate/index.ts';
import { CertificateFactory } from '../translate/certs.ts';
import { clusterState, ingress, path, rule, webBackend } from '../translate/builders.ts';

describe('gRPC details', () => {
  test('grpc-timeout: every unit, and malformed values ignored', () => {
    assert.equal(parseGrpcTimeout('100m'), 100);
    assert.equal(parseGrpcTimeout('2S'), 2000);
    assert.equal(parseGrpcTimeout('1M'), 60_000);
    assert.equal(parseGrpcTimeout('1H'), 3_600_000);
    assert.equal(parseGrpcTimeout('1500u'), 2);
    assert.equal(parseGrpcTimeout('5n'), 1);
    for (const bad of [undefined, '', 'S', '10', '10x', '-5S', '1.5S', '123456789S', ' 5S']) assert.equal(parseGrpcTimeout(bad), null, String(bad));
  });

  test('content types and status mapping', () => {
    assert.equal(isGrpcContentType('application/grpc'), true);
    assert.equal(isGrpcContentType('Application/GRPC+proto'), true);
    assert.equal(isGrpcContentType('application/json'), false);
    assert.equal(isGrpcContentType(undefined), false);
    assert.equal(grpcStatusForHttp(404), 12);
    assert.equal(grpcStatusForHttp(503), 14);
    assert.equal(grpcStatusForHttp(502), 14);
    assert.equal(grpcStatusForHttp(504), 4);
    assert.equal(grpcStatusForHttp(418), 2);
  });

  test('grpc-message is percent-encoded', () => {
    assert.equal(encodeGrpcMessage('no route: 100%'), 'no route: 100%25');
    assert.equal(encodeGrpcMessage('é\n'), '%C3%A9%0A');
  });
});

describe('h2c preface check', () => {
  test('HTTP/1.1 request lines are decided early, the preface only when complete', () => {
    assert.equal(classifyPreface(Buffer.from('GET / HTTP/1.1\r\n')), 'http1');
    assert.equal(classifyPreface(Buffer.from('POST / HTTP/1.1\r\n')), 'http1');
    assert.equal(classifyPreface(Buffer.from('PRI * HTTP/1.1\r\n\r\n')), 'http1');
    assert.equal(classifyPreface(Buffer.from('P')), 'more');
    assert.equal(classifyPreface(HTTP2_PREFACE.subarray(0, 10)), 'more');
    assert.equal(classifyPreface(HTTP2_PREFACE), 'http2');
    assert.equal(classifyPreface(Buffer.concat([HTTP2_PREFACE, Buffer.from([0, 0, 0, 4])])), 'http2');
  });
});

describe('HTTPS redirect location', () => {
  test('the port of the Host is replaced by the HTTPS port, left out when 443', () => {
    assert.equal(httpsLocation('a.test:8080', '/x?y=1', 8443), 'https://a.test:8443/x?y=1');
    assert.equal(httpsLocation('a.test', '/', 443), 'https://a.test/');
    assert.equal(httpsLocation('[::1]:8080', '/p', 443), 'https://[::1]/p');
  });
});

describe('hsts annotation', () => {
  const withHsts = (value: string) =>
    translate(clusterState([...webBackend(), ingress('web', { rules: [rule('a.test', path('/', 'Prefix'))] }, { annotations: { 'tideway.dev/hsts': value } })]));

  test('a valid value becomes the route option', () => {
    const { table, diagnostics } = withHsts('max-age=31536000; includeSubDomains; preload');
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    assert.equal(table.hosts[0]!.routes[0]!.options.hsts, 'max-age=31536000; includeSubDomains; preload');
  });

  for (const bad of ['includeSubDomains', 'max-age=abc', 'max-age=10; sometimes']) {
    test(`"${bad}" is an error naming the annotation, and no header is sent`, () => {
      const { table, diagnostics } = withHsts(bad);
      const error = diagnostics.find((d) => d.reason === 'InvalidAnnotation');
      assert.ok(error);
      assert.equal(error.field, 'metadata.annotations["tideway.dev/hsts"]');
      assert.equal(table.hosts[0]!.routes[0]!.options.hsts, null);
    });
  }
});

describe('certificates', () => {
  test('the self-signed default certificate is a valid, self-verifying X.509 certificate', () => {
    const pair = createSelfSignedCertificate('Tideway Default Certificate');
    const certificate = new X509Certificate(pair.certPem);
    assert.equal(certificate.subject, 'CN=Tideway Default Certificate');
    assert.equal(certificate.verify(certificate.publicKey), true);
    assert.equal(certificate.ca, false);
    assert.ok(new Date(certificate.validFrom).getTime() <= Date.now());
    assert.ok(new Date(certificate.validTo).getTime() > Date.now() + 365 * 86_400_000);
  });

  test('every generated certificate is valid DER: random serials never need illegal padding', () => {
    // One serial in 256 used to start 0x00 then < 0x80, which DER forbids (a start-up crash at random).
    for (let i = 0; i < 1000; i++) new X509Certificate(createSelfSignedCertificate(`n${i}`).certPem);
  });

  test('selector: exact, one-label wildcard, fallback; a refused PEM is reported and its hosts fall back', () => {
    const certs = new CertificateFactory();
    try {
      const fallback = { secret: 'self-signed', ...certs.create('fallback.test') };
      const exact = certs.create('a.test');
      const wild = certs.create('*.w.test');
      const selector = new CertificateSelector(fallback);
      const errors = selector.update([
        { hosts: ['a.test'], secret: 'default/a', ...exact },
        { hosts: ['*.w.test'], secret: 'default/w', ...wild },
        { hosts: ['broken.test'], secret: 'default/broken', certPem: 'not a certificate', keyPem: exact.keyPem },
      ], fallback);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.secret, 'default/broken');
      assert.match(errors[0]!.message, /default\/broken/);
      const a = selector.select('a.test');
      assert.notEqual(a, selector.select('x.w.test'));
      assert.equal(selector.select('x.y.w.test'), selector.select('unknown.test'));
      assert.equal(selector.select('broken.test'), selector.select('unknown.test'));
      // An unchanged certificate keeps its SecureContext across snapshots.
      selector.update([{ hosts: ['a.test'], secret: 'default/a', ...exact }], fallback);
      assert.equal(selector.select('a.test'), a);
      selector.update([{ hosts: ['a.test'], secret: 'default/a', ...certs.create('a.test') }], fallback);
      assert.notEqual(selector.select('a.test'), a);
    } finally {
      certs.dispose();
    }
  });
});
