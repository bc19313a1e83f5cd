// A patched table keeps the middleware chains of the hosts a delta did not touch, and with them the
// shared services those chains use (Redis connections, HTTP agents, JWKS caches): the data plane marks
// them used by every new version, so they stay open as long as a route uses them and close once none
// does (after the version before, which requests may still read).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataPlane } from '../../src/runtime/data-plane.ts';
import type { SpecDelta } from '../../src/runtime/spec-delta.ts';
import { defaultRegistry } from '../../src/middleware/index.ts';
import { parseSettings } from '../../src/settings/settings.ts';
import type { RouteSpec, RouteTableSpec } from '../../src/routing/index.ts';
import { routeSpec } from '../routing/spec-builders.ts';

interface Service {
  closed: boolean;
  close(): void;
}

const services: Service[] = [];
defaultRegistry.register({
  type: 'shared-probe',
  create(_config, env) {
    services.push(env.shared('shared-probe:one', (): Service => ({ closed: false, close() { this.closed = true; } })));
    return (_ctx, next) => next();
  },
});

const withProbe = (route: RouteSpec): RouteSpec => ({ ...route, middlewares: [{ type: 'shared-probe', source: 'annotations', config: {} }] });

/** Lets the data plane's asynchronous clean-up (SnapshotChains.finish) run. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a service used by a host no delta touches stays open; it closes once no route uses it', async () => {
  const data = new DataPlane({ settings: parseSettings(['--manifests', '/nonexistent', '--http-port', '0', '--admin-port', '0']) });
  const spec: RouteTableSpec = {
    version: 1,
    hosts: [{ host: 'a.test', routes: [withProbe(routeSpec('a.test', 'Prefix', '/'))] }, { host: 'b.test', routes: [routeSpec('b.test', 'Prefix', '/')] }],
    defaultRoute: null, backends: {}, certificates: [],
  };
  data.serve(spec);
  const [service] = services;
  assert.ok(service);
  const touchB = (version: number, path: string): SpecDelta => ({ base: version - 1, version, hosts: [{ host: 'b.test', routes: [routeSpec('b.test', 'Prefix', path)] }], removedHosts: [], backends: [], removedBackends: [] });
  for (let version = 2; version <= 5; version++) {
    assert.ok(data.apply(touchB(version, `/v${version}`)));
    await settled();
  }
  assert.equal(service.closed, false, 'a.test still uses it');
  assert.equal(services.length, 1, 'and its chain was not built again');
  assert.ok(data.snapshot.table.match('a.test', '/')!.ext.chain);

  assert.ok(data.apply({ base: 5, version: 6, hosts: [], removedHosts: ['a.test'], backends: [], removedBackends: [] }));
  await settled();
  assert.equal(service.closed, false, 'the version before may still serve requests');
  assert.ok(data.apply(touchB(7, '/v7')));
  await settled();
  assert.ok(data.apply(touchB(8, '/v8')));
  await settled();
  assert.equal(service.closed, true, 'no route has used it for two versions');
});
