// Leader election on the Lease tideway-<class>, through the real client library against the API test
// server, with a 2 s lease (FAST_STATUS): one leader among replicas, takeover after a release or an
// expiry, and a leader that loses the API server stepping down before its lease runs out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiServer } from '../support/kube-api/index.ts';
import { startStatus, PublishConfigError, StatusTimingError, resolveStatusTiming } from '../../src/status/index.ts';
import { LeaderElector } from '../../src/status/leader-election.ts';
import { FAST_STATUS, captureLog, kubeConfig, lease, Relay, SETTINGS, startReplica, waitFor } from './helpers.ts';

const LEASE_MS = FAST_STATUS.leaseDurationMs!;
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

async function apiServer(t: import('node:test').TestContext, tokens?: string[]): Promise<KubeApiServer> {
  const server = new KubeApiServer(tokens ? { tokens } : {});
  await server.start();
  t.after(() => server.close());
  return server;
}

test('two replicas: exactly one leads, holding a Lease with MicroTime timestamps', async (t) => {
  const server = await apiServer(t);
  const [a, b] = await Promise.all([startReplica(t, server, 'pod-a'), startReplica(t, server, 'pod-b')]);
  await waitFor('a leader', () => a.handle.isLeader || b.handle.isLeader);
  // Over several renewals (300 ms each), never two leaders, never a change of leader.
  const leader = a.handle.isLeader ? a : b;
  const deadline = performance.now() + 1500;
  while (performance.now() < deadline) {
    assert.equal(Number(a.handle.isLeader) + Number(b.handle.isLeader), 1, 'exactly one leader');
    assert.ok(leader.handle.isLeader, 'the leader stays leader while it renews');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const spec = lease(server)!.spec;
  assert.equal(spec.holderIdentity, leader.identity);
  assert.equal(spec.leaseDurationSeconds, LEASE_MS / 1000);
  assert.match(spec.renewTime, MICRO_TIME);
  assert.match(spec.acquireTime, MICRO_TIME);
  assert.equal(spec.leaseTransitions, 0);
  assert.ok(server.count({ verb: 'update', resource: 'leases' }) >= 3, 'renewed several times');
  assert.deepEqual(leader.logs.messages('info').filter((m) => m.startsWith('leading')), [`leading: Lease tideway/tideway-tideway acquired by ${leader.identity}`]);
});

test('the leader shuts down: it releases the Lease and the other replica takes over at once', async (t) => {
  const server = await apiServer(t);
  const a = await startReplica(t, server, 'pod-a');
  await waitFor('pod-a leads', () => a.handle.isLeader);
  const b = await startReplica(t, server, 'pod-b');
  await waitFor('pod-b sees the lease held', () => server.count({ verb: 'get', resource: 'leases' }) >= 3);
  const closed = performance.now();
  await a.handle.close();
  assert.equal(a.handle.isLeader, false);
  await waitFor('pod-b leads', () => b.handle.isLeader, LEASE_MS);
  const took = performance.now() - closed;
  assert.ok(took < LEASE_MS, `takeover took ${Math.round(took)} ms, not waiting for the ${LEASE_MS} ms lease`);
  const spec = lease(server)!.spec;
  assert.equal(spec.holderIdentity, 'pod-b');
  assert.equal(spec.leaseTransitions, 1);
  assert.ok(a.logs.messages('info').includes('released Lease tideway/tideway-tideway'));
});

test('a lease held by a replica that vanished is taken over only once it expired', async (t) => {
  const server = await apiServer(t);
  server.create({
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'tideway-tideway', namespace: 'tideway' },
    spec: { holderIdentity: 'pod-gone', leaseDurationSeconds: LEASE_MS / 1000, renewTime: new Date().toISOString().replace('Z', '000Z'), leaseTransitions: 4 },
  });
  const started = performance.now();
  const a = await startReplica(t, server, 'pod-a');
  await waitFor('pod-a leads', () => a.handle.isLeader, 3 * LEASE_MS);
  const waited = performance.now() - started;
  // Expiry is judged from when pod-a first saw the Lease, on its own clock: at least the full lease.
  assert.ok(waited >= LEASE_MS - 50, `took over after ${Math.round(waited)} ms, before the lease expired`);
  assert.ok(waited < LEASE_MS + 1000, `took over after ${Math.round(waited)} ms`);
  assert.equal(lease(server)!.spec.leaseTransitions, 5);
});

test('a leader cut off from the API server stops leading before its lease expires; the other takes over after', async (t) => {
  const server = await apiServer(t, ['token-a', 'token-b']);
  const relay = new Relay(server.port);
  await relay.start();
  t.after(() => relay.close());
  const a = await startReplica(t, server, 'pod-a', { token: 'token-a', url: relay.url });
  await waitFor('pod-a leads', () => a.handle.isLeader);
  const b = await startReplica(t, server, 'pod-b', { token: 'token-b' });
  // Both serve the same Ingress; only a leader writes its status.
  server.create({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'shop' }, spec: {} });
  a.handle.onSnapshot(['shop/web'], []);
  b.handle.onSnapshot(['shop/web'], []);
  await waitFor('status written by pod-a', () => server.requestsMatching({ verb: 'patch', subresource: 'status' }).some((r) => r.token === 'token-a'));

  const cut = performance.now();
  relay.partition();
  await waitFor('pod-a steps down', () => !a.handle.isLeader, LEASE_MS);
  const steppedDown = performance.now() - cut;
  await waitFor('pod-b leads', () => b.handle.isLeader, 3 * LEASE_MS);
  const tookOver = performance.now() - cut;
  assert.ok(steppedDown < LEASE_MS, `pod-a stepped down ${Math.round(steppedDown)} ms after the cut`);
  assert.ok(steppedDown < tookOver, `pod-a stepped down (${Math.round(steppedDown)} ms) before pod-b took over (${Math.round(tookOver)} ms)`);
  assert.ok(a.logs.messages('warn').some((m) => m.startsWith('no longer leading (Lease tideway/tideway-tideway): the lease was not renewed')));

  // The connection comes back: pod-a sees pod-b's lease and stays a follower that writes nothing.
  relay.heal();
  const healed = server.requests.length;
  b.handle.onSnapshot([], []);
  a.handle.onSnapshot([], []);
  await waitFor('pod-a reads the lease again', () => server.requests.slice(healed).some((r) => r.token === 'token-a' && r.resource === 'leases'), LEASE_MS);
  await waitFor('pod-b clears the status', () => server.get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'shop', name: 'web' })?.status?.loadBalancer?.ingress === undefined);
  assert.equal(a.handle.isLeader, false);
  const writesByA = server.requests.slice(healed).filter((r) => r.token === 'token-a' && r.resource !== 'leases');
  assert.deepEqual(writesByA.map((r) => `${r.method} ${r.path}`), [], 'the former leader wrote nothing');
});

