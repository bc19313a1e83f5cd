// The Kubernetes source against the API test server, through the real client library's kubeconfig and
// authentication: sync, changes, interruptions of every kind, and what it tells the user.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startKubernetesSource, type KubernetesSource, type WatchTiming } from '../../../src/sources/kubernetes/index.ts';
import { WATCHED_RESOURCES } from '../../../src/sources/kubernetes/resources.ts';
import { ObjectStore } from '../../../src/store/index.ts';
import type { AnyKubeObject } from '../../../src/kube/types.ts';
import { KubeApiServer, type JsonObject, type KubeApiServerOptions } from '../../support/kube-api/index.ts';
import { selfSignedCertificate } from '../../support/kube-api/tls.ts';
import { captureLog, FAST_TIMING, kubeConfigFor, make, RecordingSink, waitFor } from './helpers.ts';

/** One list/watch loop per resource (all namespaces). */
const WATCHED = WATCHED_RESOURCES.length;

/** How long the API server stays away in the outage test: short, but longer than several backoffs. */
const OUTAGE_MS = Number(process.env.TIDEWAY_TEST_OUTAGE_MS ?? 1500);

interface Setup {
  server: KubeApiServer;
  sink: RecordingSink;
  source: KubernetesSource;
  logs: ReturnType<typeof captureLog>;
  syncChanges: boolean[];
}

async function setup(t: TestContext, options: {
  server?: KubeApiServerOptions; seed?: (s: KubeApiServer) => void; namespaces?: string[]; token?: string; timing?: Partial<WatchTiming>;
  secretReferences?: (object: AnyKubeObject) => readonly string[];
  configMapReferences?: (object: AnyKubeObject) => readonly string[];
  configMaps?: string[];
} = {}): Promise<Setup> {
  const server = new KubeApiServer({ bookmarkIntervalMs: 150, ...options.server });
  await server.start();
  t.after(() => server.close());
  options.seed?.(server);
  const sink = new RecordingSink();
  const logs = captureLog();
  const syncChanges: boolean[] = [];
  const source = await startKubernetesSource({
    kubeConfig: kubeConfigFor(server, options.token), namespaces: options.namespaces ?? [], sink, log: logs.log,
    onSyncChange: (synced) => syncChanges.push(synced), timing: { ...FAST_TIMING, ...options.timing },
    ...(options.secretReferences ? { secretReferences: options.secretReferences } : {}),
    ...(options.configMapReferences ? { configMapReferences: options.configMapReferences } : {}),
    ...(options.configMaps ? { configMaps: options.configMaps } : {}),
  });
  t.after(() => source.close());
  return { server, sink, source, logs, syncChanges };
}

function seedAllKinds(s: KubeApiServer): void {
  s.create(make.ingressClass('tideway'));
  for (const ns of ['shop', 'blog']) {
    s.create(make.ingress(ns, 'web'));
    s.create(make.service(ns, 'web'));
    s.create(make.endpointSlice(ns, 'web-abc', 'web'));
    s.create(make.secret(ns, 'web-tls'));
    s.create(make.middleware(ns, 'strip'));
  }
  s.create(make.endpointSlice('shop', 'orphan', undefined)); // no service-name label: useless, not read
  s.create(make.secret('shop', 'htpasswd', 'Opaque')); // not a certificate: not read
  s.create(make.secret('shop', 'token', 'kubernetes.io/service-account-token'));
}

const ALL_SEEDED = [
  'EndpointSlice/blog/web-abc', 'EndpointSlice/shop/web-abc', 'Ingress/blog/web', 'Ingress/shop/web', 'IngressClass/tideway',
  'Middleware/blog/strip', 'Middleware/shop/strip', 'Secret/blog/web-tls', 'Secret/shop/web-tls', 'Service/blog/web', 'Service/shop/web',
];

