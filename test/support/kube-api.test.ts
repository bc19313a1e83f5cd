// The Kubernetes API test server, exercised through @kubernetes/client-node as a controller would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { KubeApiServer } from './kube-api/index.ts';
import { selfSignedCertificate } from './kube-api/tls.ts';

const NS = 'shop';

function clientFor(server: KubeApiServer, token?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(server.kubeconfig({ token }));
  return kc;
}

/** The Status reason of a failed call, asserting it failed with `code`. */
async function rejectsWith(call: Promise<unknown>, code: number): Promise<string | undefined> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof k8s.ApiException, `expected ApiException, got ${err}`);
    assert.equal(err.code, code, String(err.body));
    return err.body ? JSON.parse(err.body as string).reason : undefined;
  }
  assert.fail(`expected HTTP ${code}`);
}

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

function ingress(name: string, host = `${name}.example.com`): k8s.V1Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: NS },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  };
}

/** Collects watch events until `until` says stop; resolves with them and the done() error. */
function watchUntil(kc: k8s.KubeConfig, path: string, params: Record<string, string | number | boolean | undefined>, until: (events: { type: string; object: any }[]) => boolean) {
  const events: { type: string; object: any }[] = [];
  let controller: AbortController | undefined;
  const finished = new Promise<{ events: typeof events; err: unknown }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`watch timed out with ${JSON.stringify(events.map((e) => e.type))}`)), 5000);
    new k8s.Watch(kc).watch(path, params, (type, object) => {
      events.push({ type, object });
      if (until(events)) {
        clearTimeout(timer);
        controller?.abort();
        resolve({ events, err: undefined });
      }
    }, (err) => {
      clearTimeout(timer);
      resolve({ events, err });
    }).then((c) => { controller = c; }, reject);
  });
  return finished;
}

