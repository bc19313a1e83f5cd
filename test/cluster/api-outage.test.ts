// The gateway in cluster mode when the API server misbehaves: readiness waits for the first full sync;
// a watch cut mid-line resumes from the last resourceVersion; a 410 after compaction relists; and an
// API server gone for a while (TIDEWAY_TEST_OUTAGE_MS, default 2000) leaves the data plane serving the
// last snapshot, with the changes made meanwhile served once it is back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiServer } from '../support/kube-api/index.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request } from '../support/gateway.ts';
import { kube, startClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';

const NS = 'shop';
const HOST = 'shop.example.com';
const OUTAGE_MS = Number(process.env.TIDEWAY_TEST_OUTAGE_MS ?? 2000);

function seed(api: KubeApiServer, backendPort: number): void {
  api.create(kube.ingressClass('tideway'));
  api.create(kube.service(NS, 'web'));
  api.create(kube.endpointSlice(NS, 'web-a', 'web', backendPort, ['127.0.0.1']));
  api.create(kube.ingress(NS, 'shop', HOST, [{ path: '/', service: 'web' }]));
}

async function answeredBy(gw: ClusterGateway, path = '/'): Promise<string> {
  const res = await gw.get(HOST, path);
  return res.status === 200 ? String(res.headers['x-backend']) : String(res.status);
}

test('/readyz answers 503 until the first full sync, then 200', async (t) => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  await api.start();
  t.after(() => api.close());
  const backend = await startBackend('web-1');
  t.after(() => backend.close());
  seed(api, backend.port);
  api.forbid('ingresses'); // one resource cannot be listed: no full sync
  const gw = await startClusterGateway(api);
  t.after(() => gw.close());
  const readyz = async () => (await request(gw.adminPort, { path: '/readyz' })).status;
  await gw.until('two failed lists', () => api.count({ verb: 'list', resource: 'ingresses' }) >= 2);
  assert.equal(await readyz(), 503);
  assert.equal((await request(gw.adminPort, { path: '/healthz' })).status, 200, 'alive all the same');
  assert.equal(await answeredBy(gw), '404', 'no routes published from a partial view');
  api.forbid('ingresses', false);
  await gw.until('ready', async () => (await readyz()) === 200);
  assert.equal(await answeredBy(gw), 'web-1');
});

describe('cluster mode: watch interruptions and API outages', () => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  let gw: ClusterGateway;
  let web1: TestBackend;
  let web2: TestBackend;
  const slice = (port: number) => kube.endpointSlice(NS, 'web-a', 'web', port, ['127.0.0.1']);

  before(async () => {
    await api.start();
    [web1, web2] = await Promise.all([startBackend('web-1'), startBackend('web-2')]);
    seed(api, web1.port);
    gw = await startClusterGateway(api);
    await gw.until('web-1 serves', async () => (await answeredBy(gw)) === 'web-1');
  });
  after(async () => {
    await gw?.close();
    await Promise.all([web1?.close(), web2?.close()]);
    await api.close();
  });

  test('a watch cut in the middle of a line resumes from the last resourceVersion, without a relist', async () => {
    const lists = api.count({ verb: 'list', resource: 'endpointslices' });
    const watches = api.count({ verb: 'watch', resource: 'endpointslices' });
    api.cutWatches({ midLine: true }); // the next event written is cut half-way
    api.update(slice(web2.port));
    await gw.until('web-2 serves', async () => (await answeredBy(gw)) === 'web-2');
    assert.ok(api.count({ verb: 'watch', resource: 'endpointslices' }) > watches, 'watched again');
    assert.equal(api.count({ verb: 'list', resource: 'endpointslices' }), lists, 'resumed, not relisted');
  });

  test('a resume that gets 410 Expired relists and serves what changed', async () => {
    const lists = api.count({ verb: 'list', resource: 'endpointslices' });
    // A change elsewhere moves the global resourceVersion past the last one the EndpointSlice watch saw;
    // compacting then forgets it, as etcd compaction or an API server restart would.
    api.update({ ...kube.service(NS, 'web'), metadata: { name: 'web', namespace: NS, labels: { touched: 'yes' } } });
    await gw.until('the Service change seen', () => gw.gateway.store.state().services.some((s) => s.metadata.labels?.touched === 'yes'));
    api.compact();
    api.cutWatches();
    api.update(slice(web1.port));
    await gw.until('web-1 serves', async () => (await answeredBy(gw)) === 'web-1');
    assert.ok(api.count({ verb: 'list', resource: 'endpointslices' }) > lists, 'relisted after 410');
  });

  test(`the API server gone for ${OUTAGE_MS} ms: the last snapshot keeps serving; changes made meanwhile are served once it is back`, async () => {
    await api.stop();
    const stopped = Date.now();
    const failures: string[] = [];
    let requests = 0;
    // While it is gone: the data plane answers from the last snapshot, and readiness holds.
    while (Date.now() - stopped < OUTAGE_MS) {
      const answer = await answeredBy(gw);
      requests++;
      if (answer !== 'web-1') failures.push(answer);
      if (requests % 20 === 0) assert.equal((await request(gw.adminPort, { path: '/readyz' })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(failures, []);
    assert.ok(requests > 10);
    api.update(slice(web2.port)); // a change made while the gateway cannot see it
    await api.start(); // a restarted API server: fresh watch cache, so resuming gets 410 and relists
    await gw.until('the change made during the outage is served', async () => (await answeredBy(gw)) === 'web-2', 40_000);
  });
});