test('first full sync delivers every kind, normalized, and only TLS Secrets and labelled EndpointSlices', async (t) => {
  const { server, sink, source, syncChanges } = await setup(t, { seed: seedAllKinds });
  assert.equal(source.synced, false);
  await source.whenSynced();
  assert.equal(source.synced, true);
  assert.deepEqual(syncChanges, [true]);
  assert.deepEqual(sink.keys(), ALL_SEEDED);
  const ing = sink.get('Ingress/shop/web')!;
  assert.equal(ing.kind, 'Ingress', 'list items get their kind back');
  assert.equal(ing.apiVersion, 'networking.k8s.io/v1');
  assert.equal(typeof ing.metadata.creationTimestamp, 'string', 'timestamps stay strings');
  assert.deepEqual(sink.diagnostics, []);
  // Lists are paginated (page size 2 here) and filtered on the server.
  assert.ok(server.count({ verb: 'list', resource: 'ingresses' }) >= 1);
  const secretList = server.requestsMatching({ verb: 'list', resource: 'secrets' })[0]!;
  assert.equal(secretList.query.get('fieldSelector'), 'type=kubernetes.io/tls');
  assert.equal(secretList.query.get('limit'), '2');
  await waitFor('the Ingress watch', () => server.count({ verb: 'watch', resource: 'ingresses' }) > 0);
  const watch = server.requestsMatching({ verb: 'watch', resource: 'ingresses' })[0]!;
  assert.equal(watch.query.get('allowWatchBookmarks'), 'true');
  assert.ok(Number(watch.query.get('timeoutSeconds')) > 0);
});

test('the real ObjectStore is a sink: it receives the synced objects', async (t) => {
  const server = new KubeApiServer();
  await server.start();
  t.after(() => server.close());
  seedAllKinds(server);
  const store = new ObjectStore();
  const source = await startKubernetesSource({ kubeConfig: kubeConfigFor(server), namespaces: [], sink: store, log: () => {}, timing: FAST_TIMING });
  t.after(() => source.close());
  await source.whenSynced();
  const state = store.state();
  assert.equal(state.ingresses.length, 2);
  assert.equal(state.secrets.length, 2);
  assert.equal(state.middlewares.length, 2);
});

test('creates, updates and deletes of every kind reach the sink', async (t) => {
  const { server, sink, source } = await setup(t);
  await source.whenSynced();
  const objects = [
    make.ingress('shop', 'new'), make.ingressClass('other'), make.service('shop', 'new'),
    make.endpointSlice('shop', 'new-1', 'new'), make.secret('shop', 'new-tls'), make.middleware('shop', 'new'),
  ];
  const keys = ['Ingress/shop/new', 'IngressClass/other', 'Service/shop/new', 'EndpointSlice/shop/new-1', 'Secret/shop/new-tls', 'Middleware/shop/new'];
  for (const obj of objects) server.create(obj);
  await waitFor('creations', () => keys.every((k) => sink.get(k)));

  server.update({ ...make.ingress('shop', 'new', 'changed.example.com') });
  server.update({ ...make.service('shop', 'new', 8080) });
  server.update({ ...make.endpointSlice('shop', 'new-1', 'new', '10.0.0.9') });
  server.update({ ...make.secret('shop', 'new-tls', 'kubernetes.io/tls', 'bmV3') });
  server.update({ ...make.middleware('shop', 'new'), spec: { stripPrefix: { prefixes: ['/v2'] } } });
  server.update({ ...make.ingressClass('other'), spec: { controller: 'example.com/other' } });
  await waitFor('updates', () =>
    (sink.get('Ingress/shop/new') as any).spec.rules[0].host === 'changed.example.com' &&
    (sink.get('Service/shop/new') as any).spec.ports[0].port === 8080 &&
    (sink.get('EndpointSlice/shop/new-1') as any).endpoints[0].addresses[0] === '10.0.0.9' &&
    (sink.get('Secret/shop/new-tls') as any).data['tls.crt'] === 'bmV3' &&
    (sink.get('Middleware/shop/new') as any).spec.stripPrefix.prefixes[0] === '/v2' &&
    (sink.get('IngressClass/other') as any).spec.controller === 'example.com/other');

  for (const obj of objects) server.delete(obj);
  await waitFor('deletions', () => keys.every((k) => !sink.get(k)));
  assert.deepEqual(sink.keys(), []);
});