describe('Kubernetes API test server', () => {
  const server = new KubeApiServer({ bookmarkIntervalMs: 100 });
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let net: k8s.NetworkingV1Api;

  before(async () => {
    await server.start();
    kc = clientFor(server);
    core = kc.makeApiClient(k8s.CoreV1Api);
    net = kc.makeApiClient(k8s.NetworkingV1Api);
  });
  after(() => server.close());

  test('creates, reads, lists, replaces, patches and deletes a Service', async () => {
    const created = await core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: 'web', labels: { app: 'web' } }, spec: { ports: [{ name: 'http', port: 80 }] } },
    });
    assert.equal(created.metadata?.namespace, NS);
    assert.ok(created.metadata?.uid);
    assert.ok(created.metadata?.creationTimestamp instanceof Date);
    assert.equal(created.spec?.ports?.[0]?.targetPort, 80, 'defaulted like the real server');
    assert.match(created.spec?.clusterIP ?? '', /^10\.96\./);

    assert.equal(await rejectsWith(core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'web' } } }), 409), 'AlreadyExists');

    const read = await core.readNamespacedService({ name: 'web', namespace: NS });
    assert.equal(read.metadata?.resourceVersion, created.metadata?.resourceVersion);

    const list = await core.listNamespacedService({ namespace: NS });
    assert.equal(list.items.length, 1);
    assert.ok(Number(list.metadata?.resourceVersion) >= Number(created.metadata?.resourceVersion));

    read.spec!.ports![0]!.port = 8080;
    const replaced = await core.replaceNamespacedService({ name: 'web', namespace: NS, body: read });
    assert.notEqual(replaced.metadata?.resourceVersion, read.metadata?.resourceVersion);
    assert.equal(await rejectsWith(core.replaceNamespacedService({ name: 'web', namespace: NS, body: read }), 409), 'Conflict', 'stale resourceVersion');

    const patched = await core.patchNamespacedService({ name: 'web', namespace: NS, body: { metadata: { labels: { tier: 'front' } } } }, merge);
    assert.deepEqual(patched.metadata?.labels, { app: 'web', tier: 'front' });
    const jsonPatched = await core.patchNamespacedService({
      name: 'web', namespace: NS, body: [{ op: 'remove', path: '/metadata/labels/tier' }],
    });
    assert.deepEqual(jsonPatched.metadata?.labels, { app: 'web' });

    const deleted = await core.deleteNamespacedService({ name: 'web', namespace: NS });
    assert.equal(deleted.metadata?.name, 'web');
    assert.equal(await rejectsWith(core.readNamespacedService({ name: 'web', namespace: NS }), 404), 'NotFound');
  });

  test('answers 422 for missing names and loopback EndpointSlice addresses, as the real server', async () => {
    assert.equal(await rejectsWith(core.createNamespacedSecret({ namespace: NS, body: { metadata: {} } }), 422), 'Invalid');
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    assert.equal(await rejectsWith(discovery.createNamespacedEndpointSlice({
      namespace: NS, body: { addressType: 'IPv4', metadata: { name: 'web-1' }, endpoints: [{ addresses: ['127.0.0.1'] }] },
    }), 422), 'Invalid');
  });

  test('accepts loopback EndpointSlice addresses only when told to (acceptLoopbackEndpoints)', async () => {
    const lax = new KubeApiServer({ acceptLoopbackEndpoints: true });
    await lax.start();
    try {
      const discovery = clientFor(lax).makeApiClient(k8s.DiscoveryV1Api);
      const created = await discovery.createNamespacedEndpointSlice({
        namespace: NS, body: { addressType: 'IPv4', metadata: { name: 'web-1' }, endpoints: [{ addresses: ['127.0.0.1'] }] },
      });
      assert.deepEqual(created.endpoints?.[0]?.addresses, ['127.0.0.1']);
    } finally {
      await lax.close();
    }
  });

  test('Ingress status is written only through /status; the main endpoint ignores status', async () => {
    const body = ingress('status-demo');
    body.status = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } };
    const created = await net.createNamespacedIngress({ namespace: NS, body });
    assert.deepEqual(created.status ?? {}, {}, 'status dropped on create');

    const withStatus = structuredClone(created);
    withStatus.status = { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } };
    withStatus.spec!.rules![0]!.host = 'ignored.example.com';
    const afterStatus = await net.replaceNamespacedIngressStatus({ name: 'status-demo', namespace: NS, body: withStatus });
    assert.equal(afterStatus.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.7');
    assert.equal(afterStatus.spec?.rules?.[0]?.host, 'status-demo.example.com', 'spec change ignored by /status');
    assert.equal(await rejectsWith(net.replaceNamespacedIngressStatus({ name: 'status-demo', namespace: NS, body: withStatus }), 409), 'Conflict');

    const mainPatch = await net.patchNamespacedIngress({
      name: 'status-demo', namespace: NS, body: { status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } } },
    }, merge);
    assert.equal(mainPatch.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.7', 'status change ignored by the main endpoint');

    const statusPatch = await net.patchNamespacedIngressStatus({
      name: 'status-demo', namespace: NS, body: { status: { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } } },
    }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
    assert.equal(statusPatch.status?.loadBalancer?.ingress?.[0]?.hostname, 'lb.example.com');
    assert.ok(server.count({ verb: 'update', resource: 'ingresses', subresource: 'status' }) >= 2);
    await net.deleteNamespacedIngress({ name: 'status-demo', namespace: NS });
  });

  test('Lease: 409 AlreadyExists, 422 without resourceVersion, 409 when stale, MicroTime only', async () => {
    const coord = kc.makeApiClient(k8s.CoordinationV1Api);
    const body: k8s.V1Lease = {
      metadata: { name: 'tideway-tideway', namespace: NS },
      spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, acquireTime: new k8s.V1MicroTime(), renewTime: new k8s.V1MicroTime() },
    };
    const lease = await coord.createNamespacedLease({ namespace: NS, body });
    assert.equal(typeof lease.spec?.renewTime, 'string', 'MicroTime comes back as a string');
    assert.equal(await rejectsWith(coord.createNamespacedLease({ namespace: NS, body }), 409), 'AlreadyExists');
    assert.equal(await rejectsWith(coord.replaceNamespacedLease({ name: 'tideway-tideway', namespace: NS, body }), 422), 'Invalid');
    const renewed = await coord.replaceNamespacedLease({
      name: 'tideway-tideway', namespace: NS, body: { ...lease, spec: { ...lease.spec, renewTime: new k8s.V1MicroTime() } },
    });
    assert.notEqual(renewed.metadata?.resourceVersion, lease.metadata?.resourceVersion);
    assert.equal(await rejectsWith(coord.replaceNamespacedLease({ name: 'tideway-tideway', namespace: NS, body: lease }), 409), 'Conflict');
    const plainDate = { ...renewed, spec: { ...renewed.spec, renewTime: new Date() as any } };
    assert.equal(await rejectsWith(coord.replaceNamespacedLease({ name: 'tideway-tideway', namespace: NS, body: plainDate }), 400), 'BadRequest');
  });

  test('core/v1 and events.k8s.io/v1 Events are two views of the same objects', async () => {
    await core.createNamespacedEvent({
      namespace: NS,
      body: {
        metadata: { generateName: 'web.' }, involvedObject: { kind: 'Ingress', namespace: NS, name: 'web' },
        reason: 'Sync', message: 'configured', type: 'Normal',
      },
    });
    const events = kc.makeApiClient(k8s.EventsV1Api);
    assert.equal(await rejectsWith(events.createNamespacedEvent({ namespace: NS, body: { metadata: { generateName: 'web-' } } as any }), 422), 'Invalid');
    await events.createNamespacedEvent({
      namespace: NS,
      body: {
        metadata: { generateName: 'web-' }, eventTime: new k8s.V1MicroTime(), reportingController: 'tideway.dev/ingress-controller',
        reportingInstance: 'pod-a', action: 'Sync', reason: 'Invalid', note: 'bad port', type: 'Warning',
        regarding: { kind: 'Ingress', namespace: NS, name: 'web' },
      },
    });
    const coreList = await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=web' });
    assert.deepEqual(coreList.items.map((e) => e.message).sort(), ['bad port', 'configured']);
    assert.ok(coreList.items.some((e) => e.reportingComponent === 'tideway.dev/ingress-controller'));
    const v1List = await events.listNamespacedEvent({ namespace: NS });
    assert.deepEqual(v1List.items.map((e) => e.note).sort(), ['bad port', 'configured']);
  });

  test('lists with field and label selectors and paginates with limit/continue', async () => {
    for (const [name, type] of [['tls-a', 'kubernetes.io/tls'], ['opaque', 'Opaque'], ['tls-b', 'kubernetes.io/tls']]) {
      await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name, labels: { set: 'sel' } }, type, stringData: { k: 'v' } } });
    }
    const tls = await core.listSecretForAllNamespaces({ fieldSelector: 'type=kubernetes.io/tls' });
    assert.deepEqual(tls.items.map((s) => s.metadata?.name), ['tls-a', 'tls-b']);
    assert.equal(tls.items[0]?.data?.k, Buffer.from('v').toString('base64'), 'stringData folded into data');
    const byName = await core.listNamespacedSecret({ namespace: NS, fieldSelector: 'metadata.name=opaque' });
    assert.deepEqual(byName.items.map((s) => s.metadata?.name), ['opaque']);
    const notIn = await core.listNamespacedSecret({ namespace: NS, labelSelector: 'set in (sel),!absent' });
    assert.equal(notIn.items.length, 3);
    assert.equal(await rejectsWith(core.listNamespacedSecret({ namespace: NS, fieldSelector: 'data.k=v' }), 400), 'BadRequest');

    const page1 = await core.listNamespacedSecret({ namespace: NS, limit: 2 });
    assert.equal(page1.items.length, 2);
    assert.ok(page1.metadata?._continue);
    await core.deleteNamespacedSecret({ name: 'tls-b', namespace: NS });
    const page2 = await core.listNamespacedSecret({ namespace: NS, limit: 2, _continue: page1.metadata!._continue });
    assert.deepEqual(page2.items.map((s) => s.metadata?.name), ['tls-b'], 'continue reads the snapshot of the first page');
    assert.equal(page2.metadata?.resourceVersion, page1.metadata?.resourceVersion);
    server.compact();
    assert.equal(await rejectsWith(core.listNamespacedSecret({ namespace: NS, limit: 2, _continue: page1.metadata!._continue }), 410), 'Expired');
  });

  test('Middleware custom objects, and 404 while the CRD is not installed', async () => {
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const args = { group: 'tideway.dev', version: 'v1alpha1', plural: 'middlewares', namespace: NS };
    await custom.createNamespacedCustomObject({ ...args, body: { apiVersion: 'tideway.dev/v1alpha1', kind: 'Middleware', metadata: { name: 'strip' }, spec: { stripPrefix: '/api' } } });
    const list = await custom.listNamespacedCustomObject(args);
    assert.equal(list.items[0].kind, 'Middleware', 'custom resource list items carry kind');
    assert.equal(list.items[0].spec.stripPrefix, '/api');
    server.setMiddlewareCrdInstalled(false);
    assert.equal(await rejectsWith(custom.listNamespacedCustomObject(args), 404), 'NotFound');
    server.setMiddlewareCrdInstalled(true);
    assert.equal((await custom.listNamespacedCustomObject(args)).items.length, 0, 'removing the CRD deleted its objects');
  });

  test('generic KubernetesObjectApi finds resources through discovery', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    await objects.create({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'tideway' }, spec: { controller: 'tideway.dev/ingress-controller' } } as k8s.KubernetesObject);
    const read = await objects.read({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'tideway' } });
    assert.equal((read as k8s.V1IngressClass).spec?.controller, 'tideway.dev/ingress-controller');
    assert.equal((await kc.makeApiClient(k8s.VersionApi).getCode()).gitVersion, 'v1.36.2');
  });

  test('watch streams changes, resumes from a resourceVersion and sends bookmarks', async () => {
    const start = server.resourceVersion;
    await net.createNamespacedIngress({ namespace: NS, body: ingress('w1') });
    await net.patchNamespacedIngress({ name: 'w1', namespace: NS, body: { metadata: { labels: { a: 'b' } } } }, merge);
    await net.deleteNamespacedIngress({ name: 'w1', namespace: NS });
    const resumed = await watchUntil(kc, `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`, { resourceVersion: start }, (e) => e.length === 3);
    assert.deepEqual(resumed.events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    assert.equal(resumed.events[2]!.object.kind, 'Ingress');
    assert.equal(resumed.events[2]!.object.metadata.resourceVersion, server.resourceVersion, 'DELETED carries the deletion revision');

    const bookmarked = await watchUntil(kc, `/apis/networking.k8s.io/v1/ingresses`, { resourceVersion: server.resourceVersion, allowWatchBookmarks: true },
      (e) => e.some((x) => x.type === 'BOOKMARK'));
    assert.equal(bookmarked.events.at(-1)!.object.metadata.resourceVersion, server.resourceVersion);
  });

  test('as on a real API server: a status write is a MODIFIED event with a new resourceVersion and the same generation; annotations leave the generation, spec changes raise it', async () => {
    const created = await net.createNamespacedIngress({ namespace: NS, body: ingress('gen') });
    const start = server.resourceVersion;
    await net.patchNamespacedIngressStatus({ name: 'gen', namespace: NS, body: { status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } } }, merge);
    await net.patchNamespacedIngress({ name: 'gen', namespace: NS, body: { metadata: { annotations: { a: 'b' } } } }, merge);
    await net.patchNamespacedIngress({ name: 'gen', namespace: NS, body: { spec: { rules: [{ host: 'moved.example.com' }] } } }, merge);
    const { events } = await watchUntil(kc, `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`, { resourceVersion: start }, (e) => e.length === 3);
    assert.deepEqual(events.map((e) => e.type), ['MODIFIED', 'MODIFIED', 'MODIFIED']);
    const [status, annotated, moved] = events.map((e) => e.object.metadata);
    assert.ok(Number(status.resourceVersion) > Number(start), 'the status write has its own resourceVersion');
    assert.deepEqual([status.generation, annotated.generation, moved.generation], [created.metadata!.generation, created.metadata!.generation, created.metadata!.generation! + 1]);
    assert.equal(events[0]!.object.status.loadBalancer.ingress[0].ip, '203.0.113.7');
  });

  test('bookmarks only when the watch asks for them and the server is given a beat (none by default, as on a quiet real resource)', async () => {
    const quiet = new KubeApiServer();
    await quiet.start();
    try {
      const qkc = clientFor(quiet);
      // A watch asking for bookmarks, left quiet for 300 ms (the absence of a beat cannot be awaited),
      // then a change ends it: the change is all it carried.
      const first = watchUntil(qkc, '/apis/networking.k8s.io/v1/ingressclasses', { allowWatchBookmarks: true, resourceVersion: quiet.resourceVersion }, (e) => e.length > 0);
      const net2 = qkc.makeApiClient(k8s.NetworkingV1Api);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await net2.createIngressClass({ body: { metadata: { name: 'c' }, spec: { controller: 'x' } } });
      const { events } = await first;
      assert.deepEqual(events.map((e) => e.type), ['ADDED'], 'no BOOKMARK before the change');
      assert.equal(quiet.bookmarks.length, 0);
    } finally {
      await quiet.close();
    }
  });

  test('watch from a compacted resourceVersion gets ERROR 410 Expired inside a 200 stream', async () => {
    const old = server.resourceVersion;
    await net.createNamespacedIngress({ namespace: NS, body: ingress('w2') });
    server.compact();
    const { events, err } = await watchUntil(kc, `/apis/networking.k8s.io/v1/ingresses`, { resourceVersion: old }, () => false);
    assert.equal(err, null, 'stream ended normally');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'ERROR');
    assert.equal(events[0]!.object.code, 410);
    assert.equal(events[0]!.object.reason, 'Expired');
    assert.match(events[0]!.object.message, /^too old resource version: \d+ \(\d+\)$/);
  });

  test('a label-selected watch turns objects leaving the selection into DELETED', async () => {
    const from = server.resourceVersion;
    const svc = server.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'sel', namespace: NS, labels: { pick: 'yes' } }, spec: { ports: [{ port: 80 }] } });
    server.update({ ...svc, metadata: { ...svc.metadata, labels: { pick: 'no' } } });
    const { events } = await watchUntil(kc, '/api/v1/services', { resourceVersion: from, labelSelector: 'pick=yes' }, (e) => e.length === 2);
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'DELETED']);
  });

  test('rejects a wrong bearer token with 401 Unauthorized', async () => {
    const bad = clientFor(server, 'wrong').makeApiClient(k8s.CoreV1Api);
    await rejectsWith(bad.listServiceForAllNamespaces(), 401);
    const badWatch = await watchUntil(clientFor(server, 'wrong'), '/api/v1/services', {}, () => false);
    assert.equal((badWatch.err as { statusCode?: number }).statusCode, 401);
  });

  test('injected 500s, garbage JSON and 403 Forbidden reach the client as such', async () => {
    server.failNext(1, 500, { resource: 'services' });
    assert.equal(await rejectsWith(core.listServiceForAllNamespaces(), 500), 'InternalError');
    server.garbageNext(1, { resource: 'services' });
    await assert.rejects(core.listServiceForAllNamespaces(), SyntaxError);
    server.forbid('services');
    assert.equal(await rejectsWith(core.listServiceForAllNamespaces(), 403), 'Forbidden');
    server.forbid('services', false);
    await core.listServiceForAllNamespaces();
  });

  test('stop() and start() keep the port and data; the fresh watch cache expires old resourceVersions', async () => {
    const port = server.port;
    const old = server.resourceVersion;
    await server.stop();
    await assert.rejects(core.listServiceForAllNamespaces(), (err: Error) => err instanceof TypeError && /fetch failed/.test(err.message));
    server.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'during-outage', namespace: NS } });
    await server.start();
    assert.equal(server.port, port);
    const list = await core.listNamespacedService({ namespace: NS });
    assert.ok(list.items.some((s) => s.metadata?.name === 'during-outage'));
    const { events } = await watchUntil(kc, '/api/v1/services', { resourceVersion: old }, () => false);
    assert.equal(events[0]?.object.code, 410);
  });
});

