// ingress-nginx's ConfigMap (--ingress-nginx-configmap, read from the manifest files) through the
// gateway: each key docs/migrating-from-ingress-nginx.md says Tideway reads, as the default of every
// Ingress, with annotations winning; keys Tideway does not use are one warning.
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressYaml, serviceYaml } from '../support/manifests.ts';
import { tlsSecretYaml } from '../protocols/support/tls.ts';
import { CertificateFactory } from '../translate/certs.ts';

const N = 'nginx.ingress.kubernetes.io/';
const NGINX_CLASS = stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
// Every Ingress but "outsider" allows loopback itself: the ConfigMap's allowlist is the default they replace.
const LOOPBACK = { [`${N}whitelist-source-range`]: '127.0.0.0/8' };

describe('ingress-nginx ConfigMap keys through the gateway', () => {
  const certs = new CertificateFactory();
  let gw: RunningGateway;
  let web: TestBackend;
  let authServer: http.Server;
  let httpsPort: number;

  before(async () => {
    web = await startBackend('web');
    web.handler = (req, res) => {
      if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('late'), 1500);
      else if (req.url === '/503') res.writeHead(503, { 'content-type': 'text/html' }).end('<pre>stack trace</pre>');
      else res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'web' }).end(JSON.stringify({ headers: req.headers }));
    };
    // The global auth service: refuses requests that carry X-Deny, and names the user otherwise.
    authServer = http.createServer((req, res) => {
      if (req.headers['x-deny'] !== undefined) res.writeHead(401).end();
      else res.writeHead(200, { 'x-user': 'global' }).end();
    });
    await new Promise<void>((resolve) => authServer.listen(0, '127.0.0.1', resolve));
    const site = (name: string, annotations: Record<string, string> = {}, tls = false) => ingressYaml({
      name, host: `${name}.test`, className: 'nginx', paths: [{ path: '/', service: 'web' }], annotations: { ...LOOPBACK, ...annotations },
      ...(tls ? { tls: [{ hosts: [`${name}.test`], secretName: 'sites' }] } : {}),
    });
    gw = await startGateway({
      'class.yaml': NGINX_CLASS,
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
      'secret.yaml': tlsSecretYaml('sites', certs.create('secured.test')),
      'configmap.yaml': stringify({
        apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' },
        data: {
          'proxy-body-size': '1k', 'proxy-read-timeout': '1', 'proxy-connect-timeout': '3', 'ssl-redirect': 'false',
          hsts: 'true', 'hsts-max-age': '600', 'hsts-include-subdomains': 'false', 'limit-req-status-code': '429',
          'custom-http-errors': '503', 'use-forwarded-headers': 'true', 'whitelist-source-range': '10.0.0.0/8',
          'global-auth-url': `http://127.0.0.1:${(authServer.address() as AddressInfo).port}/auth`, 'global-auth-response-headers': 'X-User',
          'worker-processes': '4', 'keep-alive': '75',
        },
      }),
      'ing.yaml': [
        site('plain'),
        site('secured', {}, true),
        site('own', { [`${N}proxy-body-size`]: '8k', [`${N}proxy-read-timeout`]: '5', [`${N}custom-http-errors`]: '404' }),
        site('limited', { [`${N}limit-rps`]: '1', [`${N}limit-burst-multiplier`]: '1' }),
        site('optout', { [`${N}enable-global-auth`]: 'false' }),
        site('forwarded', { [`${N}whitelist-source-range`]: '203.0.113.0/24' }),
        ingressYaml({ name: 'outsider', host: 'outsider.test', className: 'nginx', paths: [{ path: '/', service: 'web' }] }),
      ].join('---\n'),
    }, ['--ingress-nginx-compat', '--ingress-nginx-configmap', 'ingress-nginx/ingress-nginx-controller', '--https-port', '0', '--trusted-proxies', '127.0.0.1/32']);
    httpsPort = gw.gateway.ports!.https!;
  });
  after(async () => {
    await gw?.close();
    await web?.close();
    authServer?.closeAllConnections();
    await new Promise((resolve) => authServer?.close(resolve));
    certs.dispose();
  });

  const get = (host: string, path = '/', headers: Record<string, string> = {}, method = 'GET', body?: string) =>
    request(gw.port, { method, path, headers: { host, ...headers }, ...(body === undefined ? {} : { body }) });
  const post = (host: string, size: number) => get(host, '/', { 'content-type': 'text/plain' }, 'POST', 'x'.repeat(size));

  it('proxy-body-size: the default body limit of every Ingress (413 beyond); an annotation wins', async () => {
    assert.deepEqual([(await post('plain.test', 512)).status, (await post('plain.test', 2048)).status], [200, 413]);
    assert.equal((await post('own.test', 2048)).status, 200);
  });

  it('proxy-read-timeout: the default read timeout (504 beyond); an annotation wins', async () => {
    assert.equal((await get('plain.test', '/slow')).status, 504);
    assert.equal((await get('own.test', '/slow')).status, 200);
  });

  it('ssl-redirect "false": an Ingress with TLS serves plain HTTP; hsts and its keys shape Strict-Transport-Security on HTTPS', async () => {
    const plain = await get('secured.test');
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['strict-transport-security'], undefined);
    const secured = await new Promise<http.IncomingMessage>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: httpsPort, servername: 'secured.test', headers: { host: 'secured.test' }, rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res));
      }).on('error', reject);
    });
    assert.equal(secured.statusCode, 200);
    assert.equal(secured.headers['strict-transport-security'], 'max-age=600');
  });

  it('limit-req-status-code: the answer to requests over a limit-rps', async () => {
    assert.deepEqual([(await get('limited.test')).status, (await get('limited.test')).status], [200, 429]);
  });

  it('custom-http-errors: the default list of every Ingress; an annotation replaces it', async () => {
    const hidden = await get('plain.test', '/503');
    assert.deepEqual([hidden.status, hidden.body], [503, '503 Service Unavailable\n']);
    assert.equal((await get('own.test', '/503')).body, '<pre>stack trace</pre>');
  });

  it('whitelist-source-range: the default allowlist; an Ingress\'s own annotation replaces it', async () => {
    assert.equal((await get('outsider.test')).status, 403);
    assert.equal((await get('plain.test')).status, 200);
  });

  it('global-auth-url with global-auth-response-headers: every Ingress asks it, unless enable-global-auth is "false"', async () => {
    assert.equal((await get('plain.test', '/', { 'x-deny': '1' })).status, 401);
    const ok = await get('plain.test');
    assert.equal((JSON.parse(ok.body) as { headers: Record<string, string> }).headers['x-user'], 'global');
    const optout = await get('optout.test', '/', { 'x-deny': '1' });
    assert.equal(optout.status, 200);
    assert.equal((JSON.parse(optout.body) as { headers: Record<string, string> }).headers['x-user'], undefined);
  });

  it('use-forwarded-headers is approximated by --trusted-proxies: X-Forwarded-For from a trusted peer is the client address', async () => {
    assert.equal((await get('forwarded.test', '/', { 'x-forwarded-for': '203.0.113.9' })).status, 200);
    assert.equal((await get('forwarded.test')).status, 403);
    const warning = gw.gateway.control.currentDiagnostics.find((d) => d.kind === 'ConfigMap' && d.field === 'data["use-forwarded-headers"]');
    assert.match(warning?.message ?? '', /--trusted-proxies/);
  });

  it('keys Tideway does not use are listed in one warning on the ConfigMap', async () => {
    const ignored = gw.gateway.control.currentDiagnostics.filter((d) => d.kind === 'ConfigMap' && d.reason === 'NginxSettingsIgnored');
    assert.deepEqual(ignored.map((d) => d.message), ['keys Tideway does not use, ignored: keep-alive, worker-processes']);
  });
});
