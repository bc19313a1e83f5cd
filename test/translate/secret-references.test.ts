// secretReferences(): the non-TLS Secrets an object names, which a cluster source reads by name. It must
// agree with translate(): a state holding only the TLS Secrets and the referenced ones translates
// exactly as one holding every Secret.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { secretReferences, translate, type TranslateOptionsInput } from '../../src/translate/index.ts';
import type { AnyKubeObject, Middleware, Secret } from '../../src/kube/types.ts';
import { clusterState, ingress, path, rule, tls, tlsSecret, webBackend } from './builders.ts';
import { CertificateFactory } from './certs.ts';

const N = 'nginx.ingress.kubernetes.io/';

function annotated(annotations: Record<string, string>, namespace = 'default'): AnyKubeObject {
  return ingress('web', { rules: [rule('a.test', path('/', 'Prefix'))] }, { namespace, annotations });
}

function middleware(name: string, spec: Record<string, unknown>, namespace = 'default'): Middleware {
  return { apiVersion: 'tideway.dev/v1alpha1', kind: 'Middleware', metadata: { name, namespace }, spec } as Middleware;
}

function opaque(name: string, data: Record<string, string>, namespace = 'default'): Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
}

describe('secretReferences', () => {
  test('tideway.dev/ annotations: basic auth users and the backend CA, in the Ingress\'s namespace', () => {
    assert.deepEqual(secretReferences(annotated({ 'tideway.dev/auth-basic-secret': 'users', 'tideway.dev/backend-ca-secret': 'ca' }, 'shop')), ['shop/users', 'shop/ca']);
    assert.deepEqual(secretReferences(annotated({ 'tideway.dev/auth-basic-secret': ' users ' })), ['default/users']);
    assert.deepEqual(secretReferences(annotated({})), []);
  });

  test('what translation would refuse is not named: other namespaces without --allow-cross-namespace, malformed names', () => {
    const cross = annotated({ 'tideway.dev/auth-basic-secret': 'other/users' }, 'shop');
    assert.deepEqual(secretReferences(cross), []);
    assert.deepEqual(secretReferences(cross, { allowCrossNamespace: true }), ['other/users']);
    assert.deepEqual(secretReferences(annotated({ 'tideway.dev/auth-basic-secret': 'Bad_Name', 'tideway.dev/backend-ca-secret': 'other/ca' }, 'shop'), { allowCrossNamespace: true }), []);
  });

  test('ingress-nginx annotations, with --ingress-nginx-compat only, through the same mapping translation uses', () => {
    const nginx = annotated({ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'shop/users', [`${N}proxy-ssl-secret`]: 'shop/ca', [`${N}proxy-ssl-verify`]: 'on' }, 'shop');
    assert.deepEqual(secretReferences(nginx), []);
    assert.deepEqual(secretReferences(nginx, { ingressNginxCompat: true }), ['shop/users', 'shop/ca']);
    // Without auth-type the Secret is unused, as proxy-ssl-secret without proxy-ssl-verify "on".
    const unused = annotated({ [`${N}auth-secret`]: 'users', [`${N}proxy-ssl-secret`]: 'shop/ca' }, 'shop');
    assert.deepEqual(secretReferences(unused, { ingressNginxCompat: true }), []);
    const prefixed = annotated({ 'example.com/auth-type': 'basic', 'example.com/auth-secret': 'users' });
    assert.deepEqual(secretReferences(prefixed, { ingressNginxCompat: true, nginxAnnotationPrefix: 'example.com' }), ['default/users']);
  });

  test('Middleware objects: basicAuth, jwt and rateLimit Secrets, in the object\'s namespace only', () => {
    assert.deepEqual(secretReferences(middleware('a', { basicAuth: { secret: 'users' } }, 'shop')), ['shop/users']);
    assert.deepEqual(secretReferences(middleware('j', { jwt: { hmacSecret: { secret: 'hmac', key: 'k' } } })), ['default/hmac']);
    assert.deepEqual(secretReferences(middleware('r', { rateLimit: { requestsPerSecond: 1, redis: { address: 'r:6379', passwordSecret: 'redis' } } })), ['default/redis']);
    assert.deepEqual(secretReferences(middleware('x', { basicAuth: { secret: 'other/users' } }, 'shop'), { allowCrossNamespace: true }), []);
    assert.deepEqual(secretReferences(middleware('y', { basicAuth: { secret: 42 } })), []);
    assert.deepEqual(secretReferences(middleware('z', { cors: {} })), []);
  });

  test('other kinds name none', () => {
    assert.deepEqual(secretReferences(opaque('users', { auth: 'x' })), []);
    assert.deepEqual(secretReferences(webBackend()[0]!), []);
  });
});

