// The leader keeps its Lease while the control plane is busy: thousands of Ingresses translated at the
// first sync, then a status write per Ingress, each coming back as a MODIFIED event. With a short
// renew deadline (1 s), a control plane that held its event loop for a whole translation, or translated
// again after each of its own status writes, missed renewals and stepped down.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { KubeApiServer } from '../support/kube-api/index.ts';
import { kube, startClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';

const INGRESSES = 5000;
const TIMING = { leaseDurationMs: 2000, renewDeadlineMs: 1000, renewIntervalMs: 200, retryIntervalMs: 200, callTimeoutMs: 500 };

const api = new KubeApiServer();
const lines: string[] = [];
let gw: ClusterGateway;

before(async () => {
  await api.start();
  api.create(kube.ingressClass('tideway', true));
  for (let i = 0; i < INGRESSES; i++) {
    api.create(kube.service(`ns-${i % 20}`, `web-${i}`));
    api.create(kube.ingress(`ns-${i % 20}`, `web-${i}`, `web-${i}.example.com`, [{ path: '/', service: `web-${i}` }, { path: '/api', service: `web-${i}` }]));
  }
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) }));
  gw = await startClusterGateway(api, ['--publish-address', '203.0.113.7'], { statusTiming: TIMING, logger });
});
after(async () => {
  await gw?.close();
  await api.close();
});

test(`the Lease is kept through the first sync of ${INGRESSES} Ingresses and their status writes`, async () => {
  await gw.until('leading', () => lines.some((l) => l.includes('leading: Lease')), 60_000);
  await gw.until('the first snapshot', () => gw.gateway.control.ready, 60_000);
  const renewals = api.count({ verb: 'update', resource: 'leases' });
  // About 200 status writes at 20 per second, each one a MODIFIED event on the Ingress watch.
  await gw.until('200 status writes', () => api.count({ verb: 'patch', resource: 'ingresses', subresource: 'status' }) >= 200, 60_000);
  const lost = lines.filter((l) => l.includes('no longer leading'));
  assert.deepEqual(lost, [], 'the leader never stepped down');
  assert.ok(api.count({ verb: 'update', resource: 'leases' }) - renewals >= 10, 'the Lease was renewed all along');
});
