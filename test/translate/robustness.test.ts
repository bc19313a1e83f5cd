import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Diagnostic } from '../../src/kube/diagnostic.ts';
import type { AnyKubeObject } from '../../src/kube/types.ts';
import { compileRouteTable } from '../../src/routing/index.ts';
import type { ClusterState } from '../../src/store/cluster-state.ts';
import { translate } from '../../src/translate/index.ts';
import { backend, clusterState, endpoint, ingress, ingressClass, path, rule, service, slice, tls, tlsSecret } from './builders.ts';
import { CertificateFactory } from './certs.ts';

/** Seeded, so that a failure can be replayed. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s % n;
  };
}

function shuffled<T>(list: readonly T[], random: (n: number) => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function assertNoInternalError(diagnostics: readonly Diagnostic[]): void {
  const internal = diagnostics.filter((d) => d.reason === 'InternalError');
  assert.deepEqual(internal, [], 'every field must be read through guards, not caught by the safety net');
}

let factory: CertificateFactory;
let richObjects: AnyKubeObject[];

before(() => {
  factory = new CertificateFactory();
  const cert = factory.create('shop.example.com');
  const annotated = { 'tideway.dev/use-regex': 'true', 'tideway.dev/proxy-read-timeout': '5s', 'tideway.dev/typo': 'x', 'tideway.dev/proxy-body-size': 'big' };
  richObjects = [
    ingress('shop', { rules: [rule('shop.example.com', path('/', 'Prefix'), path('/api', 'Prefix', 'api', 'http'), path('/v[0-9]+', 'ImplementationSpecific'))], tls: [tls('shop-tls', 'shop.example.com')] }, { namespace: 'shop', annotations: annotated, created: '2024-01-01T00:00:00Z' }),
    ingress('shop-copy', { rules: [rule('shop.example.com', path('/', 'Prefix'), path('/missing', 'Exact', 'nope'))], defaultBackend: backend('web', 80) }, { namespace: 'shop', created: '2024-02-01T00:00:00Z' }),
    ingress('other', { rules: [rule('*.example.com', path('/', 'Prefix')), rule('bad.*.host', path('/', 'Prefix'))], defaultBackend: backend('web', 80), tls: [tls('missing-tls', 'x.example.com')] }, { namespace: 'team' }),
    ingress('hostless', { rules: [rule(undefined, path('/', 'Prefix'), path('/a', 'Exact'), path('x', 'Prefix'))] }, { namespace: 'team' }),
    ingress('foreign', { ingressClassName: 'nginx', rules: [rule('shop.example.com', path('/', 'Prefix'))] }, { namespace: 'shop' }),
    ingressClass('nginx', 'k8s.io/ingress-nginx'),
    service('web', [{ port: 80 }], { namespace: 'shop' }),
    service('api', [{ name: 'http', port: 80, appProtocol: 'kubernetes.io/h2c' }], { namespace: 'shop' }),
    service('web', [{ port: 80 }], { namespace: 'team' }),
    slice('web-b', 'web', [{ port: 8080 }], [endpoint('10.0.0.3'), endpoint('10.0.0.1', { ready: false, serving: true, terminating: true })], { namespace: 'shop' }),
    slice('web-a', 'web', [{ port: 8080 }], [endpoint('10.0.0.2'), endpoint('10.0.0.3'), endpoint('bogus')], { namespace: 'shop' }),
    slice('api-a', 'api', [{ name: 'http', port: 9000 }], [endpoint(['10.1.0.1', '10.1.0.2'])], { namespace: 'shop' }),
    slice('web-t', 'web', [{ port: 8080 }], [endpoint('10.2.0.1', { ready: false, terminating: true })], { namespace: 'team' }),
    tlsSecret('shop-tls', cert.certPem, cert.keyPem, { namespace: 'shop' }),
  ];
});
after(() => factory.dispose());

describe('determinism', () => {
  it('gives the same table and diagnostics, in the same order, whatever the input order', () => {
    const random = prng(7);
    const base = clusterState(richObjects);
    const expected = JSON.stringify(translate(base));
    const result = translate(base);
    assert.ok(result.diagnostics.length >= 6, 'the fixture exercises several kinds of diagnostics');
    assert.ok(result.table.hosts.length >= 3 && result.table.certificates.length === 1 && result.table.defaultRoute);
    for (let i = 0; i < 25; i++) {
      const state: ClusterState = {
        ingresses: shuffled(base.ingresses, random),
        ingressClasses: shuffled(base.ingressClasses, random),
        services: shuffled(base.services, random),
        endpointSlices: shuffled(base.endpointSlices, random),
        secrets: shuffled(base.secrets, random),
        middlewares: [],
        sourceDiagnostics: [],
      };
      assert.equal(JSON.stringify(translate(state)), expected, `shuffle ${i}`);
    }
  });

  it('produces plain data that survives structured cloning', () => {
    const { table } = translate(clusterState(richObjects));
    assert.deepEqual(structuredClone(table), table);
  });

  it('does not modify its input', () => {
    const state = clusterState(richObjects);
    const before = JSON.stringify(state);
    translate(state);
    assert.equal(JSON.stringify(state), before);
  });

  it('passes the sources’ diagnostics through, first', () => {
    const sourceDiagnostic: Diagnostic = { severity: 'error', kind: 'File', object: '/etc/x.yaml', field: '', message: 'bad YAML', reason: 'InvalidYAML' };
    const state = { ...clusterState(richObjects), sourceDiagnostics: [sourceDiagnostic] };
    assert.deepEqual(translate(state).diagnostics[0], sourceDiagnostic);
  });
});

describe('garbage input', () => {
  const garbage: unknown[] = [null, undefined, 0, -1, 1.5, NaN, '', 'x', true, [], [null], {}, { metadata: null }, [1, 'a', {}], { name: 5 }];

  it('never throws on states that are not states', () => {
    for (const state of [null, undefined, 5, 'state', [], {}, { ingresses: 'x', services: 5 }, { ingresses: [null, 5, 'x', [], {}] }]) {
      const { table, diagnostics } = translate(state as unknown as ClusterState);
      assert.deepEqual(table.hosts, []);
      assertNoInternalError(diagnostics);
    }
  });

  it('never throws on hand-written broken objects, and reports them', () => {
    const broken = [
      { kind: 'Ingress', metadata: { name: 'a', namespace: 5, annotations: 'x' }, spec: 'x' },
      { kind: 'Ingress', metadata: { name: 'b', annotations: { 'tideway.dev/use-regex': {} } }, spec: { ingressClassName: 'tideway', rules: 'x', tls: 'x', defaultBackend: 'x' } },
      {
        kind: 'Ingress',
        metadata: { name: 'c', creationTimestamp: { seconds: 5 } },
        spec: {
          ingressClassName: 'tideway',
          rules: [null, 1, { host: 5 }, { http: 'x' }, { http: { paths: 'x' } }, { http: { paths: [] } }, { host: 'a.test', http: { paths: [null, {}, { path: {}, pathType: [] }, { pathType: 'Prefix', path: '/', backend: { service: { name: {}, port: 'x' } } }, { pathType: 'Prefix', path: '/p', backend: { service: { name: 'web', port: { number: null, name: null } } } }] } }],
          tls: [null, 5, { hosts: 'x', secretName: 5 }, { hosts: [null, 5, ''], secretName: 'x' }],
        },
      },
      { kind: 'Ingress', metadata: { name: 'd' }, spec: { ingressClassName: 5 } },
      { kind: 'Ingress', metadata: { name: 'e' }, spec: { ingressClassName: 'tideway', defaultBackend: { service: { name: 'web', port: { number: 80 } } } } },
      { kind: 'Ingress', metadata: { name: 'f' } },
    ];
    const state = {
      ingresses: [...broken, ...garbage],
      ingressClasses: [{ metadata: { name: 'tideway', annotations: 'x' }, spec: { controller: 'tideway.dev/ingress-controller' } }, { metadata: { name: 'x' }, spec: 'x' }, ...garbage],
      services: [{ metadata: { name: 'web', namespace: 'default' }, spec: { ports: [null, { port: '80' }, { port: 80, name: 5, appProtocol: 7 }] } }, { metadata: { name: 'x' }, spec: { ports: 'x' } }, ...garbage],
      endpointSlices: [
        { metadata: { name: 's', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 5, ports: [null, { port: 8080 }], endpoints: [null, 'x', { addresses: 'x' }, { addresses: [null, 5, '10.0.0.1'], conditions: 'x', targetRef: 'x' }] },
        { metadata: { name: 't', labels: null }, endpoints: 'x' },
        ...garbage,
      ],
      secrets: [{ metadata: { name: 'x', namespace: 'default' }, type: 'kubernetes.io/tls', data: 'x' }, { metadata: { name: 'y' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 5, 'tls.key': 'AAAA' } }, ...garbage],
      middlewares: garbage,
      sourceDiagnostics: 'x',
    };
    const { table, diagnostics } = translate(state as unknown as ClusterState);
    assertNoInternalError(diagnostics);
    assert.ok(diagnostics.length >= 15, `expected many diagnostics, got ${diagnostics.length}`);
    assert.ok(diagnostics.every((d) => d.kind && d.object && typeof d.field === 'string' && d.message && /^[A-Z][A-Za-z]+$/.test(d.reason)));
    assert.equal(table.defaultRoute?.id, 'default/e#default');
    assert.deepEqual(table.backends['default/web:80']?.endpoints, [{ address: '10.0.0.1', port: 8080, ready: true }]);
    compileRouteTable(table);
  });

  it('never throws when random fields of a valid state are replaced with garbage', () => {
    const random = prng(2024);
    const template = JSON.parse(JSON.stringify(clusterState(richObjects))) as Record<string, unknown>;
    const slots = (root: unknown): [Record<string, unknown> | unknown[], string | number][] => {
      const out: [Record<string, unknown> | unknown[], string | number][] = [];
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach((child, i) => (out.push([node, i]), walk(child)));
        else if (node && typeof node === 'object') for (const [key, child] of Object.entries(node)) (out.push([node as Record<string, unknown>, key]), walk(child));
      };
      walk(root);
      return out;
    };
    for (let round = 0; round < 300; round++) {
      const state = structuredClone(template);
      const all = slots(state);
      for (let k = 0, n = 1 + random(4); k < n; k++) {
        const [parent, key] = all[random(all.length)]!;
        (parent as Record<string | number, unknown>)[key] = garbage[random(garbage.length)];
      }
      let result: ReturnType<typeof translate> | undefined;
      assert.doesNotThrow(() => (result = translate(state as unknown as ClusterState)), `round ${round}`);
      assertNoInternalError(result!.diagnostics);
      assert.doesNotThrow(() => compileRouteTable(result!.table), `compile, round ${round}`);
    }
  });
});
