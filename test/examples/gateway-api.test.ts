// examples/gateway-api: loads with the quickstart's Services without a diagnostic, attaches, and serves
// what its README promises through a real gateway and the demo echo backends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseSettings } from '../../src/settings/settings.ts';
import { Gateway } from '../../src/runtime/gateway.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request } from '../support/gateway.ts';
import { serviceYaml } from '../support/manifests.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const example = fileURLToPath(new URL('../../examples/gateway-api', import.meta.url));

describe('examples/gateway-api', () => {
  let gateway: Gateway;
  let port: number;
  let web: TestBackend;
  let api: TestBackend;
  let services: string;

  before(async () => {
    web = await startBackend('web');
    api = await startBackend('api');
    // The quickstart's Services, with endpoints at this test's backends instead of the demo ports.
    services = await mkdtemp(path.join(tmpdir(), 'tideway-example-'));
    await writeFile(path.join(services, 'services.yaml'), [
      serviceYaml({ namespace: 'demo', name: 'web', endpoints: [['127.0.0.1', web.port]] }),
      serviceYaml({ namespace: 'demo', name: 'api', endpoints: [['127.0.0.1', api.port]] }),
    ].join('---\n'));
    const settings = parseSettings(['--manifests', example, '--manifests', services, '--http-port', '0', '--admin-port', '0',
      '--bind-address', '127.0.0.1', '--admin-address', '127.0.0.1', '--workers', '1', '--log-level', 'silent', '--access-log', 'off'], {});
    gateway = new Gateway({ settings, logger: silentLogger() });
    port = (await gateway.start()).http;
  });
  after(async () => {
    await gateway?.stop(0);
    await web?.close();
    await api?.close();
    if (services) await rm(services, { recursive: true, force: true });
  });

  const get = (urlPath: string, headers: Record<string, string> = {}) => request(port, { path: urlPath, headers: { host: 'gateway.localhost', ...headers } });

  it('translates without a diagnostic, and every object is accepted', () => {
    assert.deepEqual(gateway.currentDiagnostics, []);
    const status = gateway.control.currentGatewayStatus.entries;
    assert.deepEqual(status.map((e) => `${e.kind} ${e.name}`), ['GatewayClass tideway', 'HTTPRoute shop', 'Gateway demo']);
    for (const entry of status) {
      const conditions = 'parents' in entry ? entry.parents.flatMap((p) => p.conditions) : 'ancestors' in entry ? entry.ancestors.flatMap((a) => a.conditions) : entry.conditions;
      assert.ok(conditions.every((c) => c.status === 'True'), JSON.stringify(conditions));
    }
  });

  it('serves what the README says', async () => {
    assert.equal((await get('/api/')).headers['x-backend'], 'api');
    assert.equal((await get('/', { 'x-canary': 'yes' })).headers['x-backend'], 'api');
    const old = await get('/old/page');
    assert.equal(old.status, 301);
    assert.equal(old.headers.location, 'http://gateway.localhost/page');
    const home = await get('/');
    assert.equal(home.headers['x-backend'], 'web');
    assert.equal(home.headers['x-served-by'], 'tideway');
  });
});
