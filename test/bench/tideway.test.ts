// What the harness hands the gateway: the manifests it serves and the optional flags it passes.
import { ObjectStore, normalizeObject } from '../../src/store/index.ts';
import { translate } from '../../src/translate/index.ts';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { benchManifests, supportedQuietFlags } from '../../bench/tideway.ts';

describe('benchManifests', () => {
  it('routes Prefix / of the default class to Service bench/upstream, backed by 127.0.0.1:<upstream port>', () => {
    const docs = parseAllDocuments(benchManifests(41234, 41235)).map((d) => d.toJS());
    assert.deepEqual(docs.map((d) => d.kind).slice(0, 7), ['IngressClass', 'Service', 'EndpointSlice', 'Ingress', 'Service', 'EndpointSlice', 'Ingress']);
    const [ingressClass, service, slice, ingress] = docs;
    assert.equal(ingressClass.metadata.annotations['ingressclass.kubernetes.io/is-default-class'], 'true');
    assert.equal(ingressClass.spec.controller, 'tideway.dev/ingress-controller');
    assert.equal(service.metadata.namespace, 'bench');
    assert.equal(service.spec.ports[0].port, 80);
    assert.equal(slice.metadata.labels['kubernetes.io/service-name'], service.metadata.name);
    assert.deepEqual(slice.endpoints, [{ addresses: ['127.0.0.1'], conditions: { ready: true } }]);
    assert.equal(slice.ports[0].port, 41234);
    assert.equal(slice.ports[0].name, service.spec.ports[0].name);
    const path = ingress.spec.rules[0].http.paths[0];
    assert.deepEqual(path, { path: '/', pathType: 'Prefix', backend: { service: { name: 'upstream', port: { number: 80 } } } });
    assert.equal(ingress.metadata.namespace, 'bench');
  });

  it('routes the gRPC method prefix to Service bench/grpc-upstream (appProtocol grpc) at <upstream gRPC port>', () => {
    const [, , , , service, slice, ingress] = parseAllDocuments(benchManifests(41234, 41235)).map((d) => d.toJS());
    assert.equal(service.spec.ports[0].appProtocol, 'grpc');
    assert.equal(slice.ports[0].port, 41235);
    assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'grpc-upstream');
    assert.deepEqual(ingress.spec.rules[0].http.paths[0], { path: '/bench.Echo/', pathType: 'Prefix', backend: { service: { name: 'grpc-upstream', port: { number: 80 } } } });
  });
});

describe('supportedQuietFlags', () => {
  it('passes --access-log off and --log-level warn when the gateway help lists them', () => {
    const help = readFileSync(new URL('./fixtures/tideway-help.txt', import.meta.url), 'utf8');
    assert.deepEqual(supportedQuietFlags(help), ['--access-log', 'off', '--log-level', 'warn']);
  });

  it('passes nothing the help does not list', () => {
    assert.deepEqual(supportedQuietFlags('Usage: tideway [flags]\n  --manifests <value>\n  --access-logs-dir <value>\n'), []);
    assert.deepEqual(supportedQuietFlags(''), []);
  });
});

describe('middleware scenarios', () => {
  it('gives every middleware scenario host a chain that translates without errors', () => {
    const store = new ObjectStore();
    const objects = parseAllDocuments(benchManifests(41234, 41235)).map((d) => normalizeObject(d.toJS()).object!);
    store.replaceOrigin('bench', objects, []);
    const { table, diagnostics } = translate(store.state());
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    for (const host of ['ratelimit.bench', 'jwt.bench', 'headers.bench', 'all.bench']) {
      const routes = table.hosts.find((h) => h.host === host)?.routes ?? [];
      assert.ok(routes.length === 1 && routes[0]!.middlewares.length > 0 && routes[0]!.middlewares.every((m) => m.type !== 'deny'), host);
    }
  });
});
