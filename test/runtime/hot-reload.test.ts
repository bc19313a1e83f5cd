// Manifest edits while traffic flows: every request succeeds, and a request in flight finishes on the
// snapshot it started with even when its route disappears.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startGateway, request, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';

describe('hot reload', () => {
  let gw: RunningGateway;
  let a: TestBackend;
  let b: TestBackend;

  before(async () => {
    a = await startBackend('a');
    b = await startBackend('b');
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', a.port]] }),
      'ing.yaml': ingressYaml({ name: 'web', host: 'app.test', paths: [{ path: '/', service: 'web' }] }),
    });
  });
  after(async () => {
    await gw.close();
    await a.close();
    await b.close();
  });

  test('ten manifest edits during a request stream lose no request', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    const worker = async (): Promise<void> => {
      while (!stop && sent < 20_000) {
        sent++;
        try {
          const res = await request(gw.port, { path: '/r', headers: { host: 'app.test' }, agent });
          if (res.status !== 200) failures.push(`status ${res.status}`);
          else seen.add(JSON.parse(res.body).backend);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    const endpointsByEdit: [string, number][][] = [[['127.0.0.1', b.port]], [['127.0.0.1', a.port], ['127.0.0.1', b.port]], [['127.0.0.1', a.port]]];
    for (let edit = 0; edit < 10; edit++) {
      await gw.writeManifest('svc.yaml', serviceYaml({ name: 'web', endpoints: endpointsByEdit[edit % 3]! }));
      await gw.writeManifest(`extra-${edit}.yaml`, ingressYaml({ name: `extra-${edit}`, host: `x${edit}.test`, paths: [{ path: '/', service: 'web' }] }));
    }
    stop = true;
    await Promise.all(workers);
    agent.destroy();
    assert.deepEqual(failures, []);
    assert.ok(sent > 20, `only ${sent} requests were sent`);
    assert.deepEqual([...seen].sort(), ['a', 'b'], 'both endpoint sets were served');
  });

  test('a request in flight finishes on its snapshot after its route is removed', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const hasArrived = new Promise<void>((resolve) => (arrived = resolve));
    a.handler = b.handler = (_req, res) => {
      arrived();
      void held.then(() => res.end('finished'));
    };
    try {
      await gw.writeManifest('svc.yaml', serviceYaml({ name: 'web', endpoints: [['127.0.0.1', a.port]] }));
      const pending = request(gw.port, { path: '/slow', headers: { host: 'app.test' } });
      await hasArrived;
      await gw.removeManifest('ing.yaml');
      assert.equal((await request(gw.port, { headers: { host: 'app.test' } })).status, 404, 'new requests see the new table');
      release();
      const res = await pending;
      assert.equal(res.status, 200);
      assert.equal(res.body, 'finished');
    } finally {
      a.handler = b.handler = null;
    }
  });
});