test('a Secret that stops being type kubernetes.io/tls leaves the sink (the field selector turns it into DELETED)', async (t) => {
  const { server, sink, source } = await setup(t, { seed: (s) => s.create(make.secret('shop', 'cert')) });
  await source.whenSynced();
  assert.ok(sink.get('Secret/shop/cert'));
  // Type is immutable on a real cluster; delete and recreate as Opaque is what really happens.
  server.delete(make.secret('shop', 'cert'));
  server.create(make.secret('shop', 'cert', 'Opaque'));
  await waitFor('the Secret to go', () => !sink.get('Secret/shop/cert'));
});

test('--watch-namespace limits namespaced kinds; IngressClasses are cluster-wide', async (t) => {
  const { server, sink, source } = await setup(t, { seed: seedAllKinds, namespaces: ['shop'] });
  await source.whenSynced();
  assert.deepEqual(sink.keys(), ALL_SEEDED.filter((k) => !k.includes('/blog/')));
  assert.ok(server.requestsMatching({ verb: 'watch', resource: 'ingresses' }).every((r) => r.namespace === 'shop'));
  server.create(make.ingress('blog', 'late'));
  server.create(make.ingress('shop', 'late'));
  await waitFor('the shop Ingress', () => Boolean(sink.get('Ingress/shop/late')));
  assert.equal(sink.get('Ingress/blog/late'), undefined);
});

test('a watch cut in the middle of a JSON line resumes without loss, duplicates or a relist', async (t) => {
  const { server, sink, source } = await setup(t, { seed: seedAllKinds });
  await source.whenSynced();
  await waitFor('all watches open', () => server.openWatches() === WATCHED);
  const lists = server.count({ verb: 'list' });
  const upsertsBefore = new Map(sink.upserts);

  server.cutWatches({ midLine: true });
  server.create(make.ingress('shop', 'during-cut')); // its ADDED line is the one cut in half
  await waitFor('the cut', () => server.openWatches('ingresses') === 0 || Boolean(sink.get('Ingress/shop/during-cut')));
  server.create(make.service('shop', 'after-cut'));
  await waitFor('both objects', () => Boolean(sink.get('Ingress/shop/during-cut') && sink.get('Service/shop/after-cut')));
  await waitFor('watches reopened', () => server.openWatches() === WATCHED);

  assert.equal(sink.upserts.get('Ingress/shop/during-cut'), 1, 'the half line was not applied, the whole event once');
  assert.equal(sink.upserts.get('Service/shop/after-cut'), 1);
  for (const [key, count] of upsertsBefore) assert.equal(sink.upserts.get(key), count, `${key} not delivered again`);
  assert.equal(server.count({ verb: 'list' }), lists, 'resumed from the resourceVersion, no relist');
  const resumed = server.requestsMatching({ verb: 'watch', resource: 'ingresses' }).at(-1)!;
  assert.ok(Number(resumed.query.get('resourceVersion')) > 0);
});

