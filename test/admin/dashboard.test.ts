// The dashboard in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core): it
// loads, shows the routes, backends and diagnostics, shows live rates, and picks up a route added by a
// manifest change without a page reload.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { request } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { startAdminGateway, type AdminGateway } from './admin-gateway.ts';

const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT = path.join(tmpdir(), 'tideway-dashboard.png');

describe('dashboard', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (apt-get install -y chromium)` }, () => {
  let gw: AdminGateway;
  let backend: TestBackend;
  let browser: Browser;
  let page: Page;

  before(async () => {
    backend = await startBackend('web');
    gw = await startAdminGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ namespace: 'shop', name: 'web', endpoints: [['127.0.0.1', backend.port]] }),
      'shop.yaml': ingressYaml({ namespace: 'shop', name: 'storefront', host: 'shop.test', paths: [{ path: '/', service: 'web' }, { path: '/api', service: 'web' }] }),
      'broken.yaml': ingressYaml({ namespace: 'shop', name: 'broken', host: 'broken.test', paths: [{ path: '/', service: 'missing' }] }),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
    await backend?.close();
  });

  test('loads and shows routes, backends, diagnostics and the snapshot version', async () => {
    const response = await page.goto(`http://127.0.0.1:${gw.adminPort}/`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), 'Tideway');
    const routes = page.locator('#routes tbody tr');
    await routes.filter({ hasText: '/api' }).waitFor({ timeout: 5000 });
    assert.equal(await routes.count(), 3);
    const apiRow = routes.filter({ hasText: '/api' });
    assert.match(await apiRow.innerText(), /shop\.test\s+\/api\s+Prefix\s+shop\/storefront\s+shop\/web/);
    assert.match(await apiRow.innerText(), new RegExp(`127\\.0\\.0\\.1:${backend.port}`));
    assert.match(await routes.filter({ hasText: 'broken.test' }).innerText(), /unresolved \(503\)/);
    assert.match(await page.locator('#backends tbody').innerText(), new RegExp(`shop/web\\s+80\\s+http\\s+127\\.0\\.0\\.1:${backend.port}`));
    assert.match(await page.locator('#diagnostics').innerText(), /Ingress shop\/broken .*Service shop\/missing not found/s);
    assert.equal(await page.locator('#version').innerText(), String(gw.gateway.snapshot.table.version));
  });

  test('shows live request rates', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await request(gw.port, { path: '/api/x', headers: { host: 'shop.test' } })).status, 200);
    // Page-side code as strings: the test is compiled without the DOM library.
    await page.waitForFunction("document.querySelector('#total-rps')?.textContent === '0.5'", undefined, { timeout: 5000 });
    const apiRow = page.locator('#routes tbody tr').filter({ hasText: '/api' });
    assert.match(await apiRow.locator('td.num').first().innerText(), /^0\.5$/);
  });

  test('a route added by a manifest change appears without a page reload', async () => {
    await page.evaluate("window.marker = 'same page'");
    await gw.writeManifest('new.yaml', ingressYaml({ namespace: 'shop', name: 'checkout', host: 'checkout.test', paths: [{ path: '/pay', pathType: 'Exact', service: 'web' }] }));
    const added = page.locator('#routes tbody tr').filter({ hasText: 'checkout.test' });
    await added.waitFor({ timeout: 5000 });
    assert.match(await added.innerText(), /checkout\.test\s+\/pay\s+Exact\s+shop\/checkout/);
    assert.equal(await page.evaluate('window.marker'), 'same page', 'the page was not reloaded');
    assert.equal(await page.locator('#version').innerText(), String(gw.gateway.snapshot.table.version));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test('every dashboard file is served with its type at /dashboard too', async () => {
    for (const [file, type] of [['/dashboard', 'text/html'], ['/dashboard/app.js', 'text/javascript'], ['/dashboard/style.css', 'text/css']] as const) {
      const response = await gw.admin(file);
      assert.equal(response.status, 200, file);
      assert.ok(response.contentType.startsWith(type), `${file}: ${response.contentType}`);
    }
  });
});
