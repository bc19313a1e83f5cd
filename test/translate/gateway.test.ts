// Gateway API translation, pure: listeners, hostname intersection, attachment, GRPCRoute paths, TLS
// certificateRefs and grants, conflicts with Ingresses, and bad input of every kind.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RouteSpec } from '../../src/routing/spec.ts';
import { intersectHostnames } from '../../src/translate/gateway/index.ts';
import { translateManifests } from './run-manifests.ts';
import { gateway, gatewayClass, httpRoute, referenceGrant } from '../support/gateway-api.ts';
import { backend as backendOf, ingress, OUR_CLASS, service, tlsSecret } from './builders.ts';
import { CertificateFactory } from './certs.ts';

const run = translateManifests;

const web = service('web');
const backend = { name: 'web', port: 80 };
const hostsOf = (routes: RouteSpec[]) => routes.map((r) => r.host).sort();

describe('hostname intersection', () => {
  it('keeps the more specific name of each listener/route pair, wildcards covering any depth', () => {
    assert.deepEqual(intersectHostnames(null, []), ['']);
    assert.deepEqual(intersectHostnames(null, ['a.test']), ['a.test']);
    assert.deepEqual(intersectHostnames('*.example.com', []), ['*.example.com']);
    assert.deepEqual(intersectHostnames('*.example.com', ['a.example.com', 'a.b.example.com', 'example.com', 'other.org']), ['a.example.com', 'a.b.example.com']);
    assert.deepEqual(intersectHostnames('a.example.com', ['*.example.com', '*.org']), ['a.example.com']);
    assert.deepEqual(intersectHostnames('*.example.com', ['*.a.example.com', '*.com']), ['*.a.example.com', '*.example.com']);
    assert.deepEqual(intersectHostnames('a.test', ['b.test']), []);
  });
});