test('410 Expired on resume: relist, and remove what was deleted meanwhile, without touching the unchanged', async (t) => {
  const { server, sink, source, logs } = await setup(t, { seed: seedAllKinds });
  await source.whenSynced();
  await waitFor('all watches open', () => server.openWatches() === WATCHED);
  const upsertsBefore = new Map(sink.upserts);
  const lists = server.count({ verb: 'list', resource: 'ingresses' });

  // All in one tick: no watch is open to see the deletion, and the history that held it is gone.
  server.cutWatches();
  server.delete(make.ingress('shop', 'web'));
  server.update(make.service('blog', 'web', 9090));
  server.create(make.ingress('blog', 'fresh'));
  server.compact();

  await waitFor('the relist diff', () =>
    !sink.get('Ingress/shop/web') && Boolean(sink.get('Ingress/blog/fresh')) && (sink.get('Service/blog/web') as any).spec.ports[0].port === 9090);
  assert.ok(server.count({ verb: 'list', resource: 'ingresses' }) > lists, 'relisted');
  assert.ok(server.requestsMatching({ verb: 'watch', resource: 'ingresses' }).some((r) => r.code === 200), 'the 410 came inside a 200 stream');
  assert.equal(sink.upserts.get('Ingress/blog/web'), upsertsBefore.get('Ingress/blog/web'), 'unchanged objects not re-delivered');
  assert.equal(sink.upserts.get('Secret/shop/web-tls'), upsertsBefore.get('Secret/shop/web-tls'));
  assert.deepEqual(logs.at('error'), []);
});

test('API server gone for a while and back: the last state stays, synced stays true, changes made meanwhile arrive', async (t) => {
  const { server, sink, source, logs, syncChanges } = await setup(t, { seed: seedAllKinds });
  await source.whenSynced();
  await waitFor('all watches open', () => server.openWatches() === WATCHED);

  await server.stop();
  server.delete(make.ingress('shop', 'web'));
  server.create(make.ingress('shop', 'during-outage'));
  const outageEnds = Date.now() + OUTAGE_MS;
  const refused = () => logs.at('warn').filter((m) => /ECONNREFUSED.*retrying, serving the last known state/.test(m)).length;
  await waitFor('reconnect attempts to be refused', () => refused() === WATCHED);
  await new Promise((r) => setTimeout(r, Math.max(0, outageEnds - Date.now())));
  assert.deepEqual(sink.keys(), ALL_SEEDED, 'the sink keeps the last state during the outage');
  assert.equal(source.synced, true);
  const warnings = logs.at('warn').length;
  // Per loop: the cut watch, then the refused connections; retries repeat at debug level only.
  assert.ok(warnings <= 2 * WATCHED, `one warning per loop and problem, not one per retry (got ${warnings})`);
  assert.ok(logs.records.filter((r) => r.level === 'debug' && /ECONNREFUSED/.test(r.msg)).length > 0, 'retries went on');

  await server.start();
  await waitFor('changes made during the outage', () => !sink.get('Ingress/shop/web') && Boolean(sink.get('Ingress/shop/during-outage')));
  await waitFor('all watches open again', () => server.openWatches() === WATCHED);
  server.create(make.service('shop', 'after'));
  await waitFor('a change after the outage', () => Boolean(sink.get('Service/shop/after')));
  assert.deepEqual(syncChanges, [true], 'readiness never flipped');
  assert.ok(logs.at('info').some((m) => /reachable again/.test(m)));
});

test('watches the server ends (timeoutSeconds) are resumed at once, without a relist', async (t) => {
  const { server, sink, source } = await setup(t, { timing: { watchTimeoutSeconds: 1 } });
  await source.whenSynced();
  await waitFor('two server-side watch timeouts', () => server.count({ verb: 'watch', resource: 'ingresses' }) >= 3, 8000);
  assert.equal(server.count({ verb: 'list', resource: 'ingresses' }), 1);
  server.create(make.ingress('shop', 'later'));
  await waitFor('a change after the reconnects', () => Boolean(sink.get('Ingress/shop/later')));
});

test('a silent watch (API server terminating, streams left open) is noticed by the inactivity timeout', async (t) => {
  const { server, sink, source, logs } = await setup(t, { timing: { watchTimeoutSeconds: 1, inactivityMs: 500 } });
  await source.whenSynced();
  await waitFor('all watches open', () => server.openWatches() === WATCHED);
  await server.stop({ leaveWatchesOpen: true });
  server.create(make.ingress('shop', 'unseen-while-silent'));
  await waitFor('the stall to be noticed', () => logs.at('warn').some((m) => /no data on the watch/.test(m)), 6000);
  await server.start();
  await waitFor('the change after restart', () => Boolean(sink.get('Ingress/shop/unseen-while-silent')));
});