test('over HTTPS the client verifies the server against the kubeconfig CA', async (t) => {
  const server = new KubeApiServer({ tls: true });
  await server.start();
  t.after(() => server.close());
  assert.match(server.url, /^https:/);
  const core = clientFor(server).makeApiClient(k8s.CoreV1Api);
  assert.deepEqual((await core.listServiceForAllNamespaces()).items, []);
  const otherCa = new k8s.KubeConfig();
  otherCa.loadFromString(server.kubeconfig({ ca: selfSignedCertificate().cert }));
  await assert.rejects(otherCa.makeApiClient(k8s.CoreV1Api).listServiceForAllNamespaces(), (err: Error) => /fetch failed/.test(err.message));
});

test('a bounded history: a watch from before the oldest kept change gets 410; timeoutSeconds ends a watch cleanly', async (t) => {
  const server = new KubeApiServer({ historyLimit: 3 });
  await server.start();
  t.after(() => server.close());
  const kc = clientFor(server);
  server.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'before', namespace: NS } });
  const first = server.resourceVersion;
  for (let i = 0; i < 3; i++) server.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: NS } });
  const kept = await watchUntil(kc, '/api/v1/services', { resourceVersion: first }, (e) => e.length === 3);
  assert.deepEqual(kept.events.map((e) => e.type), ['ADDED', 'ADDED', 'ADDED'], 'three changes fit the history');
  server.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's3', namespace: NS } });
  const expired = await watchUntil(kc, '/api/v1/services', { resourceVersion: first }, () => false);
  assert.equal(expired.events[0]?.object.code, 410);

  const started = Date.now();
  const timedOut = await watchUntil(kc, '/api/v1/services', { resourceVersion: server.resourceVersion, timeoutSeconds: 1 }, () => false);
  assert.equal(timedOut.err, null);
  assert.deepEqual(timedOut.events, []);
  assert.ok(Date.now() - started >= 900);
});
