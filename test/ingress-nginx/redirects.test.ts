// ingress-nginx's redirects through the gateway: the HTTPS redirect of Ingresses with TLS (on by
// default, 308 as ingress-nginx), ssl-redirect "false", force-ssl-redirect without TLS, and the
// permanent and temporal redirects with their codes.
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressYaml, serviceYaml } from '../support/manifests.ts';
import { tlsSecretYaml } from '../protocols/support/tls.ts';
import { CertificateFactory } from '../translate/certs.ts';

const N = 'nginx.ingress.kubernetes.io/';
const NGINX_CLASS = stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });

describe('ingress-nginx redirects through the gateway', () => {
  const certs = new CertificateFactory();
  let gw: RunningGateway;
  let web: TestBackend;
  let httpsPort: number;

  before(async () => {
    web = await startBackend('web');
    const site = (name: string, annotations: Record<string, string>, tls = false) => ingressYaml({
      name, host: `${name}.test`, className: 'nginx', paths: [{ path: '/', service: 'web' }], annotations,
      ...(tls ? { tls: [{ hosts: [`${name}.test`], secretName: 'sites' }] } : {}),
    });
    gw = await startGateway({
      'class.yaml': NGINX_CLASS,
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
      'secret.yaml': tlsSecretYaml('sites', certs.create('secured.test', 'optout.test', 'forced.test')),
      'ing.yaml': [
        site('secured', {}, true),
        site('optout', { [`${N}ssl-redirect`]: 'false' }, true),
        site('forced', { [`${N}force-ssl-redirect`]: 'true' }),
        site('plain', {}),
        site('moved', { [`${N}permanent-redirect`]: 'https://new.test/home', [`${N}permanent-redirect-code`]: '308' }),
        site('movedbad', { [`${N}permanent-redirect`]: 'https://new.test/home', [`${N}permanent-redirect-code`]: '200' }),
        site('away', { [`${N}temporal-redirect`]: 'https://away.test/' }),
        site('awaycode', { [`${N}temporal-redirect`]: 'https://away.test/', [`${N}temporal-redirect-code`]: '307' }),
      ].join('---\n'),
    }, ['--ingress-nginx-compat', '--https-port', '0']);
    httpsPort = gw.gateway.ports!.https!;
  });
  after(async () => {
    await gw?.close();
    await web?.close();
    certs.dispose();
  });

  const get = (host: string, path = '/', method = 'GET') => request(gw.port, { method, path, headers: { host } });
  const getHttps = (host: string) => new Promise<number>((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: httpsPort, servername: host, path: '/', headers: { host }, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    }).on('error', reject);
  });

  it('an Ingress with TLS redirects plain HTTP to HTTPS with 308 by default, path and query kept', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await get('secured.test', '/a/b?c=1', method);
      assert.equal(res.status, 308, method);
      assert.equal(res.headers.location, `https://secured.test:${httpsPort}/a/b?c=1`);
    }
    assert.equal(await getHttps('secured.test'), 200);
    assert.equal(web.received.length, 1, 'only the HTTPS request reached the backend');
  });

  it('ssl-redirect "false" serves plain HTTP on an Ingress with TLS', async () => {
    assert.equal((await get('optout.test')).status, 200);
    assert.equal(await getHttps('optout.test'), 200);
  });

  it('force-ssl-redirect redirects an Ingress without TLS; without it, such an Ingress serves HTTP', async () => {
    const res = await get('forced.test', '/x');
    assert.deepEqual([res.status, res.headers.location], [308, `https://forced.test:${httpsPort}/x`]);
    assert.equal((await get('plain.test')).status, 200);
  });

  it('permanent-redirect with permanent-redirect-code; a code outside 300-308 falls back to 301', async () => {
    const moved = await get('moved.test', '/x');
    assert.deepEqual([moved.status, moved.headers.location], [308, 'https://new.test/home']);
    const fallback = await get('movedbad.test', '/x');
    assert.deepEqual([fallback.status, fallback.headers.location], [301, 'https://new.test/home']);
  });

  it('temporal-redirect answers 302, or temporal-redirect-code', async () => {
    const away = await get('away.test', '/x');
    assert.deepEqual([away.status, away.headers.location], [302, 'https://away.test/']);
    assert.equal((await get('awaycode.test')).status, 307);
  });

  it('a bad redirect code is an error naming the Ingress and the annotation', async () => {
    const diagnostics = gw.gateway.control.currentDiagnostics;
    const bad = diagnostics.find((d) => d.object === 'default/movedbad' && d.severity === 'error');
    assert.equal(bad?.field, `metadata.annotations["${N}permanent-redirect-code"]`);
  });
});