test('bookmarks advance the resourceVersion of a quiet watch, so resuming after compaction needs no relist', async (t) => {
  const { server, source } = await setup(t, { seed: (s) => s.create(make.ingressClass('tideway')) });
  await source.whenSynced();
  const listed = Number(server.requestsMatching({ verb: 'list', resource: 'ingressclasses' })[0]!.query.get('resourceVersion') ?? 0);
  assert.equal(listed, 0, 'lists are not pinned to a resourceVersion');
  // Other resources move the global resourceVersion; the IngressClass watch sees only bookmarks.
  for (let i = 0; i < 5; i++) server.create(make.service('shop', `s${i}`));
  const target = Number(server.resourceVersion);
  // Two bookmarks at the new version: the first has surely been read by the time the second is sent.
  await waitFor('bookmarks', () => server.bookmarks.filter((b) => b.resource === 'ingressclasses' && b.resourceVersion >= target).length >= 2);
  server.compact();
  const lists = server.count({ verb: 'list', resource: 'ingressclasses' });
  server.cutWatches();
  await waitFor('the IngressClass watch to resume', () => server.openWatches('ingressclasses') === 1 && server.count({ verb: 'watch', resource: 'ingressclasses' }) >= 2);
  const resumedFrom = Number(server.requestsMatching({ verb: 'watch', resource: 'ingressclasses' }).at(-1)!.query.get('resourceVersion'));
  assert.ok(resumedFrom >= target, `resumed from ${resumedFrom}, the bookmark's version, not the list's`);
  assert.equal(server.count({ verb: 'list', resource: 'ingressclasses' }), lists, 'no 410, no relist');
});

test('500s and garbage JSON are retried with a log line, without a crash or a lost object', async (t) => {
  const { server, sink, source, logs } = await setup(t, {
    seed: (s) => {
      seedAllKinds(s);
      s.failNext(2, 500, { verb: 'list', resource: 'ingresses' });
      s.garbageNext(1, { verb: 'list', resource: 'services' });
    },
  });
  await source.whenSynced();
  assert.deepEqual(sink.keys(), ALL_SEEDED);
  assert.ok(logs.at('warn').some((m) => /listing ingresses in all namespaces: HTTP 500 InternalError/.test(m)), logs.at('warn').join('\n'));
  assert.ok(logs.at('warn').some((m) => /listing services in all namespaces: invalid answer/.test(m)));

  // Garbage inside a watch stream, and a watch start answered 503.
  await waitFor('all watches open', () => server.openWatches() === WATCHED);
  server.garbageNext(1, { verb: 'watch', resource: 'ingresses' });
  server.failNext(1, 503, { verb: 'watch', resource: 'services' });
  server.cutWatches();
  server.create(make.ingress('shop', 'after-garbage'));
  server.create(make.service('shop', 'after-503'));
  await waitFor('objects after the failures', () => Boolean(sink.get('Ingress/shop/after-garbage') && sink.get('Service/shop/after-503')));
  assert.ok(logs.at('warn').some((m) => /watching ingresses in all namespaces: invalid answer: watch event is not JSON/.test(m)));
  assert.ok(logs.at('warn').some((m) => /watching services in all namespaces: HTTP 503/.test(m)));
  assert.equal(sink.upserts.get('Ingress/shop/after-garbage'), 1);
});

test('rejected credentials: never synced, one clear error per resource, retries go on quietly', async (t) => {
  const { server, source, logs } = await setup(t, { seed: seedAllKinds, token: 'expired-token' });
  await waitFor('401s on every resource', () => logs.at('error').length === WATCHED);
  await waitFor('retries', () => server.count({ verb: 'list' }) >= 3 * WATCHED);
  assert.equal(source.synced, false);
  assert.equal(logs.at('error').length, WATCHED, 'repeats are not logged as errors again');
  assert.match(logs.at('error')[0]!, /rejected the credentials while listing \S+.*HTTP 401 Unauthorized.*token or client certificate/);
});

