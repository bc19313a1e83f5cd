import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeObject } from '../../src/store/index.ts';
import type { Secret, Service } from '../../src/kube/types.ts';

const at = { file: 'manifests/app.yaml', line: 7 };

describe('normalizeObject', () => {
  it('defaults the namespace of namespaced kinds and leaves the input untouched', () => {
    const raw = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } };
    const { object, diagnostics } = normalizeObject(raw, at);
    assert.deepEqual(diagnostics, []);
    assert.equal(object?.metadata.namespace, 'default');
    assert.equal((raw.metadata as { namespace?: string }).namespace, undefined, 'input not mutated');
    assert.notEqual((object as Service).spec, raw.spec, 'a fresh copy');
  });

  it('drops the namespace of the cluster-scoped IngressClass, and managedFields', () => {
    const raw = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'tideway', namespace: 'x', managedFields: [{ manager: 'kubectl' }] } };
    const { object } = normalizeObject(raw);
    assert.deepEqual(object?.metadata, { name: 'tideway' });
  });

  it('merges Secret stringData into data as base64 (stringData wins) and drops stringData', () => {
    const raw = {
      apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'auth', namespace: 'shop' },
      data: { keep: Buffer.from('kept').toString('base64'), auth: Buffer.from('old').toString('base64') },
      stringData: { auth: 'user:$apr1$hash', 'ünïcode': 'ü' },
    };
    const secret = normalizeObject(raw, at).object as Secret;
    assert.equal(secret.stringData, undefined);
    assert.deepEqual(
      Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
      { keep: 'kept', auth: 'user:$apr1$hash', 'ünïcode': 'ü' },
    );
  });

  it('defaults a Secret\'s type to Opaque and keeps only TLS and Opaque Secrets', () => {
    const secret = (type?: string) => ({ apiVersion: 'v1', kind: 'Secret', ...(type ? { type } : {}), metadata: { name: 's' } });
    assert.equal((normalizeObject(secret()).object as Secret).type, 'Opaque');
    assert.equal(normalizeObject(secret('kubernetes.io/tls')).object?.kind, 'Secret');
    for (const skipped of ['kubernetes.io/service-account-token', 'kubernetes.io/dockerconfigjson']) {
      assert.deepEqual(normalizeObject(secret(skipped)), { object: undefined, diagnostics: [] }, skipped);
    }
  });

  it('rejects Secret data that is not base64, naming the key', () => {
    const raw = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'auth', namespace: 'shop' }, data: { auth: 'user:plain text' } };
    const { object, diagnostics } = normalizeObject(raw, at);
    assert.equal(object, undefined);
    assert.deepEqual(diagnostics, [{
      severity: 'error', kind: 'Secret', object: 'shop/auth', field: 'data["auth"]',
      message: 'is not valid base64 (put plain text under stringData instead) (manifests/app.yaml line 7)', reason: 'InvalidObject',
    }]);
  });

  it('reports a retired Ingress apiVersion with the one to use', () => {
    for (const apiVersion of ['extensions/v1beta1', 'networking.k8s.io/v1beta1']) {
      const { object, diagnostics } = normalizeObject({ apiVersion, kind: 'Ingress', metadata: { name: 'old', namespace: 'shop' } }, at);
      assert.equal(object, undefined);
      assert.deepEqual(diagnostics, [{
        severity: 'error', kind: 'Ingress', object: 'shop/old', field: 'apiVersion',
        message: `${apiVersion} is no longer served, use networking.k8s.io/v1 (manifests/app.yaml line 7)`, reason: 'UnsupportedApiVersion',
      }]);
    }
  });

  it('reports a known kind under another Kubernetes group, but skips same-named kinds of other APIs', () => {
    const wrong = normalizeObject({ apiVersion: 'v1', kind: 'Ingress', metadata: { name: 'x' } }, at);
    assert.match(wrong.diagnostics[0]!.message, /^Ingress is served as networking\.k8s\.io\/v1, not v1 /);
    assert.deepEqual(normalizeObject({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'x' } }, at), { object: undefined, diagnostics: [] });
    assert.deepEqual(normalizeObject({ apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: 'x' } }, at), { object: undefined, diagnostics: [] });
  });

  it('keeps ConfigMaps (ingress-nginx settings) with string data only', () => {
    const good = normalizeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nginx', namespace: 'ingress' }, data: { 'proxy-body-size': '8m' } }, at);
    assert.deepEqual(good.object, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nginx', namespace: 'ingress' }, data: { 'proxy-body-size': '8m' } });
    const bad = normalizeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nginx', namespace: 'ingress' }, data: { 'limit-req-status-code': 429 } }, at);
    assert.equal(bad.object, undefined);
    assert.equal(bad.diagnostics[0]!.field, 'data["limit-req-status-code"]');
  });

  it('skips ordinary Kubernetes kinds silently and warns on unknown tideway.dev kinds', () => {
    assert.deepEqual(normalizeObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }, at), { object: undefined, diagnostics: [] });
    assert.deepEqual(normalizeObject({ apiVersion: 'batch/v1', kind: 'Job' }, at), { object: undefined, diagnostics: [] });
    const typo = normalizeObject({ apiVersion: 'tideway.dev/v1alpha1', kind: 'Midleware', metadata: { name: 'x' } }, at);
    assert.equal(typo.object, undefined);
    assert.deepEqual(typo.diagnostics, [{
      severity: 'warning', kind: 'File', object: 'manifests/app.yaml', field: 'line 7',
      message: 'Midleware: unknown kind in tideway.dev/v1alpha1, skipped; Tideway\'s own kind is Middleware (tideway.dev/v1alpha1)', reason: 'UnknownKind',
    }]);
  });

  it('rejects our kinds without apiVersion or name, pointing at file and line', () => {
    const cases: [unknown, string][] = [
      [{ kind: 'Service', metadata: { name: 'x' } }, 'Service: object has no apiVersion'],
      [{ apiVersion: 'v1', kind: 'Service', metadata: {} }, 'Service: metadata.name is required'],
      [{ apiVersion: 'v1', kind: 'Service' }, 'Service: metadata.name is required'],
    ];
    for (const [raw, message] of cases) {
      const { object, diagnostics } = normalizeObject(raw, at);
      assert.equal(object, undefined);
      assert.deepEqual(diagnostics, [{ severity: 'error', kind: 'File', object: 'manifests/app.yaml', field: 'line 7', message, reason: 'InvalidObject' }]);
    }
  });

  it('skips documents without kind or that are no mapping, with a warning pointing at file and line', () => {
    const cases: [unknown, string][] = [
      [{ apiVersion: 'v1', metadata: { name: 'x' } }, 'object has no kind; skipped'],
      [{ replicaCount: 3 }, 'object has no kind; skipped'],
      ['just a string', 'not a Kubernetes object (a mapping with apiVersion, kind and metadata) but string "just a string"; skipped'],
      [[1, 2], 'not a Kubernetes object (a mapping with apiVersion, kind and metadata) but a list; skipped'],
    ];
    for (const [raw, message] of cases) {
      const { object, diagnostics } = normalizeObject(raw, at);
      assert.equal(object, undefined);
      assert.deepEqual(diagnostics, [{ severity: 'warning', kind: 'File', object: 'manifests/app.yaml', field: 'line 7', message, reason: 'NotAnObject' }]);
    }
  });

  it('names the kind when an object without a name comes from the API source (no file)', () => {
    const { diagnostics } = normalizeObject({ apiVersion: 'v1', kind: 'Service', metadata: {} });
    assert.deepEqual(diagnostics, [{ severity: 'error', kind: 'Service', object: '(unnamed)', field: '', message: 'metadata.name is required', reason: 'InvalidObject' }]);
  });

  it('rejects non-string annotations and labels as the API server does, naming the key', () => {
    const raw = {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
      metadata: { name: 'web', namespace: 'shop', annotations: { 'tideway.dev/rate-limit-rps': 10 }, labels: { ok: 'yes', on: true } },
    };
    const { object, diagnostics } = normalizeObject(raw, at);
    assert.equal(object, undefined);
    assert.deepEqual(diagnostics.map((d) => `${d.field}: ${d.message}`), [
      'metadata.labels["on"]: must be a string, found boolean true (quote it in YAML: "true") (manifests/app.yaml line 7)',
      'metadata.annotations["tideway.dev/rate-limit-rps"]: must be a string, found number 10 (quote it in YAML: "10") (manifests/app.yaml line 7)',
    ]);
  });

  it('treats empty maps written as null ("annotations:" with nothing under it) as absent', () => {
    const { object, diagnostics } = normalizeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: null, annotations: null } });
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(object?.metadata, { name: 'web', namespace: 'default' });
  });

  it('rejects a namespace that is not a string', () => {
    const { object, diagnostics } = normalizeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 42 } }, at);
    assert.equal(object, undefined);
    assert.equal(diagnostics[0]!.field, 'metadata.namespace');
    assert.match(diagnostics[0]!.message, /must be a non-empty string, found number 42/);
  });
});

