// The admin port is not reachable through the gateway: an Ingress whose backend endpoint is the admin
// port, or an auth-url pointing at it, gets 403 from it (Tideway marks every relayed request with
// X-Forwarded-For), while direct requests (probes, Prometheus, an operator) are answered as before.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, request, type RunningGateway } from '../support/gateway.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { closedPort } from '../support/ports.ts';

describe('the admin port refuses requests relayed by the gateway', () => {
  let gw: RunningGateway;
  let adminPort: number;

  before(async () => {
    adminPort = await closedPort();
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      // A namespace's own Service whose endpoints name the gateway's admin port.
      'svc.yaml': serviceYaml({ name: 'sneaky', namespace: 'tenant', endpoints: [['127.0.0.1', adminPort]] }),
      'ing.yaml': [
        ingressYaml({ name: 'sneaky', namespace: 'tenant', host: 'sneaky.test', paths: [{ path: '/', service: 'sneaky' }] }),
        ingressYaml({ name: 'auth', namespace: 'tenant', host: 'auth.test', paths: [{ path: '/', service: 'sneaky' }], annotations: { 'tideway.dev/auth-url': `http://127.0.0.1:${adminPort}/healthz` } }),
      ].join('---\n'),
    }, ['--admin-port', String(adminPort)]);
  });
  after(async () => {
    await gw.close();
  });

  test('a route to the admin port gets 403, never the route table', async () => {
    for (const path of ['/api/routes', '/metrics', '/healthz']) {
      const res = await request(gw.port, { path, headers: { host: 'sneaky.test' } });
      assert.equal(res.status, 403, path);
      assert.doesNotMatch(res.body, /"version"|tideway_/);
    }
  });

  test('an auth-url pointing at the admin port does not let requests through', async () => {
    const res = await request(gw.port, { path: '/api/routes', headers: { host: 'auth.test' } });
    assert.notEqual(res.status, 200);
  });

  test('direct requests to the admin port are answered', async () => {
    assert.equal((await request(adminPort, { path: '/healthz' })).status, 200);
    assert.equal((await request(adminPort, { path: '/api/routes' })).status, 200);
  });
});
