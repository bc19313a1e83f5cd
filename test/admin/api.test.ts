// The admin API and /metrics on a real gateway, with requests going through the real proxy.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { closedPort } from '../support/ports.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { parseExposition, valueOf } from '../observability/exposition.ts';
import { startAdminGateway, type AdminGateway } from './admin-gateway.ts';
import type { RoutesView, ExplainResult } from '../../src/admin/index.ts';
import type { StatsReport } from '../../src/observability/index.ts';

describe('admin API on a running gateway', () => {
  let gw: AdminGateway;
  let backend: TestBackend;
  let deadPort: number;

  before(async () => {
    backend = await startBackend('web');
    deadPort = await closedPort();
    gw = await startAdminGateway({
      'class.yaml': ingressClassYaml(),
      'services.yaml': [
        serviceYaml({ namespace: 'shop', name: 'web', endpoints: [['127.0.0.1', backend.port]] }),
        serviceYaml({ namespace: 'shop', name: 'dead', endpoints: [['127.0.0.1', deadPort]] }),
      ].join('---\n'),
      'shop.yaml': ingressYaml({ namespace: 'shop', name: 'web', host: 'shop.test', paths: [{ path: '/', service: 'web' }, { path: '/dead', service: 'dead' }] }),
      'broken.yaml': ingressYaml({ namespace: 'shop', name: 'broken', host: 'broken.test', paths: [{ path: '/', service: 'missing' }] }),
      'dup.yaml': ingressYaml({ namespace: 'shop', name: 'zz-dup', host: 'shop.test', paths: [{ path: '/', service: 'web' }] }),
    });
  });
  after(async () => {
    await gw.close();
    await backend.close();
  });

  test('/healthz and /readyz still answer; other methods and paths do not', async () => {
    assert.equal((await gw.admin('/healthz')).status, 200);
    assert.equal((await gw.admin('/readyz')).status, 200);
    assert.equal((await gw.admin('/api/nope')).status, 404);
    const post = await fetch(`http://127.0.0.1:${gw.adminPort}/api/routes`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  test('/api/routes: the table with its version, services and endpoints', async () => {
    const view = await gw.adminJson<RoutesView>('/api/routes');
    assert.equal(view.version, gw.gateway.snapshot.table.version);
    const shop = view.hosts.find((h) => h.host === 'shop.test')!;
    assert.deepEqual(shop.routes.map((r) => [r.path, r.pathType, r.ingress, r.backend?.service]), [['/', 'Prefix', 'shop/web', 'shop/web'], ['/dead', 'Prefix', 'shop/web', 'shop/dead']]);
    assert.deepEqual(shop.routes[0]!.backend!.endpoints, [`127.0.0.1:${backend.port}`]);
    assert.equal(view.hosts.find((h) => h.host === 'broken.test')!.routes[0]!.backend, null);
    assert.deepEqual(view.backends.map((b) => b.service).sort(), ['shop/dead', 'shop/web']);
  });

  test('/api/diagnostics: every diagnostic, with counts', async () => {
    const report = await gw.adminJson<{ version: number; errors: number; warnings: number; diagnostics: { reason: string; object: string }[] }>('/api/diagnostics');
    assert.equal(report.errors, 1);
    assert.equal(report.warnings, 1);
    assert.deepEqual(report.diagnostics.map((d) => `${d.object} ${d.reason}`).sort(), ['shop/broken ServiceNotFound', 'shop/zz-dup PathConflict']);
  });

  test('/api/explain: contract fields, and the conflict loser of the matched path', async () => {
    const result = await gw.adminJson<ExplainResult>('/api/explain?host=shop.test&path=/cart&method=POST');
    assert.equal(result.matched, true);
    assert.equal(result.ingress, 'shop/web');
    assert.equal(result.path, '/');
    assert.equal(result.pathType, 'Prefix');
    assert.equal(result.service, 'shop/web');
    assert.deepEqual(result.endpoints, [`127.0.0.1:${backend.port}`]);
    assert.equal(result.request.method, 'POST');
    // The wording of translate's PathConflict message is what explain relies on to find losers.
    assert.deepEqual(result.conflicts.map((c) => c.object), ['shop/zz-dup']);
    const missing = await gw.adminJson<ExplainResult>('/api/explain?host=nowhere.test&path=/');
    assert.equal(missing.matched, false);
  });

  test('/api/explain rejects a bad query with 400 and a JSON error', async () => {
    const response = await gw.admin('/api/explain?host=shop.test');
    assert.equal(response.status, 400);
    assert.equal(response.contentType, 'application/json');
    assert.match(JSON.parse(response.body).error, /"path" is required/);
    const badPort = await gw.admin('/api/explain?host=shop.test&path=/&port=http');
    assert.equal(badPort.status, 400);
    assert.match(JSON.parse(badPort.body).error, /port "http" must be a port number/);
    for (const port of ['0', '99999', '65536']) {
      const outOfRange = await gw.admin(`/api/explain?host=shop.test&path=/&port=${port}`);
      assert.equal(outOfRange.status, 400, `port=${port}`);
      assert.match(JSON.parse(outOfRange.body).error, new RegExp(`port "${port}" must be a port number from 1 to 65535`));
    }
    assert.equal((await gw.admin('/api/explain?host=shop.test&path=/&port=65535')).status, 200);
  });

  test('/metrics counts proxied requests by route, status and error; /api/stats shows the rates', async () => {
    const host = (h: string) => ({ headers: { host: h } });
    assert.equal((await request(gw.port, { path: '/a', ...host('shop.test') })).status, 200);
    assert.equal((await request(gw.port, { path: '/b', ...host('shop.test') })).status, 200);
    assert.equal((await request(gw.port, { path: '/dead/x', ...host('shop.test') })).status, 502);
    assert.equal((await request(gw.port, { path: '/', ...host('broken.test') })).status, 503);
    assert.equal((await request(gw.port, { path: '/', ...host('nowhere.test') })).status, 404);

    const scraped = await gw.admin('/metrics');
    assert.equal(scraped.status, 200);
    assert.match(scraped.contentType, /^text\/plain; version=0\.0\.4/);
    const e = parseExposition(scraped.body);
    assert.equal(valueOf(e, 'tideway_requests_total', { namespace: 'shop', ingress: 'web', service: 'web', method: 'GET', code: '200' }), 2);
    assert.equal(valueOf(e, 'tideway_requests_total', { ingress: 'web', service: 'dead', code: '502' }), 1);
    assert.equal(valueOf(e, 'tideway_request_errors_total', { service: 'dead', error: 'upstream-connect' }), 1);
    assert.equal(valueOf(e, 'tideway_requests_total', { ingress: 'broken', service: '', code: '503' }), 1);
    assert.equal(valueOf(e, 'tideway_request_errors_total', { ingress: 'broken', error: 'no-endpoint' }), 1);
    assert.equal(valueOf(e, 'tideway_requests_total', { ingress: '', code: '404' }), 1);
    assert.equal(valueOf(e, 'tideway_request_duration_seconds_count', { ingress: 'web', service: 'web', method: 'GET' }), 2);
    assert.equal(valueOf(e, 'tideway_upstream_duration_seconds_count', { ingress: 'web', service: 'web' }), 2);
    assert.ok(valueOf(e, 'tideway_response_bytes_total', { ingress: 'web', service: 'web' }) > 0);
    assert.equal(valueOf(e, 'tideway_snapshot_version'), gw.gateway.snapshot.table.version);

    const stats = await gw.adminJson<StatsReport & { version: number }>('/api/stats');
    assert.equal(stats.version, gw.gateway.snapshot.table.version);
    const web = stats.routes.find((r) => r.ingress === 'web' && r.path === '/')!;
    assert.equal(web.requestsPerSecond, 0.2);
    assert.equal(stats.routes.find((r) => r.path === '/dead')!.errorsPerSecond, 0.1);
    assert.equal(stats.unrouted.requestsPerSecond, 0.1);
    assert.equal(Math.round(stats.total.requestsPerSecond * 10), 5);
  });

  test('a manifest change shows in /api/routes with a new version', async () => {
    const before = (await gw.adminJson<RoutesView>('/api/routes')).version;
    await gw.writeManifest('new.yaml', ingressYaml({ namespace: 'shop', name: 'new', host: 'new.test', paths: [{ path: '/', service: 'web' }] }));
    const view = await gw.adminJson<RoutesView>('/api/routes');
    assert.ok(view.version > before);
    assert.ok(view.hosts.some((h) => h.host === 'new.test'));
    assert.equal((await gw.adminJson<ExplainResult>('/api/explain?host=new.test&path=/')).ingress, 'shop/new');
  });
});
