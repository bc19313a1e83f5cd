import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectStore } from '../../src/store/index.ts';
import type { IngressClass } from '../../src/kube/types.ts';
import { ingress, service } from './fixtures.ts';

const names = (list: readonly { metadata: { namespace?: string; name: string } }[]) =>
  list.map((o) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name));

describe('ObjectStore origins', () => {
  it('replaceOrigin makes the given objects all that origin holds', () => {
    const store = new ObjectStore();
    store.replaceOrigin('a.yaml', [service('shop', 'web'), service('shop', 'api')], []);
    store.replaceOrigin('b.yaml', [ingress('shop', 'front')], []);
    assert.deepEqual(names(store.state().services), ['shop/api', 'shop/web']);

    store.replaceOrigin('a.yaml', [service('shop', 'api')], []);
    assert.deepEqual(names(store.state().services), ['shop/api']);
    assert.deepEqual(names(store.state().ingresses), ['shop/front'], 'another origin is untouched');

    store.replaceOrigin('a.yaml', [], []);
    assert.deepEqual(store.state().services, []);
  });

  it('sorts every kind by namespace, then name, in code-unit order', () => {
    const store = new ObjectStore();
    store.replaceOrigin('x', [service('b', 'a'), service('a', 'z'), service('a', 'B'), service('a', 'a')], []);
    const classes: IngressClass[] = ['zeta', 'alpha'].map((name) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name } }));
    store.replaceOrigin('y', classes, []);
    assert.deepEqual(names(store.state().services), ['a/B', 'a/a', 'a/z', 'b/a']);
    assert.deepEqual(names(store.state().ingressClasses), ['alpha', 'zeta']);
  });

  it('keeps each origin\'s diagnostics in the snapshot, in origin order', () => {
    const store = new ObjectStore();
    const diag = (object: string) => ({ severity: 'error' as const, kind: 'File', object, field: 'line 1', message: 'bad', reason: 'InvalidYaml' });
    store.replaceOrigin('b.yaml', [], [diag('b.yaml')]);
    store.replaceOrigin('a.yaml', [service('s', 'x')], [diag('a.yaml')]);
    assert.deepEqual(store.state().sourceDiagnostics.map((d) => d.object), ['a.yaml', 'b.yaml']);
    store.setOriginDiagnostics('b.yaml', []);
    assert.deepEqual(store.state().sourceDiagnostics.map((d) => d.object), ['a.yaml']);
  });

  it('upsert and remove change single objects of an origin', () => {
    const store = new ObjectStore();
    store.upsert('kubernetes', service('shop', 'web', 80));
    store.upsert('kubernetes', service('shop', 'web', 8080));
    assert.equal(store.state().services.length, 1);
    assert.equal(store.state().services[0]!.spec!.ports![0]!.port, 8080);
    store.remove('kubernetes', 'Service', 'shop', 'web');
    store.remove('kubernetes', 'Service', 'shop', 'never-there');
    assert.deepEqual(store.state().services, []);
  });

  it('lets the origin that sorts first win a cross-origin duplicate, and warns naming both', () => {
    const store = new ObjectStore();
    store.replaceOrigin('manifests/b.yaml', [ingress('shop', 'front', 'from-b.test')], []);
    store.replaceOrigin('manifests/a.yaml', [ingress('shop', 'front', 'from-a.test')], []);
    const state = store.state();
    assert.equal(state.ingresses.length, 1);
    assert.equal(state.ingresses[0]!.spec!.rules![0]!.host, 'from-a.test');
    assert.deepEqual(state.sourceDiagnostics, [{
      severity: 'warning',
      kind: 'Ingress',
      object: 'shop/front',
      field: '',
      message: 'defined more than once, in manifests/a.yaml and manifests/b.yaml; the one from manifests/a.yaml is used',
      reason: 'DuplicateObject',
    }]);

    store.replaceOrigin('manifests/a.yaml', [], []);
    assert.equal(store.state().ingresses[0]!.spec!.rules![0]!.host, 'from-b.test', 'the other definition takes over');
    assert.deepEqual(store.state().sourceDiagnostics, []);
  });

  it('warns when one origin defines an object twice; the later definition wins', () => {
    const store = new ObjectStore();
    store.replaceOrigin('a.yaml', [service('s', 'web', 1), service('s', 'web', 2)], []);
    assert.equal(store.state().services[0]!.spec!.ports![0]!.port, 2);
    assert.match(store.state().sourceDiagnostics[0]!.message, /defined more than once in a\.yaml; the last definition is used/);
  });

  it('caches the snapshot until the next change and freezes it deeply', () => {
    const store = new ObjectStore();
    store.replaceOrigin('a.yaml', [service('s', 'web')], []);
    const first = store.state();
    assert.equal(store.state(), first);
    assert.throws(() => (first.services as unknown[]).push({}), TypeError);
    assert.throws(() => { (first.services[0]!.metadata as { name: string }).name = 'changed'; }, TypeError);
    assert.throws(() => { first.services[0]!.spec!.ports![0]!.port = 1; }, TypeError);

    store.upsert('a.yaml', service('s', 'api'));
    const second = store.state();
    assert.notEqual(second, first);
    assert.equal(first.services.length, 1, 'an old snapshot never changes');
    assert.equal(second.services.length, 2);
  });

  it('treats a write that changes nothing as no change', () => {
    const store = new ObjectStore();
    store.replaceOrigin('a.yaml', [service('s', 'web')], []);
    const before = store.state();
    store.replaceOrigin('a.yaml', [service('s', 'web')], []);
    store.upsert('a.yaml', service('s', 'web'));
    store.remove('a.yaml', 'Service', 's', 'absent');
    store.setOriginDiagnostics('a.yaml', []);
    store.replaceOrigin('never-seen', [], []);
    assert.equal(store.state(), before);
  });

  it('reports only the objects of a rewritten file that changed', () => {
    const store = new ObjectStore();
    store.replaceOrigin('a.yaml', [service('s', 'web'), service('s', 'api')], []);
    store.takeChanges();
    store.replaceOrigin('a.yaml', [service('s', 'web'), service('s', 'api', 81)], []);
    assert.deepEqual(store.takeChanges().map((c) => c.name), ['api'], 'the unchanged Service is no change (its Ingresses are not translated again)');
  });
});
