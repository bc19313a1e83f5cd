// Diagnostics as Warning Events (core/v1), through the API test server: one Event per distinct
// diagnostic, repeats within and across snapshots not counted, a recurrence counted (count++), the
// leader alone writing, a new leader adopting what exists, and a rate limit.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiServer, type JsonObject } from '../support/kube-api/index.ts';
import { eventIntent, startStatus } from '../../src/status/index.ts';
import type { Diagnostic } from '../../src/kube/diagnostic.ts';
import { captureLog, events, kubeConfig, NS, SETTINGS, startReplica, waitFor, FAST_STATUS } from './helpers.ts';

const MISSING_SERVICE: Diagnostic = {
  severity: 'error', kind: 'Ingress', object: `${NS}/web`, field: 'spec.rules[0].http.paths[0].backend.service.name',
  message: 'Service shop/nope not found', reason: 'ServiceNotFound',
};

async function apiServer(t: TestContext, tokens?: string[]): Promise<KubeApiServer> {
  const server = new KubeApiServer(tokens ? { tokens } : {});
  await server.start();
  t.after(() => server.close());
  return server;
}

function eventWrites(server: KubeApiServer) {
  return server.requestsMatching({ resource: 'events' }).filter((r) => r.verb === 'create' || r.verb === 'patch');
}

/** Waits until the Event writers went quiet: no request for `quietMs`. */
async function settled(server: KubeApiServer, quietMs = 300): Promise<void> {
  let seen = -1;
  await waitFor('event writes to settle', () => {
    const n = server.requests.length;
    const quiet = n === seen;
    seen = n;
    return quiet;
  });
  await new Promise((resolve) => setTimeout(resolve, quietMs));
}

test('a diagnostic becomes one Warning Event on its object, however often snapshots repeat it', async (t) => {
  const server = await apiServer(t);
  const a = await startReplica(t, server, 'pod-a');
  await waitFor('pod-a leads', () => a.handle.isLeader);
  a.handle.onSnapshot([], [MISSING_SERVICE, { ...MISSING_SERVICE }]);
  await waitFor('an Event', () => events(server, NS).length === 1);
  a.handle.onSnapshot([], [MISSING_SERVICE]);
  a.handle.onSnapshot([], [MISSING_SERVICE]);
  await settled(server);
  const [event] = events(server, NS) as [JsonObject];
  assert.equal(events(server, NS).length, 1);
  assert.equal(eventWrites(server).length, 1, 'one create, no patches');
  assert.equal(event.type, 'Warning');
  assert.equal(event.reason, 'ServiceNotFound');
  assert.equal(event.message, 'spec.rules[0].http.paths[0].backend.service.name: Service shop/nope not found');
  assert.deepEqual(event.involvedObject, {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: NS, name: 'web', fieldPath: 'spec.rules[0].http.paths[0].backend.service.name',
  });
  assert.equal(event.count, 1);
  assert.equal(event.reportingComponent, 'tideway.dev/ingress-controller');
  assert.equal(event.reportingInstance, 'pod-a');
  assert.deepEqual(event.source, { component: 'tideway.dev/ingress-controller' });
  assert.equal(event.metadata.name, eventIntent(MISSING_SERVICE)!.name);
  assert.match(event.metadata.name, /^web\.[0-9a-f]{16}$/);

  // Fixed, then broken again: a recurrence, counted on the same Event.
  a.handle.onSnapshot([], []);
  a.handle.onSnapshot([], [MISSING_SERVICE]);
  await waitFor('count 2', () => events(server, NS)[0]?.count === 2);
  assert.equal(events(server, NS).length, 1);
  const patch = server.requestsMatching({ verb: 'patch', resource: 'events' })[0]!;
  assert.equal(patch.contentType, 'application/merge-patch+json');
  assert.ok(Date.parse(events(server, NS)[0]!.lastTimestamp) >= Date.parse(event.lastTimestamp));
  assert.equal(events(server, NS)[0]!.firstTimestamp, event.firstTimestamp);
});

test('only the leader writes Events; the next leader adopts them without counting them again', async (t) => {
  const server = await apiServer(t, ['token-a', 'token-b']);
  const a = await startReplica(t, server, 'pod-a', { token: 'token-a' });
  await waitFor('pod-a leads', () => a.handle.isLeader);
  const b = await startReplica(t, server, 'pod-b', { token: 'token-b' });
  for (const replica of [a, b]) replica.handle.onSnapshot([], [MISSING_SERVICE]);
  await waitFor('an Event', () => events(server, NS).length === 1);
  await settled(server);
  assert.deepEqual(eventWrites(server).map((r) => r.token), ['token-a']);

  await a.handle.close();
  await waitFor('pod-b leads', () => b.handle.isLeader);
  await waitFor('pod-b read the existing Event', () => server.requestsMatching({ verb: 'get', resource: 'events' }).length === 1);
  await settled(server);
  assert.equal(events(server, NS).length, 1);
  assert.equal(events(server, NS)[0]!.count, 1, 'adopted, not counted again');
  const byB = server.requestsMatching({ resource: 'events' }).filter((r) => r.token === 'token-b').map((r) => `${r.verb} ${r.code}`);
  assert.deepEqual(byB, ['create 409', 'get 200']);

  // A recurrence under pod-b is counted on the adopted Event.
  b.handle.onSnapshot([], []);
  b.handle.onSnapshot([], [MISSING_SERVICE]);
  await waitFor('count 2', () => events(server, NS)[0]?.count === 2);
});

