// The quickstart is the first thing a newcomer runs: its manifests must load cleanly, translate without
// a single diagnostic, and point at the ports scripts/start-quickstart.ts starts the demo backends on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ObjectStore } from '../../src/store/index.ts';
import { startFileSource } from '../../src/sources/files/index.ts';
import { translate, DEFAULT_ROUTE_OPTIONS } from '../../src/translate/index.ts';
import { CONTROLLER_NAME, DEFAULT_CLASS_ANNOTATION, DEFAULT_INGRESS_CLASS, SERVICE_NAME_LABEL } from '../../src/kube/constants.ts';
import { DEMO_BACKENDS } from '../../scripts/start-quickstart.ts';

const quickstart = fileURLToPath(new URL('../../examples/quickstart', import.meta.url));

async function loadQuickstart() {
  const store = new ObjectStore();
  const source = await startFileSource([quickstart], store, () => {}, { pollIntervalMs: 0 });
  await source.ready;
  await source.close();
  return store.state();
}

describe('examples/quickstart', () => {
  it('loads without diagnostics: one default IngressClass, two Services, their slices, one Ingress', async () => {
    const state = await loadQuickstart();
    assert.deepEqual(state.sourceDiagnostics, []);
    assert.equal(state.ingressClasses.length, 1);
    const [ingressClass] = state.ingressClasses;
    assert.equal(ingressClass!.metadata.name, DEFAULT_INGRESS_CLASS);
    assert.equal(ingressClass!.spec?.controller, CONTROLLER_NAME);
    assert.equal(ingressClass!.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION], 'true');
    assert.deepEqual(state.services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`), ['demo/api', 'demo/web']);
    assert.deepEqual(state.ingresses.map((i) => `${i.metadata.namespace}/${i.metadata.name}`), ['demo/shop']);
  });

  it('points the EndpointSlices at the ports the start script gives the demo backends', async () => {
    const state = await loadQuickstart();
    const fromSlices = state.endpointSlices.flatMap((slice) => (slice.ports ?? []).map((p) => `${slice.metadata.labels?.[SERVICE_NAME_LABEL]}:${p.port}`)).sort();
    const fromScript = DEMO_BACKENDS.map((b) => `${b.service}:${b.port}`).sort();
    assert.deepEqual(fromSlices, fromScript);
  });

  it('translates into routes with no diagnostic', async () => {
    const state = await loadQuickstart();
    const { table, diagnostics } = translate(state, { ingressClass: DEFAULT_INGRESS_CLASS, controllerName: CONTROLLER_NAME, allowCrossNamespace: false, defaults: DEFAULT_ROUTE_OPTIONS });
    assert.deepEqual(diagnostics, []);
    const routes = table.hosts.flatMap((h) => h.routes.map((r) => `${h.host || '*'} ${r.path}`)).sort();
    assert.deepEqual(routes, ['* /', 'shop.localhost /', 'shop.localhost /api']);
  });
});
