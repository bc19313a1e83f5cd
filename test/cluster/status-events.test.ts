// Every status write comes back from the API server as a MODIFIED event: new resourceVersion, same
// generation, same spec (shared/notes, section 5). Such events change nothing Tideway reads, so they
// must cost no translation; annotation and spec changes still do.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiServer, type JsonObject } from '../support/kube-api/index.ts';
import { kube, startClusterGateway, type ClusterGateway } from '../support/cluster-gateway.ts';
import type { AnyKubeObject } from '../../src/kube/types.ts';

const NS = 'shop';
const PUBLISHED = '203.0.113.7';
const INGRESS = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: NS } as const;

describe('status-only events', () => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  let gw: ClusterGateway;
  /** Every Ingress the source handed to the store after the first sync, and whether it changed the store. */
  const upserts: { name: string; changed: boolean }[] = [];

  before(async () => {
    await api.start();
    api.create(kube.ingressClass('tideway', true));
    for (let i = 0; i < 20; i++) api.create(kube.ingress(NS, `web-${i}`, `web-${i}.example.com`, [{ path: '/', service: 'web' }]));
    gw = await startClusterGateway(api, ['--publish-address', PUBLISHED]);
    const store = gw.gateway.store;
    const upsert = store.upsert.bind(store);
    store.upsert = (origin: string, object: AnyKubeObject): boolean => {
      const changed = upsert(origin, object);
      if (object.kind === 'Ingress') upserts.push({ name: object.metadata.name, changed });
      return changed;
    };
    await gw.until('first snapshot served', () => gw.gateway.control.ready);
    upserts.length = 0; // the first list; status is written only after a snapshot is served
  });
  after(async () => {
    await gw?.close();
    await api.close();
  });

  const statusOf = (name: string): string | undefined =>
    (api.get({ ...INGRESS, name }) as { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } } | undefined)?.status?.loadBalancer?.ingress?.[0]?.ip;

  test("the gateway's own status writes come back as events that change nothing", async () => {
    await gw.until('status of every Ingress written', () => Array.from({ length: 20 }, (_, i) => statusOf(`web-${i}`)).every((ip) => ip === PUBLISHED));
    // Each status write is a MODIFIED event on the Ingress watch; wait until the source handed all 20 over.
    await gw.until('the status events processed', () => new Set(upserts.filter((u) => !u.changed).map((u) => u.name)).size === 20);
    assert.deepEqual(upserts.filter((u) => u.changed), [], 'no status event changed the store');
  });

  test('status written by someone else: no new snapshot; an annotation or spec change: one each', async () => {
    gw.gateway.store.flush();
    const version = gw.gateway.control.currentVersion;
    const before = upserts.length;
    for (let round = 0; round < 5; round++) {
      const current = api.get({ ...INGRESS, name: 'web-0' })!;
      api.update({ ...current, status: { loadBalancer: { ingress: [{ ip: `198.51.100.${round}` }] } } } as JsonObject);
    }
    await gw.until('the five status events processed', () => upserts.slice(before).filter((u) => u.name === 'web-0').length >= 5);
    assert.equal(upserts.slice(before).filter((u) => u.changed).length, 0);
    gw.gateway.store.flush();
    assert.equal(gw.gateway.control.currentVersion, version, 'no translation for status-only events');

    const annotated = api.get({ ...INGRESS, name: 'web-1' })!;
    const withAnnotation = { ...annotated, metadata: { ...annotated.metadata, annotations: { 'tideway.dev/proxy-body-size': '1m' } } } as JsonObject;
    const stored = api.update(withAnnotation);
    assert.equal(stored.metadata.generation, annotated.metadata.generation, 'annotations leave the generation alone, as on a real API server');
    await gw.until('the annotation served', () => gw.gateway.control.currentVersion === version + 1);

    const spec = api.get({ ...INGRESS, name: 'web-2' })!;
    const moved = api.update({ ...spec, spec: { ...spec.spec, rules: [{ ...spec.spec.rules[0], host: 'moved.example.com' }] } } as JsonObject);
    assert.equal(moved.metadata.generation, spec.metadata.generation + 1, 'a spec change raises the generation');
    await gw.until('the spec change served', () => gw.gateway.control.currentVersion === version + 2);
  });
});
