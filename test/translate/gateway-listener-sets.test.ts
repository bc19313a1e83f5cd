// ListenerSets, pure translation: which a Gateway takes (allowedListeners), their listeners served and
// reached only through a ListenerSet parentRef, conflicts settled by precedence (the Gateway, then the
// oldest ListenerSet), certificateRefs needing a grant from the ListenerSet, and the status of both.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { GatewayStatusEntry, ListenerSetStatusEntry, RouteStatusEntry, StatusEntry } from '../../src/translate/gateway/status.ts';
import { gateway, gatewayClass, httpRoute, listenerSet, namespace, referenceGrant, type AllowedListenersInput } from '../support/gateway-api.ts';
import { service, tlsSecret } from './builders.ts';
import { CertificateFactory } from './certs.ts';
import { translateManifests as run } from './run-manifests.ts';

const web = service('web');
const rule = (path: string) => ({ matches: [{ path: { type: 'PathPrefix', value: path } }], backendRefs: [{ name: 'web', port: 80 }] });
const setRef = (name: string, extra: Record<string, unknown> = {}) => ({ group: 'gateway.networking.k8s.io', kind: 'ListenerSet', name, ...extra });

function entry<K extends StatusEntry['kind']>(entries: StatusEntry[], kind: K, name: string): Extract<StatusEntry, { kind: K }> {
  const found = entries.find((e) => e.kind === kind && e.name === name);
  assert.ok(found, `${kind} ${name} in the status`);
  return found as Extract<StatusEntry, { kind: K }>;
}

const conditions = (e: GatewayStatusEntry | ListenerSetStatusEntry) => e.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`);
const listenerConditions = (e: GatewayStatusEntry | ListenerSetStatusEntry, name: string) => e.listeners.find((l) => l.name === name)!.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`);