describe('secretReferences agrees with translate()', () => {
  const certs = new CertificateFactory();
  after(() => certs.dispose());

  test('only TLS Secrets plus the referenced ones translate as all Secrets do; without the referenced ones they differ', () => {
    const ca = certs.create('ca.test');
    const cert = certs.create('a.test');
    const options: TranslateOptionsInput = { ingressNginxCompat: true };
    const objects: AnyKubeObject[] = [
      ...webBackend(),
      ingress('basic', { rules: [rule('basic.test', path('/', 'Prefix'))] }, { annotations: { 'tideway.dev/auth-basic-secret': 'users' } }),
      ingress('ca', { rules: [rule('ca.test', path('/', 'Prefix'))] }, { annotations: { 'tideway.dev/backend-protocol': 'HTTPS', 'tideway.dev/backend-ca-secret': 'ca' } }),
      ingress('nginx', { ingressClassName: 'nginx', rules: [rule('nginx.test', path('/', 'Prefix'))] }, { annotations: { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'default/nginx-users' } }),
      ingress('mw', { rules: [rule('mw.test', path('/', 'Prefix'))] }, { annotations: { 'tideway.dev/middlewares': 'login,signed' } }),
      ingress('tls', { tls: [tls('cert', 'a.test')], rules: [rule('a.test', path('/', 'Prefix'))] }),
      middleware('login', { basicAuth: { secret: 'mw-users' } }),
      middleware('signed', { jwt: { algorithms: ['HS256'], hmacSecret: { secret: 'hmac' } } }),
      { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
      tlsSecret('cert', cert.certPem, cert.keyPem),
      opaque('users', { auth: 'alice:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=\n' }),
      opaque('nginx-users', { auth: 'bob:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=\n' }),
      opaque('mw-users', { auth: 'carol:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=\n' }),
      opaque('hmac', { secret: 'a-long-enough-hmac-secret-for-tests' }),
      opaque('ca', { 'ca.crt': ca.certPem }),
      opaque('never-named', { auth: 'x' }),
    ];
    const referenced = new Set(objects.flatMap((o) => secretReferences(o, options)));
    assert.deepEqual([...referenced].sort(), ['default/ca', 'default/hmac', 'default/mw-users', 'default/nginx-users', 'default/users']);
    const isTls = (o: AnyKubeObject): boolean => o.kind === 'Secret' && o.type === 'kubernetes.io/tls';
    const keep = (withReferenced: boolean) => objects.filter((o) => o.kind !== 'Secret' || isTls(o) || (withReferenced && referenced.has(`default/${o.metadata.name}`)));
    const all = translate(clusterState(objects), options);
    assert.deepEqual(all.diagnostics.filter((d) => d.severity === 'error'), [], 'every named Secret is usable');
    const fetched = translate(clusterState(keep(true)), options);
    assert.deepEqual(fetched.table, all.table);
    assert.deepEqual(fetched.diagnostics, all.diagnostics);
    const tlsOnly = translate(clusterState(keep(false)), options);
    for (const ref of referenced) {
      assert.ok(tlsOnly.diagnostics.some((d) => d.severity === 'error' && d.message.includes(`Secret ${ref} not found`)), `${ref} is needed`);
    }
  });
});