test('missing RBAC for one resource is named in the log', async (t) => {
  const { server, source, logs } = await setup(t, { seed: (s) => s.forbid('secrets') });
  await waitFor('a 403', () => logs.at('error').length > 0);
  assert.match(logs.at('error')[0]!, /not allowed to list secrets: HTTP 403 Forbidden: .*cannot list resource "secrets".*Grant list and watch on secrets/);
  assert.equal(source.synced, false, 'a resource never listed keeps readiness off');
  server.forbid('secrets', false);
  await source.whenSynced();
});

test('without the Middleware CRD: synced with a warning diagnostic, then Middlewares appear once it is installed', async (t) => {
  const { server, sink, source, logs } = await setup(t, { server: { middlewareCrdInstalled: false }, seed: (s) => s.create(make.ingress('shop', 'web')) });
  await source.whenSynced();
  assert.ok(sink.get('Ingress/shop/web'));
  assert.deepEqual(sink.diagnostics.map((d) => [d.severity, d.kind, d.object, d.reason]), [['warning', 'CustomResourceDefinition', 'middlewares.tideway.dev', 'CRDNotInstalled']]);
  assert.equal(logs.at('warn').filter((m) => /Middleware resources are not served/.test(m)).length, 1);
  server.setMiddlewareCrdInstalled(true);
  server.create(make.middleware('shop', 'strip'));
  await waitFor('the Middleware', () => Boolean(sink.get('Middleware/shop/strip')));
  assert.deepEqual(sink.diagnostics, []);
  // Removing the CRD again removes its objects (they are gone from the cluster too).
  server.setMiddlewareCrdInstalled(false);
  await waitFor('the Middleware to go', () => !sink.get('Middleware/shop/strip') && sink.diagnostics.length === 1);
});

test('an object normalize rejects is reported as a diagnostic and kept out until fixed', async (t) => {
  // A real API server rejects invalid base64 itself; the test server's direct writes do not, which lets
  // this check the source's handling of normalize() diagnostics.
  const { server, sink, source } = await setup(t, { seed: (s) => s.create(make.secret('shop', 'broken', 'kubernetes.io/tls', 'not base64!')) });
  await source.whenSynced();
  assert.equal(sink.get('Secret/shop/broken'), undefined);
  assert.deepEqual(sink.diagnostics.map((d) => [d.kind, d.object, d.field]), [['Secret', 'shop/broken', 'data["tls.crt"]']]);
  server.update(make.secret('shop', 'broken'));
  await waitFor('the fixed Secret', () => Boolean(sink.get('Secret/shop/broken')));
  assert.deepEqual(sink.diagnostics, []);
});

/** An Ingress naming Secrets of its namespace (annotation "secrets", comma-separated), as translate's secretReferences would. */
function namingIngress(namespace: string, name: string, secrets: string[]): JsonObject {
  return { ...make.ingress(namespace, name), metadata: { name, namespace, annotations: { secrets: secrets.join(',') } } };
}
const annotatedSecrets = (object: AnyKubeObject): string[] =>
  object.kind === 'Ingress' ? (object.metadata.annotations?.secrets ?? '').split(',').filter((n) => n !== '').map((n) => `${object.metadata.namespace}/${n}`) : [];