describe('ListenerSets', () => {
  const certs = new CertificateFactory();
  after(() => certs.dispose());

  it('are not taken by default; allowedListeners Same, All and Selector take them', () => {
    const sets = [
      listenerSet('here', { name: 'gw', namespace: 'infra' }, [{ name: 'l', hostname: 'here.test' }], { namespace: 'infra' }),
      listenerSet('there', { name: 'gw', namespace: 'infra' }, [{ name: 'l', hostname: 'there.test' }], { namespace: 'apps' }),
    ];
    const hosts = (allowed?: AllowedListenersInput, extra: Record<string, unknown>[] = []) => {
      const result = run([gatewayClass(), namespace('apps', { team: 'apps' }), gateway('gw', [{ name: 'own', hostname: 'own.test' }], { namespace: 'infra', ...(allowed ? { allowedListeners: allowed } : {}) }), ...sets, ...extra]);
      return { result, attached: entry(result.gatewayStatus.entries, 'Gateway', 'gw').attachedListenerSets };
    };
    const none = hosts();
    assert.equal(none.attached, 0);
    assert.deepEqual(conditions(entry(none.result.gatewayStatus.entries, 'ListenerSet', 'here')), ['Accepted=False/NotAllowed', 'Programmed=False/NotAllowed']);
    assert.ok(none.result.problems.includes('ListenerSet infra/here spec.parentRef NotAllowed'));
    assert.equal(hosts({ from: 'Same' }).attached, 1);
    assert.equal(hosts({ from: 'All' }).attached, 2);
    assert.equal(hosts({ from: 'Selector', selector: { matchLabels: { team: 'apps' } } }).attached, 1);
    const bad = hosts({ from: 'Selector', selector: { matchExpressions: [{ key: 'team', operator: 'Near' }] } });
    assert.equal(bad.attached, 0, 'a malformed selector takes none');
    assert.ok(bad.result.problems.includes('Gateway infra/gw spec.allowedListeners.namespaces.selector.matchExpressions[0].operator UnsupportedValue'), bad.result.problems.join('\n'));
  });

  it('serve their listeners to routes naming the ListenerSet (by sectionName too), and a Gateway parentRef reaches only the Gateway\'s own', () => {
    const result = run([
      gatewayClass(), web,
      gateway('gw', [{ name: 'own', hostname: 'own.test' }], { allowedListeners: { from: 'Same' } }),
      listenerSet('extra', { name: 'gw' }, [{ name: 'one', hostname: 'one.test' }, { name: 'two', hostname: 'two.test' }]),
      httpRoute('to-gateway', { parentRefs: [{ name: 'gw' }], rules: [rule('/gw')] }),
      httpRoute('to-set', { parentRefs: [setRef('extra')], rules: [rule('/set')] }),
      httpRoute('to-section', { parentRefs: [setRef('extra', { sectionName: 'two' })], rules: [rule('/section')] }),
      httpRoute('to-missing-section', { parentRefs: [setRef('extra', { sectionName: 'three' })], rules: [rule('/missing')] }),
    ]);
    const served = result.routes.map((r) => `${r.host}${r.path}`).sort();
    assert.deepEqual(served, ['one.test/set', 'own.test/gw', 'two.test/section', 'two.test/set']);
    assert.ok(result.problems.includes('HTTPRoute default/to-missing-section spec.parentRefs[0] NoMatchingParent'));
    const set = entry(result.gatewayStatus.entries, 'ListenerSet', 'extra');
    assert.deepEqual(conditions(set), ['Accepted=True/Accepted', 'Programmed=True/Programmed']);
    assert.deepEqual(set.listeners.map((l) => [l.name, l.attachedRoutes]), [['one', 1], ['two', 2]]);
    const gw = entry(result.gatewayStatus.entries, 'Gateway', 'gw');
    assert.deepEqual(gw.listeners.map((l) => [l.name, l.attachedRoutes]), [['own', 1]], 'the Gateway lists its own listeners only');
    assert.equal(gw.attachedListenerSets, 1);
    const route = entry(result.gatewayStatus.entries, 'HTTPRoute', 'to-section') as RouteStatusEntry;
    assert.deepEqual(route.parents[0]!.parentRef, { group: 'gateway.networking.k8s.io', kind: 'ListenerSet', namespace: 'default', name: 'extra', sectionName: 'two' });
  });

  it('lose conflicts to the Gateway\'s listeners and to older ListenerSets; one with no valid listener is not accepted', () => {
    const result = run([
      gatewayClass(), web,
      gateway('gw', [{ name: 'own', hostname: 'own.test' }, { name: 'tls', port: 8443, protocol: 'HTTPS', hostname: 'own.test', certificateRefs: [{ name: 'missing' }] }], { allowedListeners: { from: 'All' } }),
      listenerSet('young', { name: 'gw' }, [{ name: 'dup', hostname: 'shared.test' }], { creationTimestamp: '2026-02-01T00:00:00Z' }),
      listenerSet('old', { name: 'gw' }, [{ name: 'mine', hostname: 'old.test' }, { name: 'dup', hostname: 'shared.test' }, { name: 'clash', hostname: 'own.test' }], { creationTimestamp: '2026-01-01T00:00:00Z' }),
      listenerSet('plain', { name: 'gw' }, [{ name: 'tls-port', port: 8443, hostname: 'plain.test' }], { creationTimestamp: '2026-03-01T00:00:00Z' }),
      httpRoute('r', { parentRefs: [setRef('old'), setRef('young'), { name: 'gw' }], rules: [rule('/')] }),
    ]);
    const old = entry(result.gatewayStatus.entries, 'ListenerSet', 'old');
    assert.deepEqual(conditions(old), ['Accepted=True/Accepted', 'Programmed=True/Programmed']);
    assert.deepEqual(listenerConditions(old, 'dup'), ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts'], 'the older ListenerSet keeps the name');
    assert.deepEqual(listenerConditions(old, 'clash'), ['Accepted=False/HostnameConflict', 'Programmed=False/HostnameConflict', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=True/HostnameConflict']);
    const young = entry(result.gatewayStatus.entries, 'ListenerSet', 'young');
    assert.deepEqual(conditions(young), ['Accepted=False/ListenersNotValid', 'Programmed=False/ListenersNotValid']);
    assert.equal(listenerConditions(young, 'dup')[3], 'Conflicted=True/HostnameConflict');
    const plain = entry(result.gatewayStatus.entries, 'ListenerSet', 'plain');
    assert.equal(listenerConditions(plain, 'tls-port')[3], 'Conflicted=False/NoConflicts', 'the Gateway\'s HTTPS listener there binds nothing (no certificate)');
    assert.equal(entry(result.gatewayStatus.entries, 'Gateway', 'gw').attachedListenerSets, 2);
    assert.deepEqual(result.routes.map((r) => r.host).sort(), ['old.test', 'own.test', 'shared.test']);
  });

  it('need a ReferenceGrant from ListenerSet for a certificate in another namespace', () => {
    const pair = certs.create('secure.test');
    const objects = [
      gatewayClass(), web, tlsSecret('cert', pair.certPem, pair.keyPem, { namespace: 'certs' }),
      gateway('gw', [{ name: 'own', hostname: 'own.test' }], { allowedListeners: { from: 'All' } }),
      listenerSet('secure', { name: 'gw' }, [{ name: 'https', port: 443, protocol: 'HTTPS', hostname: 'secure.test', certificateRefs: [{ name: 'cert', namespace: 'certs' }] }]),
    ];
    const denied = run(objects);
    assert.equal(listenerConditions(entry(denied.gatewayStatus.entries, 'ListenerSet', 'secure'), 'https')[2], 'ResolvedRefs=False/RefNotPermitted');
    const byGatewayGrant = run([...objects, referenceGrant('g', 'certs', { kind: 'Gateway', namespace: 'default' }, { kind: 'Secret' })]);
    assert.equal(listenerConditions(entry(byGatewayGrant.gatewayStatus.entries, 'ListenerSet', 'secure'), 'https')[2], 'ResolvedRefs=False/RefNotPermitted', 'a grant to the Gateway is not inherited');
    const granted = run([...objects, referenceGrant('g', 'certs', { kind: 'ListenerSet', namespace: 'default' }, { kind: 'Secret' })]);
    assert.equal(listenerConditions(entry(granted.gatewayStatus.entries, 'ListenerSet', 'secure'), 'https')[2], 'ResolvedRefs=True/ResolvedRefs');
    assert.ok(granted.table.certificates.some((c) => c.hosts.includes('secure.test')));
  });

  it('of another controller\'s Gateway are left alone, and routes naming them get no status from us', () => {
    const result = run([
      gatewayClass(), gatewayClass('theirs', 'example.com/other'), web,
      gateway('foreign', [{ name: 'h' }], { className: 'theirs', allowedListeners: { from: 'All' } }),
      listenerSet('theirs', { name: 'foreign' }, [{ name: 'l', hostname: 'x.test' }]),
      httpRoute('r', { parentRefs: [setRef('theirs')], rules: [rule('/')] }),
    ]);
    assert.deepEqual(result.gatewayStatus.entries.filter((e) => e.kind !== 'GatewayClass'), []);
    assert.deepEqual(result.problems, []);
  });
});