test('Events about cluster-scoped objects go to namespace default; file diagnostics make none', async (t) => {
  const server = await apiServer(t);
  const a = await startReplica(t, server, 'pod-a');
  await waitFor('pod-a leads', () => a.handle.isLeader);
  a.handle.onSnapshot([], [
    { severity: 'warning', kind: 'IngressClass', object: 'tideway', field: 'spec.parameters', message: 'parameters are not supported', reason: 'UnsupportedParameters' },
    { severity: 'error', kind: 'File', object: '/etc/tideway/bad.yaml', field: '', message: 'cannot read', reason: 'FileUnreadable' },
    { severity: 'error', kind: 'Ingress', object: 'no-namespace', field: '', message: 'odd', reason: 'Odd' },
  ]);
  await waitFor('an Event', () => events(server).length === 1);
  await settled(server);
  const [event] = events(server) as [JsonObject];
  assert.equal(events(server).length, 1);
  assert.equal(event.metadata.namespace, 'default');
  assert.deepEqual(event.involvedObject, { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', name: 'tideway', fieldPath: 'spec.parameters' });
  assert.equal(event.message, 'spec.parameters: parameters are not supported');
});

test('an Event removed by the server (TTL) is created anew on the next occurrence; objectUid fills involvedObject.uid', async (t) => {
  const server = await apiServer(t);
  const logs = captureLog();
  const handle = await startStatus({
    kubeConfig: kubeConfig(server), settings: SETTINGS, log: logs.log, identity: 'pod-a', timing: FAST_STATUS,
    objectUid: (kind, namespace, name) => (kind === 'Ingress' && namespace === NS && name === 'web' ? 'uid-of-web' : undefined),
  });
  t.after(() => handle.close());
  await waitFor('pod-a leads', () => handle.isLeader);
  handle.onSnapshot([], [MISSING_SERVICE]);
  await waitFor('an Event', () => events(server, NS).length === 1);
  assert.equal(events(server, NS)[0]!.involvedObject.uid, 'uid-of-web');
  server.delete(events(server, NS)[0]!);
  handle.onSnapshot([], []);
  handle.onSnapshot([], [MISSING_SERVICE]);
  await waitFor('created again', () => events(server, NS).length === 1);
  assert.equal(events(server, NS)[0]!.count, 1);
  assert.deepEqual(server.requestsMatching({ resource: 'events' }).map((r) => `${r.verb} ${r.code}`), ['create 201', 'patch 404', 'create 201']);
});

test('a diagnostic that persists has its Event counted again every eventRefreshMs, so it does not expire', async (t) => {
  const server = await apiServer(t);
  const a = await startReplica(t, server, 'pod-a', { timing: { eventRefreshMs: 300 } });
  await waitFor('pod-a leads', () => a.handle.isLeader);
  a.handle.onSnapshot([], [MISSING_SERVICE]);
  await waitFor('refreshed twice', () => (events(server, NS)[0]?.count ?? 0) >= 3, 3000);
  a.handle.onSnapshot([], []);
  await settled(server, 700);
  const count = events(server, NS)[0]!.count;
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.equal(events(server, NS)[0]!.count, count, 'gone: no more refreshes');
});

test('Event writes are rate-limited (token bucket) and failures retried without a log line per Event', async (t) => {
  const server = await apiServer(t);
  server.failNext(2, 500, { verb: 'create', resource: 'events' });
  const a = await startReplica(t, server, 'pod-a', { timing: { eventQps: 10, eventBurst: 1 } });
  await waitFor('pod-a leads', () => a.handle.isLeader);
  const diagnostics = [1, 2, 3, 4, 5].map((i) => ({ ...MISSING_SERVICE, object: `${NS}/web-${i}` }));
  const started = performance.now();
  a.handle.onSnapshot([], diagnostics);
  await waitFor('five Events', () => events(server, NS).length === 5, 5000);
  const took = performance.now() - started;
  // 7 calls (2 failed) with 1 token at once and 10 per second: at least 600 ms.
  assert.ok(took >= 550, `7 writes took ${Math.round(took)} ms`);
  assert.equal(a.logs.messages('warn').filter((m) => m.startsWith('writing Events')).length, 1);
  assert.ok(a.logs.messages('info').includes('writing Events: working again'));
});

test('eventIntent: long names and messages fit the API limits; kinds without an API object are skipped', () => {
  const long = eventIntent({ ...MISSING_SERVICE, object: `${NS}/${'n'.repeat(253)}`, message: 'm'.repeat(5000), reason: 'R'.repeat(300) })!;
  assert.ok(long.name.length <= 253);
  assert.match(long.name, /^n+\.[0-9a-f]{16}$/);
  assert.ok(long.message.length <= 1024 && long.message.endsWith('...'));
  assert.equal(long.reason.length, 128);
  assert.equal(eventIntent({ ...MISSING_SERVICE, kind: 'File' }), undefined);
  assert.equal(eventIntent({ ...MISSING_SERVICE, object: 'shop/' }), undefined);
  assert.notEqual(eventIntent(MISSING_SERVICE)!.name, eventIntent({ ...MISSING_SERVICE, message: 'other' })!.name, 'distinct diagnostics, distinct Events');
  assert.equal(eventIntent({ ...MISSING_SERVICE, reason: '' })!.reason, 'InvalidConfiguration');
});