test('Secrets that objects name are read one by one, from the first sync on, and dropped when no longer named', async (t) => {
  const { server, sink, source } = await setup(t, {
    secretReferences: annotatedSecrets,
    seed: (s) => {
      s.create(namingIngress('shop', 'web', ['htpasswd']));
      s.create(make.secret('shop', 'htpasswd', 'Opaque'));
      s.create(make.secret('shop', 'other', 'Opaque'));
      s.create(make.secret('shop', 'token', 'kubernetes.io/service-account-token'));
    },
  });
  await source.whenSynced();
  assert.deepEqual(sink.keys('Secret'), ['Secret/shop/htpasswd'], 'part of the first full sync');
  const named = server.requestsMatching({ verb: 'list', resource: 'secrets', namespace: 'shop' });
  assert.deepEqual(named.map((r) => r.query.get('fieldSelector')), ['metadata.name=htpasswd,type!=kubernetes.io/tls']);
  await waitFor('TLS and named watches', () => server.openWatches('secrets') === 2);

  server.update(namingIngress('shop', 'web', ['other']));
  await waitFor('the other Secret read instead', () => sink.keys('Secret').join() === 'Secret/shop/other');
  await waitFor('one named watch', () => server.openWatches('secrets') === 2);
  server.delete(namingIngress('shop', 'web', []));
  await waitFor('no named Secret left', () => sink.keys('Secret').length === 0);
  await waitFor('the TLS watch only', () => server.openWatches('secrets') === 1);
  assert.equal(server.requestsMatching({ resource: 'secrets' }).filter((r) => r.query.get('fieldSelector')?.includes('token')).length, 0);
  await source.close();
  await waitFor('watches closed', () => server.openWatches() === 0);
});

test('a named Secret recreated with another type passes between the TLS list and its own without leaving the sink', async (t) => {
  const { server, sink, source } = await setup(t, {
    secretReferences: annotatedSecrets,
    seed: (s) => {
      s.create(namingIngress('shop', 'web', ['both']));
      s.create(make.secret('shop', 'both'));
    },
  });
  await source.whenSynced();
  assert.equal((sink.get('Secret/shop/both') as { type?: string }).type, 'kubernetes.io/tls');
  for (const [type, marker] of [['Opaque', 'm1'], ['kubernetes.io/tls', 'm2']] as const) {
    server.delete(make.secret('shop', 'both'));
    server.create(make.secret('shop', 'both', type));
    await waitFor(`the ${type} Secret`, () => (sink.get('Secret/shop/both') as { type?: string } | undefined)?.type === type);
    // The TLS watch has seen the delete and create once it delivers a later TLS Secret.
    server.create(make.secret('shop', marker));
    await waitFor('a later TLS Secret', () => sink.get(`Secret/shop/${marker}`) !== undefined);
    assert.equal((sink.get('Secret/shop/both') as { type?: string } | undefined)?.type, type);
  }
});

test('close() stops every watch', async (t) => {
  const { server, source } = await setup(t);
  await source.whenSynced();
  await waitFor('all watches open', () => server.openWatches() === WATCHED);
  await source.close();
  await waitFor('watches closed', () => server.openWatches() === 0);
});

test('over HTTPS: syncs trusting the kubeconfig CA; a wrong CA is a clear, retried transport error', async (t) => {
  const { sink, source } = await setup(t, { server: { tls: true }, seed: (s) => s.create(make.ingress('shop', 'web')) });
  await source.whenSynced();
  assert.ok(sink.get('Ingress/shop/web'));

  const server = new KubeApiServer({ tls: true });
  await server.start();
  t.after(() => server.close());
  const logs = captureLog();
  const kc = kubeConfigFor(server);
  kc.loadFromString(server.kubeconfig({ ca: selfSignedCertificate().cert }));
  const untrusting = await startKubernetesSource({ kubeConfig: kc, namespaces: [], sink: new RecordingSink(), log: logs.log, timing: FAST_TIMING });
  t.after(() => untrusting.close());
  await waitFor('TLS failures logged', () => logs.at('warn').length === WATCHED);
  assert.match(logs.at('warn')[0]!, /listing \S+ in all namespaces: DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate; retrying/);
  assert.equal(untrusting.synced, false);
});

