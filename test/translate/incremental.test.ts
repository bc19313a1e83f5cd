// The incremental translator gives exactly what translate() gives (table and diagnostics, in order) for
// random sequences of changes over a small universe of objects where conflicts are frequent: shared
// hosts and paths, equal creation times, missing and reappearing Services, Secrets and classes, bad
// values. translate() is the reference. The deltas sent to workers, patched into the table a worker
// serves, give what compiling the whole table from scratch gives.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { translate } from '../../src/translate/index.ts';
import { IncrementalTranslator, type ObjectChange } from '../../src/translate/incremental/index.ts';
import { objectKey, type AnyKubeObject, type HTTPIngressPath, type Ingress, type Middleware } from '../../src/kube/types.ts';
import { buildClusterState } from '../../src/store/snapshot.ts';
import { specDelta } from '../../src/runtime/spec-delta.ts';
import { buildSnapshot, emptyTableSpec, patchSnapshot } from '../../src/runtime/snapshot.ts';
import { UpstreamRegistry } from '../../src/upstream/registry.ts';
import { tableView } from '../runtime/table-view.ts';
import { backend, endpoint, ingressClass, ingress, classlessIngress, service, slice, tlsSecret } from './builders.ts';
import { CertificateFactory } from './certs.ts';

/** A small deterministic PRNG (mulberry32): a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const certs = new CertificateFactory();
after(() => certs.dispose());
const PAIRS = [certs.create('h0.test', '*.w.test'), certs.create('h1.test'), certs.create('other.test')];

const NAMESPACES = ['default', 'b'];
const HOSTS = ['h0.test', 'h1.test', 'x.w.test', '*.w.test', '', 'H0.TEST', 'bad host'];
const PATHS = ['/', '/a', '/a/', '/b', '/(.*)', 'nope'];
const PATH_TYPES = ['Prefix', 'Exact', 'ImplementationSpecific', 'Weird'];
const SERVICES = ['s0', 's1', 's2'];
const CREATED = ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', undefined];

function universe(rnd: () => number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const chance = (p: number): boolean => rnd() < p;

  const randomPath = (): HTTPIngressPath => {
    const port = pick<number | string>([80, 81, 'http', 'missing']);
    const entry: HTTPIngressPath = { path: pick(PATHS), pathType: pick(PATH_TYPES), backend: backend(chance(0.85) ? pick(SERVICES) : 'ghost', port) };
    if (chance(0.05)) delete (entry as { path?: string }).path;
    return entry;
  };

  const randomIngress = (name: string, namespace: string): Ingress => {
    const rules = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => {
      const host = pick(HOSTS);
      const paths = Array.from({ length: 1 + Math.floor(rnd() * 3) }, randomPath);
      return host === '' ? { http: { paths } } : { host, http: { paths } };
    });
    const spec: NonNullable<Ingress['spec']> = { rules };
    if (chance(0.2)) spec.defaultBackend = backend(pick(SERVICES), 80);
    if (chance(0.35)) spec.tls = [{ secretName: pick(['t0', 't1', 't2', 'nothere']), ...(chance(0.8) ? { hosts: [pick(HOSTS)] } : {}) }];
    const annotations: Record<string, string> = {};
    if (chance(0.2)) annotations['tideway.dev/use-regex'] = pick(['true', 'false', 'maybe']);
    if (chance(0.15)) annotations['tideway.dev/middlewares'] = pick(['m0', 'm1', 'm0, m0']);
    if (chance(0.1)) annotations['tideway.dev/proxy-read-timeout'] = pick(['30s', 'soon']);
    if (chance(0.1)) annotations['tideway.dev/canary-by-header'] = 'x-canary';
    if (chance(0.1)) annotations['tideway.dev/ssl-redirect'] = 'false';
    if (chance(0.1)) annotations['nginx.ingress.kubernetes.io/ssl-redirect'] = pick(['false', 'true', 'nope']);
    if (chance(0.1)) annotations['nginx.ingress.kubernetes.io/proxy-body-size'] = pick(['1m', '8k', 'big']);
    if (chance(0.05)) annotations['kubernetes.io/ingress.class'] = pick(['tideway', 'nginx']);
    const meta = { namespace, created: pick(CREATED), ...(Object.keys(annotations).length ? { annotations } : {}) };
    const classChoice = rnd();
    if (classChoice < 0.6) return ingress(name, spec, meta);
    if (classChoice < 0.75) return classlessIngress(name, spec, meta);
    const named = ingress(name, spec, meta);
    named.spec!.ingressClassName = pick(['other', 'tideway-two', 'missing']);
    return named;
  };

  const randomObject = (): AnyKubeObject => {
    const namespace = pick(NAMESPACES);
    switch (pick(['Ingress', 'Ingress', 'Ingress', 'Service', 'EndpointSlice', 'EndpointSlice', 'Secret', 'IngressClass', 'Middleware'])) {
      case 'Ingress': return randomIngress(`i${Math.floor(rnd() * 6)}`, namespace);
      case 'Service': {
        const ports = [{ name: 'http', port: 80, ...(chance(0.3) ? { appProtocol: pick(['kubernetes.io/h2c', 'https']) } : {}) }, ...(chance(0.5) ? [{ port: 81 }] : [])];
        return service(pick(SERVICES), ports, { namespace, ...(chance(0.05) ? { type: 'ExternalName' } : {}) });
      }
      case 'EndpointSlice': {
        const endpoints = Array.from({ length: Math.floor(rnd() * 3) }, () =>
          endpoint(pick(['10.0.0.1', '10.0.0.2', '10.0.0.3', 'not-an-ip']), chance(0.3) ? { ready: false, serving: true, terminating: true } : undefined));
        return slice(`${pick(SERVICES)}-${Math.floor(rnd() * 2)}`, pick(SERVICES), [{ name: 'http', port: 8080 }, ...(chance(0.3) ? [{ name: '', port: 9090 }] : [])], endpoints, {
          namespace, ...(chance(0.05) ? { addressType: 'FQDN' as const } : {}),
        });
      }
      case 'Secret': {
        const pair = pick(PAIRS);
        return chance(0.1) ? tlsSecret(pick(['t0', 't1', 't2']), pair.certPem, 'not a key', { namespace }) : tlsSecret(pick(['t0', 't1', 't2']), pair.certPem, pair.keyPem, { namespace });
      }
      case 'IngressClass': {
        const name = pick(['tideway', 'tideway-two', 'other']);
        return ingressClass(name, name === 'other' || chance(0.2) ? 'example.com/other' : 'tideway.dev/ingress-controller', chance(0.4));
      }
      default: {
        const middleware: Middleware = {
          apiVersion: 'tideway.dev/v1alpha1', kind: 'Middleware', metadata: { name: pick(['m0', 'm1']), namespace },
          spec: chance(0.7) ? { headers: { request: { set: { 'x-from': 'tideway' } } } } : { nonsense: true },
        } as unknown as Middleware;
        return middleware;
      }
    }
  };
  return { randomObject, pick, chance };
}

function keyOf(object: AnyKubeObject): string {
  return objectKey(object.kind, object.metadata.namespace, object.metadata.name);
}

function changeOf(object: AnyKubeObject, gone = false): ObjectChange {
  return { kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name, object: gone ? undefined : object };
}

const POOLS = { maxIdle: 1, idleTimeoutMs: 1000, tunnelGraceMs: 1000 };
/** Requests for every host and path of the universe, and some no rule names. */
const PROBES = [...HOSTS, 'y.w.test', 'a.b.w.test', 'nowhere.test'].flatMap((host) => [...PATHS, '/a/b', '/x'].map((path): [string, string] => [host, path]));

