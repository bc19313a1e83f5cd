// Ingress status.loadBalancer.ingress through the API test server: written by the leader only, for the
// Ingresses it serves, from --publish-address or the --publish-service Service; cleared when an
// Ingress is no longer served, but only where the status is still Tideway's.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiServer, type JsonObject } from '../support/kube-api/index.ts';
import { parsePublishAddress } from '../../src/status/index.ts';
import { ingress, ingressStatus, NS, startReplica, waitFor } from './helpers.ts';

const OURS = [{ ip: '192.0.2.10' }];
const OTHERS = [{ ip: '203.0.113.5' }];

async function apiServer(t: TestContext, seed: JsonObject[] = [], tokens?: string[]): Promise<KubeApiServer> {
  const server = new KubeApiServer(tokens ? { tokens } : {});
  await server.start();
  t.after(() => server.close());
  for (const obj of seed) server.create(obj);
  return server;
}

function statusPatches(server: KubeApiServer, name?: string) {
  return server.requestsMatching({ verb: 'patch', resource: 'ingresses', subresource: 'status', ...(name ? { name } : {}) });
}

function withStatus(obj: JsonObject, addresses: object[]): JsonObject {
  return { ...obj, status: { loadBalancer: { ingress: addresses } } };
}

test('only the leader writes status, once per served Ingress, with a merge patch on /status', async (t) => {
  const server = await apiServer(t, [ingress('a'), ingress('b'), ingress('unserved')], ['token-a', 'token-b']);
  const a = await startReplica(t, server, 'pod-a', { token: 'token-a' });
  const b = await startReplica(t, server, 'pod-b', { token: 'token-b' });
  for (const replica of [a, b]) replica.handle.onSnapshot([`${NS}/a`, `${NS}/b`], []);
  await waitFor('statuses written', () => ingressStatus(server, 'a') !== undefined && ingressStatus(server, 'b') !== undefined);
  assert.deepEqual(ingressStatus(server, 'a'), OURS);
  assert.deepEqual(ingressStatus(server, 'b'), OURS);
  assert.equal(ingressStatus(server, 'unserved'), undefined);
  // The same snapshot again, and a renewal or two later: nothing more to write.
  for (const replica of [a, b]) replica.handle.onSnapshot([`${NS}/b`, `${NS}/a`], []);
  await new Promise((resolve) => setTimeout(resolve, 400));
  const patches = statusPatches(server);
  assert.equal(patches.length, 2);
  const leaderToken = a.handle.isLeader ? 'token-a' : 'token-b';
  assert.deepEqual(new Set(patches.map((r) => r.token)), new Set([leaderToken]), 'only the leader wrote');
  assert.deepEqual(new Set(patches.map((r) => r.contentType)), new Set(['application/merge-patch+json']));
});

test('status is cleared from an Ingress no longer served, only where it is still ours', async (t) => {
  const server = await apiServer(t, [ingress('a'), ingress('b'), withStatus(ingress('theirs'), OTHERS)]);
  const a = await startReplica(t, server, 'pod-a');
  await waitFor('pod-a leads', () => a.handle.isLeader);
  a.handle.onSnapshot([`${NS}/a`, `${NS}/b`], []);
  await waitFor('statuses written', () => ingressStatus(server, 'a') !== undefined && ingressStatus(server, 'b') !== undefined);

  a.handle.onSnapshot([`${NS}/a`], []);
  await waitFor('b cleared', () => ingressStatus(server, 'b') === undefined);
  assert.deepEqual(ingressStatus(server, 'a'), OURS);
  assert.deepEqual(ingressStatus(server, 'theirs'), OTHERS, 'never ours: untouched');

  // Another controller takes Ingress a over and writes its own status; then Tideway stops serving it.
  server.update(withStatus(server.get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: NS, name: 'a' })!, OTHERS));
  a.handle.onSnapshot([], []);
  await waitFor('the compare-and-clear of a answered', () => statusPatches(server, 'a').length === 2 && statusPatches(server, 'a')[1]!.code !== undefined);
  assert.equal(statusPatches(server, 'a')[1]!.code, 422, 'the JSON patch test failed on the server');
  assert.deepEqual(ingressStatus(server, 'a'), OTHERS, "the other controller's status stays");
  assert.equal(statusPatches(server, 'theirs').length, 0);
});