test('Gateway API objects are read with their schema defaults; without the CRDs Ingress keeps working and each kind is named once in the log', async (t) => {
  const route = {
    apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'HTTPRoute', metadata: { name: 'web', namespace: 'shop' },
    spec: { parentRefs: [{ name: 'gw' }], rules: [{ matches: [{ headers: [{ name: 'x-env', value: 'canary' }] }], backendRefs: [{ name: 'web', port: 80 }] }] },
  };
  const { server, sink, source, logs } = await setup(t, { server: { gatewayApiCrdsInstalled: false }, seed: (s) => s.create(make.ingress('shop', 'web')) });
  await source.whenSynced();
  assert.ok(sink.get('Ingress/shop/web'), 'Ingress is served without the Gateway API');
  const missing = sink.diagnostics.filter((d) => d.reason === 'CRDNotInstalled').map((d) => d.object).sort();
  assert.deepEqual(missing, ['backendtlspolicies', 'gatewayclasses', 'gateways', 'grpcroutes', 'httproutes', 'listenersets', 'referencegrants'].map((p) => `${p}.gateway.networking.k8s.io`));
  assert.equal(logs.at('warn').filter((m) => /HTTPRoute resources are not served/.test(m)).length, 1);
  server.setGatewayApiCrdsInstalled(true);
  server.create(route);
  await waitFor('the HTTPRoute', () => Boolean(sink.get('HTTPRoute/shop/web')));
  const read = sink.get('HTTPRoute/shop/web') as unknown as { apiVersion: string; spec: { parentRefs: unknown[]; rules: { matches: unknown[]; backendRefs: unknown[] }[] } };
  assert.equal(read.apiVersion, 'gateway.networking.k8s.io/v1', 'read through the v1 endpoint');
  assert.deepEqual(read.spec.parentRefs, [{ name: 'gw', group: 'gateway.networking.k8s.io', kind: 'Gateway' }]);
  assert.deepEqual(read.spec.rules[0]!.matches, [{ headers: [{ name: 'x-env', value: 'canary', type: 'Exact' }], path: { type: 'PathPrefix', value: '/' } }]);
  assert.deepEqual(read.spec.rules[0]!.backendRefs, [{ name: 'web', port: 80, group: '', kind: 'Service', weight: 1 }]);
  await waitFor('the CRD warnings to clear', () => sink.diagnostics.every((d) => d.reason !== 'CRDNotInstalled'));
});

/** An Ingress naming ConfigMaps of its namespace (annotation "maps"), as translate's configMapReferences does for BackendTLSPolicies. */
const annotatedMaps = (object: AnyKubeObject): string[] =>
  object.kind === 'Ingress' ? (object.metadata.annotations?.maps ?? '').split(',').filter((n) => n !== '').map((n) => `${object.metadata.namespace}/${n}`) : [];

test('ConfigMaps that objects name are read one by one, never listed whole; one also read as --ingress-nginx-configmap stays while either holds it', async (t) => {
  const configMap = (name: string): JsonObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop' }, data: { 'ca.crt': name } });
  const naming = (maps: string[]): JsonObject => ({ ...make.ingress('shop', 'web'), metadata: { name: 'web', namespace: 'shop', annotations: { maps: maps.join(',') } } });
  const { server, sink, source } = await setup(t, {
    configMapReferences: annotatedMaps,
    configMaps: ['shop/shared'],
    seed: (s) => {
      s.create(naming(['ca', 'shared']));
      for (const name of ['ca', 'shared', 'unnamed']) s.create(configMap(name));
    },
  });
  await source.whenSynced();
  assert.deepEqual(sink.keys('ConfigMap'), ['ConfigMap/shop/ca', 'ConfigMap/shop/shared'], 'part of the first full sync');
  for (const call of server.requestsMatching({ resource: 'configmaps' })) assert.match(call.query.get('fieldSelector') ?? '', /^metadata\.name=(ca|shared)$/);
  server.update(naming([]));
  await waitFor('the named ConfigMap dropped', () => sink.keys('ConfigMap').join() === 'ConfigMap/shop/shared');
  assert.equal(sink.get('ConfigMap/shop/shared')?.metadata.name, 'shared', 'still held by its own list');
  await waitFor('one ConfigMap watch left', () => server.openWatches('configmaps') === 1);
});
