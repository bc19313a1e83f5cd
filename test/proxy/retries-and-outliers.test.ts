// Retries (ingress-nginx's proxy_next_upstream "error timeout") and outlier ejection per endpoint,
// through the gateway with real backends that fail in real ways.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, request, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';

describe('retries and outlier ejection', () => {
  let gw: RunningGateway;
  let healthy: TestBackend;
  let resetting: TestBackend;
  let failing: TestBackend;

  before(async () => {
    healthy = await startBackend('healthy');
    resetting = await startBackend('resetting');
    // Cuts the connection without an answer once the whole request arrived.
    resetting.handler = (req) => req.socket.destroy();
    failing = await startBackend('failing');
    failing.handler = (_req, res) => res.writeHead(503).end('down');
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': [
        serviceYaml({ name: 'flaky', endpoints: [['127.0.0.1', resetting.port], ['127.0.0.1', healthy.port]] }),
        serviceYaml({ name: 'sick', endpoints: [['127.0.0.1', failing.port], ['127.0.0.1', healthy.port]] }),
        serviceYaml({ name: 'cut', endpoints: [['127.0.0.1', resetting.port]] }),
      ].join('---\n'),
      'ing.yaml': [
        ingressYaml({ name: 'flaky', host: 'flaky.test', paths: [{ path: '/', service: 'flaky' }] }),
        ingressYaml({ name: 'sick', host: 'sick.test', paths: [{ path: '/', service: 'sick' }] }),
        ingressYaml({ name: 'cut', host: 'cut.test', paths: [{ path: '/', service: 'cut' }] }),
      ].join('---\n'),
    });
  });
  after(async () => {
    await gw.close();
    for (const b of [healthy, resetting, failing]) await b.close();
  });

  test('an idempotent request cut by one endpoint is retried on another', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await request(gw.port, { path: `/get-${i}`, headers: { host: 'flaky.test' } });
      assert.equal(res.status, 200, `GET ${i}`);
      assert.equal(JSON.parse(res.body).backend, 'healthy');
    }
  });

  test('a POST whose body reached an endpoint that cut it is not replayed: 502', async () => {
    const before = resetting.received.length;
    const res = await request(gw.port, { method: 'POST', path: '/post', headers: { host: 'cut.test', 'content-length': 5 }, body: 'hello' });
    assert.equal(res.status, 502);
    assert.equal(resetting.received.length - before, 1, 'sent once');
  });

  test('a GET is tried at most three times, then 502', async () => {
    const before = resetting.received.length;
    const res = await request(gw.port, { path: '/again', headers: { host: 'cut.test' } });
    assert.equal(res.status, 502);
    assert.equal(resetting.received.length - before, 3);
  });

  test('an endpoint answering 5xx in a row is ejected; traffic goes to the healthy one', async () => {
    // Round-robin over two endpoints: ten requests give the failing one five consecutive failures.
    for (let i = 0; i < 10; i++) await request(gw.port, { headers: { host: 'sick.test' } });
    const before = failing.received.length;
    for (let i = 0; i < 20; i++) {
      const res = await request(gw.port, { headers: { host: 'sick.test' } });
      assert.equal(res.status, 200, `request ${i} after the ejection`);
    }
    assert.equal(failing.received.length, before, 'the ejected endpoint got no request');
  });
});