test('a new leader clears what its predecessor wrote on Ingresses that are no longer served', async (t) => {
  const server = await apiServer(t, [ingress('a'), ingress('b')]);
  const a = await startReplica(t, server, 'pod-a');
  await waitFor('pod-a leads', () => a.handle.isLeader);
  a.handle.onSnapshot([`${NS}/a`, `${NS}/b`], []);
  await waitFor('statuses written', () => ingressStatus(server, 'b') !== undefined);
  const b = await startReplica(t, server, 'pod-b');
  b.handle.onSnapshot([`${NS}/a`], []); // pod-b's newer snapshot no longer serves b
  await a.handle.close();
  await waitFor('pod-b leads', () => b.handle.isLeader);
  await waitFor('b cleared by pod-b', () => ingressStatus(server, 'b') === undefined);
  assert.deepEqual(ingressStatus(server, 'a'), OURS);
  assert.equal(statusPatches(server, 'a').length, 1, 'pod-b found a right already (listed at takeover): no write');
  assert.equal(server.count({ verb: 'list', resource: 'ingresses' }), 2, 'each leader listed once at takeover');
});

test('--publish-service: status follows the Service load balancer address', async (t) => {
  const service = (lb: object[]): JsonObject => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'tideway', namespace: 'tideway' },
    spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80 }] }, status: { loadBalancer: { ingress: lb } },
  });
  const server = await apiServer(t, [ingress('a'), service([{ ip: '198.51.100.1' }])]);
  const a = await startReplica(t, server, 'pod-a', { settings: { publishAddress: undefined, publishService: 'tideway/tideway' } });
  a.handle.onSnapshot([`${NS}/a`], []);
  await waitFor('the Service address written', () => JSON.stringify(ingressStatus(server, 'a')) === JSON.stringify([{ ip: '198.51.100.1' }]));
  server.update(service([{ hostname: 'lb.example.com' }]));
  await waitFor('the new address written', () => JSON.stringify(ingressStatus(server, 'a')) === JSON.stringify([{ hostname: 'lb.example.com' }]));
  assert.ok(a.logs.messages('info').includes('publishing lb.example.com in Ingress status (from Service tideway/tideway)'));
  // The load balancer goes away: no address, so Tideway's status is removed.
  server.update(service([]));
  await waitFor('status cleared', () => ingressStatus(server, 'a') === undefined);
  assert.ok(a.logs.messages('warn').some((m) => m.includes('the Service has no load balancer address or externalIPs yet')));
});

test('--publish-service that does not exist: logged once, nothing written, no crash', async (t) => {
  const server = await apiServer(t, [ingress('a')]);
  const a = await startReplica(t, server, 'pod-a', { settings: { publishAddress: undefined, publishService: 'tideway/missing' } });
  a.handle.onSnapshot([`${NS}/a`], []);
  await waitFor('several reads', () => server.count({ verb: 'get', resource: 'services' }) >= 3);
  assert.equal(ingressStatus(server, 'a'), undefined);
  assert.equal(statusPatches(server).length, 0);
  const warnings = a.logs.messages('warn');
  assert.deepEqual(warnings, ['--publish-service tideway/missing: cannot read the Service: HTTP 404 NotFound: services "missing" not found']);
});

test('failed writes are retried with backoff; a deleted Ingress is no error', async (t) => {
  const server = await apiServer(t, [ingress('a')]);
  server.failNext(3, 500, { verb: 'patch', resource: 'ingresses' });
  const a = await startReplica(t, server, 'pod-a');
  a.handle.onSnapshot([`${NS}/a`, `${NS}/gone`], []);
  await waitFor('status written after the failures', () => ingressStatus(server, 'a') !== undefined);
  assert.ok(statusPatches(server, 'a').length >= 2);
  await waitFor('gone tried', () => statusPatches(server, 'gone').some((r) => r.code === 404));
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(statusPatches(server, 'gone').filter((r) => r.code === 404).length, 1, 'a 404 is not retried');
  assert.equal(a.logs.messages('warn').filter((m) => m.startsWith('writing Ingress status')).length, 1, 'logged once');
});

test('--watch-namespace: the takeover list reads only those namespaces', async (t) => {
  const server = await apiServer(t, [ingress('a'), ingress('x', 'other')]);
  const a = await startReplica(t, server, 'pod-a', { settings: { watchNamespaces: [NS] } });
  a.handle.onSnapshot([`${NS}/a`], []);
  await waitFor('status written', () => ingressStatus(server, 'a') !== undefined);
  const lists = server.requestsMatching({ verb: 'list', resource: 'ingresses' });
  assert.deepEqual(lists.map((r) => r.namespace), [NS]);
});

test('--publish-address: IPs and hostnames, comma-separated', () => {
  assert.deepEqual(parsePublishAddress('192.0.2.1, 2001:db8::1,LB.Example.com'), [{ ip: '192.0.2.1' }, { ip: '2001:db8::1' }, { hostname: 'lb.example.com' }]);
  for (const bad of ['http://lb.example.com', 'lb_1.example.com', '-lb.example.com', '', 'a'.repeat(64) + '.com']) {
    assert.throws(() => parsePublishAddress(bad), /^PublishConfigError: --publish-address: /, bad);
  }
});
