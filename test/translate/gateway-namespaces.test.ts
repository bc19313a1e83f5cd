// Label selectors, and Gateway listeners that admit routes from namespaces chosen by them
// (allowedRoutes.namespaces.from: Selector), pure: Namespace labels, namespaces without an object,
// and malformed selectors, which admit nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LabelSelector, readLabelSelector } from '../../src/translate/label-selector.ts';
import { translateManifests } from './run-manifests.ts';
import { gateway, gatewayClass, httpRoute, namespace } from '../support/gateway-api.ts';
import { service } from './builders.ts';

const run = translateManifests;

function selector(raw: unknown): LabelSelector {
  const read = readLabelSelector(raw);
  assert.ok(read instanceof LabelSelector, JSON.stringify(read));
  return read;
}

describe('label selectors', () => {
  it('match as the API server does: every requirement holds, an empty selector matches everything', () => {
    assert.equal(selector({}).matches({}), true);
    const s = selector({
      matchLabels: { env: 'prod' },
      matchExpressions: [
        { key: 'team', operator: 'In', values: ['a', 'b'] },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
        { key: 'owner', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    assert.equal(s.matches({ env: 'prod', team: 'a', owner: 'x' }), true, 'NotIn holds without the label');
    assert.equal(s.matches({ env: 'prod', team: 'b', owner: '', tier: 'web' }), true);
    assert.equal(s.matches({ env: 'dev', team: 'a', owner: 'x' }), false);
    assert.equal(s.matches({ env: 'prod', team: 'c', owner: 'x' }), false);
    assert.equal(s.matches({ env: 'prod', team: 'a', owner: 'x', tier: 'db' }), false);
    assert.equal(s.matches({ env: 'prod', team: 'a' }), false);
    assert.equal(s.matches({ env: 'prod', team: 'a', owner: 'x', legacy: 'yes' }), false);
    assert.equal(selector({ matchLabels: { toString: 'x' } }).matches({}), false, 'no inherited property counts as a label');
  });

  it('names the field of a malformed selector', () => {
    const problem = (raw: unknown) => {
      const read = readLabelSelector(raw);
      assert.ok(!(read instanceof LabelSelector));
      return read.field;
    };
    assert.equal(problem(undefined), '');
    assert.equal(problem({ matchLabels: { a: 1 } }), '.matchLabels["a"]');
    assert.equal(problem({ matchExpressions: [{ key: 'a', operator: 'Like', values: ['x'] }] }), '.matchExpressions[0].operator');
    assert.equal(problem({ matchExpressions: [{ key: 'a', operator: 'In' }] }), '.matchExpressions[0].values');
    assert.equal(problem({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }), '.matchExpressions[0].values');
    assert.equal(problem({ matchExpressions: [{ operator: 'Exists' }] }), '.matchExpressions[0].key');
    assert.equal(problem({ matchExpressions: 'a=b' }), '.matchExpressions');
  });
});

describe('allowedRoutes.namespaces.from: Selector', () => {
  const routeIn = (ns: string, host: string) => httpRoute(`r-${ns}`, { parentRefs: [{ name: 'gw', namespace: 'infra' }], hostnames: [host], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }, { namespace: ns });
  const common = [
    gatewayClass(), service('web', [{ port: 80 }], { namespace: 'team-a' }), service('web', [{ port: 80 }], { namespace: 'team-b' }), service('web', [{ port: 80 }], { namespace: 'loose' }),
    routeIn('team-a', 'a.test'), routeIn('team-b', 'b.test'), routeIn('loose', 'loose.test'),
  ];

  it('attaches the routes of namespaces whose labels match, and reports the others NotAllowedByListeners', () => {
    const { routes, problems, gatewayStatus } = run([
      ...common,
      namespace('team-a', { shared: 'yes' }), namespace('team-b', { shared: 'no' }),
      gateway('gw', [{ name: 'http', from: 'Selector', selector: { matchLabels: { shared: 'yes' } } }], { namespace: 'infra' }),
    ]);
    assert.deepEqual(routes.map((r) => r.host), ['a.test']);
    assert.ok(problems.includes('HTTPRoute team-b/r-team-b spec.parentRefs[0] NotAllowedByListeners'), problems.join('\n'));
    assert.ok(problems.includes('HTTPRoute loose/r-loose spec.parentRefs[0] NotAllowedByListeners'), 'a namespace without an object has no such label');
    const listener = gatewayStatus.entries.find((e) => e.kind === 'Gateway')!;
    assert.equal(listener.kind === 'Gateway' && listener.listeners[0]!.attachedRoutes, 1);
  });

  it('matches kubernetes.io/metadata.name, which every namespace has, with or without a Namespace object', () => {
    const { routes } = run([
      ...common, namespace('team-a'),
      gateway('gw', [{ name: 'http', from: 'Selector', selector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['team-a', 'loose'] }] } }], { namespace: 'infra' }),
    ]);
    assert.deepEqual(routes.map((r) => r.host).sort(), ['a.test', 'loose.test']);
  });

  it('admits nothing through a malformed selector, reported on the listener', () => {
    const { routes, problems, gatewayStatus } = run([
      ...common, namespace('team-a', { shared: 'yes' }),
      gateway('gw', [
        { name: 'bad', from: 'Selector', selector: { matchExpressions: [{ key: 'shared', operator: 'Equals', values: ['yes'] }] } },
        { name: 'none', port: 8080, from: 'Selector' },
      ], { namespace: 'infra' }),
    ]);
    assert.deepEqual(routes, []);
    assert.ok(problems.includes('Gateway infra/gw spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].operator UnsupportedValue'), problems.join('\n'));
    assert.ok(problems.includes('Gateway infra/gw spec.listeners[1].allowedRoutes.namespaces.selector UnsupportedValue'));
    const gw = gatewayStatus.entries.find((e) => e.kind === 'Gateway')!;
    assert.ok(gw.kind === 'Gateway');
    assert.deepEqual(gw.listeners.map((l) => l.conditions.find((c) => c.type === 'Accepted')!.reason), ['UnsupportedValue', 'UnsupportedValue']);
  });
});
