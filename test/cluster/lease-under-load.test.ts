// A large translation does not hold the control plane's event loop: while thousands of Ingresses are
// translated again, timers keep firing (a Lease renewal is a timer and two API calls). A control plane
// that translated in one synchronous block, as it did before, let no timer run until the end: at 5,000
// Ingresses its leader missed renewals and lost the Lease. Counting timer ticks during the translation
// makes this independent of the machine's speed or load.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiServer, type JsonObject } from '../support/kube-api/index.ts';
import { kube, startClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';
import type { RouteTableSpec } from '../../src/routing/index.ts';
import type { SpecDelta } from '../../src/runtime/spec-delta.ts';

const INGRESSES = 3000;

const api = new KubeApiServer();
let gw: ClusterGateway;

before(async () => {
  await api.start();
  api.create(kube.ingressClass('tideway', true));
  for (let i = 0; i < INGRESSES; i++) {
    api.create(kube.service(`ns-${i % 20}`, `web-${i}`));
    api.create(kube.ingress(`ns-${i % 20}`, `web-${i}`, `web-${i}.example.com`, [{ path: '/', service: `web-${i}` }, { path: '/api', service: `web-${i}` }]));
  }
  gw = await startClusterGateway(api);
  await gw.until('the first snapshot', () => gw.gateway.control.ready, 60_000);
});
after(async () => {
  await gw?.close();
  await api.close();
});

test(`timers keep firing while ${INGRESSES} Ingresses are translated again`, async () => {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  let ticksAtChange = -1;
  let ticksAtServe = -1;
  const unsubscribe = gw.gateway.store.onChange(() => (ticksAtChange = ticks), { debounceMs: 0 });
  // The new table reaches the data plane whole (serve) or as a delta (apply).
  const data = gw.gateway.data;
  const serve = data.serve.bind(data);
  const apply = data.apply.bind(data);
  data.serve = (spec: RouteTableSpec) => {
    ticksAtServe = ticks;
    serve(spec);
  };
  data.apply = (delta: SpecDelta) => {
    ticksAtServe = ticks;
    return apply(delta);
  };
  try {
    const version = gw.gateway.control.currentVersion;
    // Every Ingress of class "tideway" read this IngressClass: all of them are translated again.
    const ingressClass = api.get({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', name: 'tideway' })!;
    api.update({ ...ingressClass, metadata: { ...ingressClass.metadata, labels: { touched: 'yes' } } } as JsonObject);
    await gw.until('the new snapshot', () => gw.gateway.control.currentVersion > version, 60_000);
    assert.ok(ticksAtChange >= 0, 'the change reached the store');
    assert.ok(ticksAtServe - ticksAtChange >= 3, `only ${ticksAtServe - ticksAtChange} timer ticks between the change and the new snapshot`);
  } finally {
    clearInterval(ticker);
    unsubscribe();
  }
});