describe('normalizeObject: Gateway API schema defaults', () => {
  const gw = 'gateway.networking.k8s.io';
  it('fills in what the CRD schemas declare, as the API server would', () => {
    const route = normalizeObject({
      apiVersion: `${gw}/v1`, kind: 'HTTPRoute', metadata: { name: 'r' },
      spec: {
        parentRefs: [{ name: 'gw', sectionName: 'http' }],
        rules: [
          { matches: [{ headers: [{ name: 'a', value: 'b' }], queryParams: [{ name: 'q', value: 'v' }] }, { path: { value: '/x' } }],
            filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }, { type: 'RequestMirror', requestMirror: { backendRef: { name: 'm', port: 80 }, fraction: { numerator: 5 } } }],
            backendRefs: [{ name: 'web', port: 80 }, { name: 'web2', port: 80, weight: 0 }] },
          { backendRefs: [{ name: 'web', port: 80 }] },
        ],
      },
    }).object as unknown as { spec: { parentRefs: unknown; rules: Record<string, unknown>[] } };
    assert.deepEqual(route.spec.parentRefs, [{ name: 'gw', sectionName: 'http', group: gw, kind: 'Gateway' }]);
    assert.deepEqual(route.spec.rules[0]!.matches, [
      { headers: [{ name: 'a', value: 'b', type: 'Exact' }], queryParams: [{ name: 'q', value: 'v', type: 'Exact' }], path: { type: 'PathPrefix', value: '/' } },
      { path: { value: '/x', type: 'PathPrefix' } },
    ]);
    assert.deepEqual(route.spec.rules[0]!.filters, [
      { type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 302 } },
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'm', port: 80, group: '', kind: 'Service' }, fraction: { numerator: 5, denominator: 100 } } },
    ]);
    assert.deepEqual(route.spec.rules[0]!.backendRefs, [{ name: 'web', port: 80, group: '', kind: 'Service', weight: 1 }, { name: 'web2', port: 80, weight: 0, group: '', kind: 'Service' }]);
    assert.deepEqual(route.spec.rules[1]!.matches, [{ path: { type: 'PathPrefix', value: '/' } }]);
    const noRules = normalizeObject({ apiVersion: `${gw}/v1`, kind: 'HTTPRoute', metadata: { name: 'r' }, spec: {} }).object as unknown as { spec: { rules: unknown } };
    assert.deepEqual(noRules.spec.rules, [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]);
    const gateway = normalizeObject({
      apiVersion: `${gw}/v1beta1`, kind: 'Gateway', metadata: { name: 'g' },
      spec: { gatewayClassName: 'tideway', listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert' }] } }, { name: 'h', port: 80, protocol: 'HTTP', allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }] } }] },
    }).object as unknown as { apiVersion: string; spec: { listeners: unknown[] } };
    assert.equal(gateway.apiVersion, `${gw}/v1beta1`, 'v1beta1 is still served');
    assert.deepEqual(gateway.spec.listeners, [
      { name: 'https', port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ name: 'cert', group: '', kind: 'Secret' }] }, allowedRoutes: { namespaces: { from: 'Same' } } },
      { name: 'h', port: 80, protocol: 'HTTP', allowedRoutes: { kinds: [{ kind: 'HTTPRoute', group: gw }], namespaces: { from: 'Same' } } },
    ]);
  });

  it('keeps GatewayClass cluster-scoped, rejects retired versions and ignores other groups\' Gateway kinds', () => {
    assert.deepEqual(normalizeObject({ apiVersion: `${gw}/v1`, kind: 'GatewayClass', metadata: { name: 'c', namespace: 'x' } }).object?.metadata, { name: 'c' });
    const old = normalizeObject({ apiVersion: `${gw}/v1alpha2`, kind: 'HTTPRoute', metadata: { name: 'r' } }, at);
    assert.equal(old.object, undefined);
    assert.match(old.diagnostics[0]!.message, /gateway\.networking\.k8s\.io\/v1alpha2 is no longer served, use gateway\.networking\.k8s\.io\/v1/);
    assert.deepEqual(normalizeObject({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'g' } }), { object: undefined, diagnostics: [] });
    const bad = normalizeObject({ apiVersion: `${gw}/v1`, kind: 'HTTPRoute', metadata: { name: 'r' }, spec: { rules: 'nope' } });
    assert.equal((bad.object as unknown as { spec: { rules: unknown } }).spec.rules, 'nope', 'a wrong shape is left for translate() to report');
  });
});