function reference(objects: Map<string, AnyKubeObject>, options: Parameters<typeof translate>[1]) {
  return translate(buildClusterState(new Map([['test', { objects, diagnostics: [] }]])), options);
}

describe('incremental translation equals translate()', () => {
  for (const [seed, options] of [[1, {}], [2, {}], [3, { defaultCertificate: 'default/t0' }], [4, { allowCrossNamespace: true }], [5, { ingressNginxCompat: true }], [6, {}]] as const) {
    test(`seed ${seed}: 150 random changes`, () => {
      const rnd = random(seed);
      const { randomObject, chance, pick } = universe(rnd);
      const objects = new Map<string, AnyKubeObject>();
      const engine = new IncrementalTranslator(options);
      const registry = new UpstreamRegistry(POOLS);
      let served = buildSnapshot(emptyTableSpec(), registry);
      for (let step = 0; step < 150; step++) {
        const batch: ObjectChange[] = [];
        for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
          if (objects.size > 0 && chance(0.25)) {
            const key = pick([...objects.keys()]);
            batch.push(changeOf(objects.get(key)!, true));
            objects.delete(key);
          } else {
            const object = Object.freeze(randomObject());
            objects.set(keyOf(object), object);
            batch.push(changeOf(object));
          }
        }
        const changed = engine.apply(batch);
        assert.ok(engine.complete, 'Ingress objects only: the incremental result is the whole result');
        const expected = reference(objects, options);
        const actual = engine.result();
        assert.deepEqual(actual.table, expected.table, `seed ${seed}, step ${step}: table`);
        assert.deepEqual(actual.diagnostics, expected.diagnostics, `seed ${seed}, step ${step}: diagnostics`);
        const servedRefs = new Set([...expected.table.hosts.flatMap((h) => h.routes), ...(expected.table.defaultRoute ? [expected.table.defaultRoute] : [])].map((r) => `${r.namespace}/${r.ingress}`));
        assert.deepEqual(new Set(engine.servedIngresses()), servedRefs, `seed ${seed}, step ${step}: served Ingresses`);
        // What a worker patches from the delta serves what compiling the whole table serves.
        served = patchSnapshot(served, specDelta(step, step + 1, changed, engine), registry);
        const fresh = new UpstreamRegistry(POOLS);
        const compiled = buildSnapshot({ ...actual.table, version: step + 1 }, fresh);
        assert.deepEqual(tableView(served, registry, PROBES), tableView(compiled, fresh, PROBES), `seed ${seed}, step ${step}: table patched from the delta`);
      }
    });
  }

  test('canary Ingresses and Gateway API objects make it incomplete (the control plane then translates in full)', () => {
    const engine = new IncrementalTranslator();
    const canary = ingress('canary', { rules: [{ host: 'a.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('s1', 80) }] } }] }, { annotations: { 'nginx.ingress.kubernetes.io/canary': 'true' } });
    engine.apply([changeOf(ingressClass('tideway')), changeOf(canary)]);
    assert.equal(engine.complete, false);
    engine.apply([changeOf(canary, true)]);
    assert.equal(engine.complete, true);
    const gatewayClass = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'tideway' }, spec: { controllerName: 'tideway.dev/gateway-controller' } } as unknown as AnyKubeObject;
    engine.apply([changeOf(gatewayClass)]);
    assert.equal(engine.complete, false);
    engine.apply([changeOf(gatewayClass, true)]);
    assert.equal(engine.complete, true);
  });

  test('an endpoint change updates one backend and no route; an Ingress change only its hosts', () => {
    const engine = new IncrementalTranslator();
    const objects: AnyKubeObject[] = [ingressClass('tideway')];
    for (let i = 0; i < 50; i++) {
      objects.push(ingress(`web-${i}`, { rules: [{ host: `web-${i}.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend(`svc-${i}`, 80) }] } }] }));
      objects.push(service(`svc-${i}`, [{ name: 'http', port: 80 }]));
      objects.push(slice(`svc-${i}-1`, `svc-${i}`, [{ name: 'http', port: 8080 }], [endpoint('10.0.0.1')]));
    }
    engine.apply(objects.map((o) => changeOf(o)));
    const routesBefore = engine.routesOf('web-7.test');
    const servedBefore = engine.servedIngresses();

    const delta = engine.apply([changeOf(slice('svc-7-1', 'svc-7', [{ name: 'http', port: 8080 }], [endpoint('10.0.0.9')]))]);
    assert.deepEqual([...delta.backends], ['default/svc-7:80']);
    assert.equal(delta.hosts.size, 0, 'no route rebuilt');
    assert.equal(engine.routesOf('web-7.test'), routesBefore, 'the routes are the same objects');
    assert.deepEqual(engine.backend('default/svc-7:80')!.endpoints.map((e) => e.address), ['10.0.0.9']);
    assert.equal(engine.servedIngresses(), servedBefore, 'the same list of served Ingresses (the status writer skips it)');

    const moved = engine.apply([changeOf(ingress('web-3', { rules: [{ host: 'moved.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('svc-3', 80) }] } }] }))]);
    assert.deepEqual([...moved.hosts], ['moved.test']);
    assert.deepEqual([...moved.removedHosts], ['web-3.test']);
    assert.equal(moved.backends.size, 0);
    assert.notEqual(engine.servedIngresses(), servedBefore, 'routes changed: the list is made again');
    assert.equal(engine.servedIngresses().length, 50);
  });
});
