// Generated URLs name the port clients reach, not the one Tideway listens on: the HTTPS redirect's
// Location and X-Forwarded-Port. In a cluster that is 80 and 443 (the Service's ports) by default;
// --public-http-port and --public-https-port set them where that differs.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseSettings, SettingsError } from '../../src/settings/settings.ts';
import { startGateway, request, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { CertificateFactory } from '../translate/certs.ts';
import { tlsSecretYaml } from '../protocols/support/tls.ts';
import { h2Connect, h2Request } from '../protocols/support/h2.ts';
import https from 'node:https';

describe('public ports in settings', () => {
  test('in a cluster (no --manifests) clients reach 80 and 443 by default', () => {
    assert.deepEqual(parseSettings(['--https-port', '8443'], {}).publicPorts, { http: 80, https: 443 });
  });

  test('standalone, the listeners are reached directly: the bound ports', () => {
    assert.deepEqual(parseSettings(['--manifests', 'x.yaml', '--https-port', '8443'], {}).publicPorts, { http: null, https: null });
  });

  test('flags and environment variables set them', () => {
    assert.deepEqual(parseSettings(['--public-http-port', '8000', '--public-https-port', '9443'], {}).publicPorts, { http: 8000, https: 9443 });
    assert.deepEqual(parseSettings(['--manifests', 'x.yaml'], { TIDEWAY_PUBLIC_HTTPS_PORT: '4443' }).publicPorts, { http: null, https: 4443 });
  });

  test('bad values name the flag', () => {
    for (const [flag, value] of [['public-https-port', 'abc'], ['public-https-port', '0'], ['public-http-port', '70000']] as const) {
      assert.throws(() => parseSettings([`--${flag}`, value], {}), (error: unknown) => error instanceof SettingsError && error.flag === flag && error.message.includes(value));
    }
  });
});

describe('generated URLs through the gateway', () => {
  let gw: RunningGateway;
  let backend: TestBackend;
  let ca: string;

  before(async () => {
    backend = await startBackend('web');
    const pair = new CertificateFactory().create('web.test');
    ca = pair.certPem;
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }),
      'secret.yaml': tlsSecretYaml('web', pair),
      'ing.yaml': [
        ingressYaml({ name: 'web', host: 'web.test', paths: [{ path: '/', service: 'web' }], tls: [{ hosts: ['web.test'], secretName: 'web' }] }),
        ingressYaml({ name: 'plain', host: 'plain.test', paths: [{ path: '/', service: 'web' }] }),
      ].join('---\n'),
    }, ['--https-port', '0', '--public-http-port', '80', '--public-https-port', '443']);
  });
  after(async () => {
    await gw.close();
    await backend.close();
  });

  test('the HTTPS redirect names the public port (443: left out, as ingress-nginx does), not the bound one', async () => {
    const res = await request(gw.port, { path: '/a?b=c', headers: { host: 'web.test:80' } });
    assert.equal(res.status, 308);
    assert.equal(res.headers.location, 'https://web.test/a?b=c');
    const session = await h2Connect(gw.port);
    try {
      const h2 = await h2Request(session, { ':authority': 'web.test', ':path': '/h2' });
      assert.equal(h2.status, 308);
      assert.equal(h2.headers.location, 'https://web.test/h2');
    } finally {
      session.close();
    }
  });

  test('X-Forwarded-Port is the public port of the listener the client used', async () => {
    backend.received.length = 0;
    await request(gw.port, { path: '/', headers: { host: 'plain.test' } });
    assert.equal(backend.received[0]!.headers['x-forwarded-port'], '80');
    await new Promise<void>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: gw.gateway.ports!.https!, path: '/', servername: 'web.test', headers: { host: 'web.test' }, ca, agent: false }, (res) => {
        res.resume().on('end', resolve);
      }).on('error', reject);
    });
    assert.equal(backend.received[1]!.headers['x-forwarded-port'], '443');
  });
});