test('a leader whose API server is gone stops leading within the lease duration, and leads again when it is back', async (t) => {
  const server = await apiServer(t);
  const a = await startReplica(t, server, 'pod-a');
  await waitFor('pod-a leads', () => a.handle.isLeader);
  const stopped = performance.now();
  await server.stop();
  await waitFor('pod-a steps down', () => !a.handle.isLeader, LEASE_MS);
  assert.ok(performance.now() - stopped < LEASE_MS);
  assert.equal(a.logs.messages('warn').filter((m) => m.startsWith('Lease tideway/tideway-tideway: cannot')).length, 1, 'the outage is logged once');
  await server.start();
  await waitFor('pod-a leads again', () => a.handle.isLeader, 2 * LEASE_MS);
  assert.ok(a.logs.messages('info').includes('Lease tideway/tideway-tideway: working again'));
});

test('missing RBAC for Leases: a clear warning, once, and no leader', async (t) => {
  const server = await apiServer(t);
  server.forbid('leases');
  const a = await startReplica(t, server, 'pod-a');
  await waitFor('several attempts', () => server.count({ resource: 'leases' }) >= 3);
  assert.equal(a.handle.isLeader, false);
  const warnings = a.logs.messages('warn');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /^Lease tideway\/tideway-tideway: cannot read it: HTTP 403 Forbidden: leases.coordination.k8s.io is forbidden/);
});

test('the Lease lives in --leader-election-namespace and is named after --ingress-class', async (t) => {
  const server = await apiServer(t);
  const a = await startReplica(t, server, 'pod-a', { settings: { ingressClass: 'internal', leaderElectionNamespace: 'edge' } });
  await waitFor('pod-a leads', () => a.handle.isLeader);
  assert.equal(lease(server, 'tideway-internal', 'edge')!.spec.holderIdentity, 'pod-a');
  assert.equal(lease(server), undefined);
});

test('bad settings and timings are refused before anything starts, naming what is wrong', async (t) => {
  const server = await apiServer(t);
  const start = (settings: Partial<typeof SETTINGS>, timing = FAST_STATUS) =>
    startStatus({ kubeConfig: kubeConfig(server), settings: { ...SETTINGS, ...settings }, log: captureLog().log, identity: 'x', timing });
  await assert.rejects(start({ ingressClass: 'Not_Valid' }), (e: unknown) => e instanceof PublishConfigError && /--ingress-class: "Not_Valid" does not make a valid Lease name/.test(e.message));
  await assert.rejects(start({ publishAddress: 'not an address!' }), (e: unknown) => e instanceof PublishConfigError && e.message === '--publish-address: "not an address!" is neither an IP address nor a DNS hostname');
  await assert.rejects(start({ publishAddress: ' , ' }), /--publish-address: is empty/);
  await assert.rejects(start({}, { ...FAST_STATUS, leaseDurationMs: 1500 }), (e: unknown) => e instanceof StatusTimingError && /whole seconds/.test(e.message));
  assert.throws(() => resolveStatusTiming({ renewDeadlineMs: 20_000 }), /renewDeadlineMs \(20000\) must be below leaseDurationMs \(15000\)/);
  assert.throws(() => resolveStatusTiming({ callTimeoutMs: 11_000 }), /callTimeoutMs \(11000\) must not exceed renewDeadlineMs/);
  assert.throws(() => resolveStatusTiming({ statusQps: 0 }), /statusQps must be a positive number/);
  assert.equal(server.count({ resource: 'leases' }), 0, 'no election started');
});

test('a failing leadership callback is logged and the election goes on', async (t) => {
  const server = await apiServer(t);
  const k8s = await import('@kubernetes/client-node');
  const logs = captureLog();
  const elector = new LeaderElector({
    k8s, api: kubeConfig(server).makeApiClient(k8s.CoordinationV1Api), namespace: 'tideway', name: 'tideway-tideway', identity: 'pod-a',
    timing: resolveStatusTiming(FAST_STATUS), log: logs.log,
    onStartedLeading: () => { throw new Error('boom'); },
    onStoppedLeading: () => {},
  });
  elector.start();
  t.after(() => elector.close());
  await waitFor('pod-a leads', () => elector.isLeader);
  await waitFor('renewed after the failure', () => server.count({ verb: 'update', resource: 'leases' }) >= 2);
  assert.ok(elector.isLeader);
  assert.match(logs.messages('error').join('\n'), /leadership callback failed: Error: boom/);
});