describe('Gateway API translation', () => {
  const certs = new CertificateFactory();
  after(() => certs.dispose());

  it('serves only Gateways of our GatewayClasses, and routes only through listeners that allow them', () => {
    const { routes, problems } = run([
      gatewayClass(), gatewayClass('theirs', 'example.com/x'), web,
      gateway('ours', [{ name: 'a', hostname: 'a.test' }, { name: 'b', hostname: 'b.test', kinds: ['GRPCRoute'] }]),
      gateway('theirs', [{ name: 'a', hostname: 'theirs.test' }], { className: 'theirs' }),
      httpRoute('r', { parentRefs: [{ name: 'ours' }, { name: 'theirs' }], rules: [{ backendRefs: [backend] }] }),
      httpRoute('only-b', { parentRefs: [{ name: 'ours', sectionName: 'b' }], rules: [{ backendRefs: [backend] }] }),
      httpRoute('port', { parentRefs: [{ name: 'ours', port: 8080 }], rules: [{ backendRefs: [backend] }] }),
    ]);
    assert.deepEqual(hostsOf(routes), ['a.test'], 'the kinds of listener b exclude HTTPRoute');
    assert.ok(problems.includes('HTTPRoute default/only-b spec.parentRefs[0] NotAllowedByListeners'));
    assert.ok(problems.includes('HTTPRoute default/port spec.parentRefs[0] NoMatchingParent'));
    assert.ok(!problems.some((p) => p.includes('theirs')), 'other controllers\' objects are none of our business');
  });

  it('reports listeners it cannot serve and conflicting ones, and keeps the rest', () => {
    const { routes, problems } = run([
      gatewayClass(), web,
      gateway('gw', [
        { name: 'ok', hostname: 'ok.test' },
        { name: 'dup', hostname: 'ok.test' },
        { name: 'tcp', protocol: 'TCP' },
        { name: 'odd', port: 8443, protocol: 'HTTPS', hostname: 'odd.test', certificateRefs: [{ name: 'x' }] },
        { name: 'mixed', port: 443, protocol: 'HTTP', hostname: 'mixed.test' },
        { name: 'nocert', port: 443, protocol: 'HTTPS', hostname: 'nocert.test' },
      ]),
      httpRoute('r', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [backend] }] }),
    ]);
    assert.deepEqual(hostsOf(routes), ['ok.test']);
    for (const expected of [
      'Gateway default/gw spec.listeners[1].hostname HostnameConflict',
      'Gateway default/gw spec.listeners[2].protocol UnsupportedProtocol',
      'Gateway default/gw spec.listeners[3].tls.certificateRefs[0] InvalidCertificateRef',
      'Gateway default/gw spec.listeners[4].protocol UnsupportedProtocol',
      'Gateway default/gw spec.listeners[5].tls.certificateRefs InvalidCertificateRef',
    ]) assert.ok(problems.includes(expected), `${expected} in\n${problems.join('\n')}`);
  });

  it('takes HTTPS certificates from Secrets, across namespaces only with a ReferenceGrant', () => {
    const pair = certs.create('secure.test');
    const objects = [
      gatewayClass(), web,
      tlsSecret('cert', pair.certPem, pair.keyPem, { namespace: 'certs' }),
      tlsSecret('broken', 'not a certificate', 'no key'),
      gateway('gw', [
        { name: 'secure', port: 443, protocol: 'HTTPS', hostname: 'secure.test', certificateRefs: [{ name: 'cert', namespace: 'certs' }] },
        { name: 'broken', port: 443, protocol: 'HTTPS', hostname: 'broken.test', certificateRefs: [{ name: 'broken' }] },
      ]),
      httpRoute('r', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [backend] }] }),
    ];
    const refused = run(objects);
    assert.deepEqual(refused.routes, []);
    assert.ok(refused.problems.includes('Gateway default/gw spec.listeners[0].tls.certificateRefs[0] RefNotPermitted'));
    assert.ok(refused.problems.includes('Gateway default/gw spec.listeners[1].tls.certificateRefs[0] InvalidCertificateRef'));
    const granted = run([...objects, referenceGrant('g', 'certs', { kind: 'Gateway', namespace: 'default' }, { kind: 'Secret', name: 'cert' })]);
    assert.deepEqual(hostsOf(granted.routes), ['secure.test']);
    assert.deepEqual(granted.table.certificates.map((c) => [c.secret, c.hosts]), [['certs/cert', ['secure.test']]]);
  });

  it('turns GRPCRoute method matches into paths, with gRPC backends', () => {
    const { routes, problems } = run([
      gatewayClass(), service('grpc', [{ port: 50051 }]),
      gateway('gw', [{ name: 'h', hostname: 'grpc.test' }]),
      {
        apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute', metadata: { name: 'g', namespace: 'default' },
        spec: {
          parentRefs: [{ name: 'gw' }],
          rules: [
            { matches: [{ method: { service: 'echo.Echo', method: 'Say' } }, { method: { service: 'echo.Other' } }, { method: { method: 'Ping' } }], backendRefs: [{ name: 'grpc', port: 50051 }] },
            { matches: [{ method: { type: 'RegularExpression', service: 'echo\\..*', method: 'S.*' }, headers: [{ name: 'x-tenant', value: 'a' }] }], backendRefs: [{ name: 'grpc', port: 50051 }] },
            { matches: [{ method: { type: 'RegularExpression', service: '(' } }], backendRefs: [{ name: 'grpc', port: 50051 }] },
          ],
        },
      },
    ]);
    assert.deepEqual(routes.map((r) => `${r.kind} ${r.path}`).sort(), [
      'Exact /echo.Echo/Say', 'Prefix /echo.Other', 'Regex /(?:echo\\..*)/(?:S.*)$', 'Regex /[^/]+/Ping$',
    ]);
    assert.ok(routes.every((r) => r.backend === 'default/grpc:50051/grpc'));
    assert.ok(problems.includes('GRPCRoute default/g spec.rules[2].matches[0].method UnsupportedValue'));
  });

  it('lets the older object keep a path an Ingress and an HTTPRoute both claim', () => {
    const { routes, problems } = run([
      gatewayClass(), web,
      ingress('ing', { rules: [{ host: 'same.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backendOf('web', 80) }] } }] }),
      OUR_CLASS,
      gateway('gw', [{ name: 'h', hostname: 'same.test' }]),
      httpRoute('r', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [backend] }, { matches: [{ headers: [{ name: 'x', value: '1' }] }], backendRefs: [backend] }] }),
    ]);
    assert.deepEqual(routes.map((r) => r.id).sort(), ['HTTPRoute/default/r#1.0', 'default/ing#0.0']);
    assert.ok(problems.includes('HTTPRoute default/r spec.rules[0].matches[0] PathConflict'));
  });

  it('reads rule timeouts into the route and reports unreadable ones', () => {
    const { routes, problems } = run([
      gatewayClass(), web, gateway('gw', [{ name: 'h' }]),
      httpRoute('r', { parentRefs: [{ name: 'gw' }], rules: [
        { matches: [{ path: { value: '/a' } }], timeouts: { request: '10s', backendRequest: '2s' }, backendRefs: [backend] },
        { matches: [{ path: { value: '/b' } }], timeouts: { request: 'soon' }, backendRefs: [backend] },
      ] }),
    ]);
    assert.deepEqual(routes.map((r) => [r.path, r.options.readTimeoutMs]), [['/a', 2000], ['/b', 60000]]);
    assert.ok(problems.includes('HTTPRoute default/r spec.rules[1].timeouts.request UnsupportedValue'));
  });

  it('survives garbage in every field without throwing', () => {
    const garbage = [null, 1, 'x', [], { a: 1 }, [null], [{ name: 5 }]];
    for (const g of garbage) {
      const result = run([
        gatewayClass(), web,
        { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw' }, spec: { gatewayClassName: 'tideway', listeners: g } },
        gateway('ok', [{ name: 'h', hostname: 'ok.test' }]),
        httpRoute('r', { parentRefs: g, hostnames: g, rules: g }),
        httpRoute('r2', { parentRefs: [{ name: 'ok' }], rules: [{ matches: g, filters: g, backendRefs: g, timeouts: g }] }),
        httpRoute('good', { parentRefs: [{ name: 'ok' }], rules: [{ matches: [{ path: { value: '/good' } }], backendRefs: [backend] }] }),
      ]);
      assert.ok(result.routes.some((r) => r.path === '/good'), `good route served with garbage ${JSON.stringify(g)}`);
      assert.ok(!result.problems.some((p) => p.includes('InternalError')), result.problems.join('\n'));
    }
  });
});
