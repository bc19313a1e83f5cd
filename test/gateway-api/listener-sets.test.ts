// ListenerSets through the gateway with real requests (files): listeners added to a Gateway from another
// namespace, plain HTTP and HTTPS with the ListenerSet's own certificate (granted by a ReferenceGrant),
// routes reaching them only through a ListenerSet parentRef, and the Gateway closing its door
// (allowedListeners) taking them away.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, listenerSet, referenceGrant, yamlDocs, type AllowedListenersInput } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';
import { CertificateFactory, type KeyPair } from '../translate/certs.ts';
import { httpsGet, tlsSecretYaml } from '../protocols/support/tls.ts';

const SET_REF = { group: 'gateway.networking.k8s.io', kind: 'ListenerSet', name: 'team', namespace: 'team' };
const rule = (path: string, service: string) => ({ matches: [{ path: { type: 'PathPrefix', value: path } }], backendRefs: [{ name: service, port: 80 }] });

describe('ListenerSets through the gateway (files)', () => {
  const certs = new CertificateFactory();
  let pair: KeyPair;
  let gw: RunningGateway;
  let httpsPort: number;
  let infra: TestBackend;
  let team: TestBackend;

  const gatewayYaml = (allowed: AllowedListenersInput) => yamlDocs(gatewayClass(), gateway('gw', [{ name: 'own', hostname: 'own.test', from: 'All' }], { namespace: 'infra', allowedListeners: allowed }));

  before(async () => {
    infra = await startBackend('infra');
    team = await startBackend('team');
    pair = certs.create('team.test');
    gw = await startGateway({
      'svc.yaml': [serviceYaml({ name: 'infra', namespace: 'infra', endpoints: [['127.0.0.1', infra.port]] }), serviceYaml({ name: 'team', namespace: 'team', endpoints: [['127.0.0.1', team.port]] }), serviceYaml({ name: 'secure', namespace: 'team', endpoints: [['127.0.0.1', infra.port]] })].join('---\n'),
      'secret.yaml': tlsSecretYaml('team-cert', pair, 'certs'),
      'grant.yaml': yamlDocs(referenceGrant('team-cert', 'certs', { kind: 'ListenerSet', namespace: 'team' }, { kind: 'Secret' })),
      'gw.yaml': gatewayYaml({ from: 'All' }),
      'set.yaml': yamlDocs(listenerSet('team', { name: 'gw', namespace: 'infra' }, [
        { name: 'http', hostname: 'team.test' },
        { name: 'https', port: 443, protocol: 'HTTPS', hostname: 'team.test', certificateRefs: [{ name: 'team-cert', namespace: 'certs' }] },
      ], { namespace: 'team' })),
      'routes.yaml': yamlDocs(
        httpRoute('infra', { parentRefs: [{ name: 'gw', namespace: 'infra' }], rules: [rule('/', 'infra')] }, { namespace: 'infra' }),
        httpRoute('team', { parentRefs: [SET_REF], rules: [rule('/', 'team')] }, { namespace: 'team' }),
        httpRoute('team-secure', { parentRefs: [{ ...SET_REF, sectionName: 'https' }], rules: [rule('/secure', 'secure')] }, { namespace: 'team' }),
      ),
    }, ['--https-port', '0']);
    httpsPort = gw.gateway.ports!.https!;
  });
  after(async () => {
    await gw?.close();
    await infra?.close();
    await team?.close();
    certs.dispose();
  });

  const get = (host: string, path = '/') => request(gw.port, { path, headers: { host } });

  it('serves the ListenerSet\'s listeners to the routes naming it, and the Gateway\'s own to the others', async () => {
    const res = await get('team.test');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-backend'], 'team');
    assert.equal((await get('own.test')).headers['x-backend'], 'infra');
    assert.equal((await get('team.test', '/secure')).headers['x-backend'], 'team', 'the /secure route is attached to the HTTPS listener only');
  });

  it('terminates TLS with the ListenerSet\'s certificate, granted from its namespace', async () => {
    const res = await httpsGet(httpsPort, 'team.test', pair.certPem, '/secure/page');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).backend, 'infra', 'the "secure" Service (its endpoint is the infra backend)');
  });

  it('takes the listeners away when the Gateway stops allowing the ListenerSet\'s namespace', async () => {
    await gw.writeManifest('gw.yaml', gatewayYaml({ from: 'Same' }));
    assert.equal((await get('team.test')).status, 404);
    assert.equal((await get('own.test')).status, 200, 'the Gateway\'s own listener keeps serving');
    await gw.writeManifest('gw.yaml', gatewayYaml({ from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'team' } } }));
    assert.equal((await get('team.test')).status, 200);
  });
});
