// ingress-nginx's TLS to backends through the gateway: backend-protocol HTTPS to a real HTTPS server,
// proxy-ssl-verify with the CA of proxy-ssl-secret, proxy-ssl-name (right name served, wrong name 502),
// the client certificate of the same Secret presented to the backend, and SNI.
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressYaml, serviceYaml } from '../support/manifests.ts';
import { CertificateFactory } from '../translate/certs.ts';

const N = 'nginx.ingress.kubernetes.io/';
const NGINX_CLASS = stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('ingress-nginx TLS to backends through the gateway', () => {
  const certs = new CertificateFactory();
  let gw: RunningGateway;
  let backend: https.Server;

  before(async () => {
    // Self-signed: the backend's certificate is its own CA.
    const server = certs.create('backend.internal');
    const client = certs.create('gateway-client');
    const stranger = certs.create('backend.internal');
    backend = https.createServer({ cert: server.certPem, key: server.keyPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sni: socket.servername || null, clientCert: peer?.subject?.CN ?? null }));
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const port = (backend.address() as AddressInfo).port;
    const secret = (name: string, data: Record<string, string>) => stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, data });
    const site = (name: string, annotations: Record<string, string>) =>
      ingressYaml({ name, host: `${name}.test`, className: 'nginx', paths: [{ path: '/', service: 'secure' }], annotations: { [`${N}backend-protocol`]: 'HTTPS', ...annotations } });
    const verify = (secretName: string, extra: Record<string, string> = {}) => ({ [`${N}proxy-ssl-secret`]: `default/${secretName}`, [`${N}proxy-ssl-verify`]: 'on', ...extra });
    gw = await startGateway({
      'class.yaml': NGINX_CLASS,
      'svc.yaml': serviceYaml({ name: 'secure', endpoints: [['127.0.0.1', port]] }),
      'secrets.yaml': [
        secret('mtls', { 'ca.crt': b64(server.certPem), 'tls.crt': b64(client.certPem), 'tls.key': b64(client.keyPem) }),
        secret('ca-only', { 'ca.crt': b64(server.certPem) }),
        secret('other-ca', { 'ca.crt': b64(stranger.certPem) }),
        secret('half', { 'ca.crt': b64(server.certPem), 'tls.crt': b64(client.certPem) }),
      ].join('---\n'),
      'ing.yaml': [
        site('unverified', {}),
        site('verified', verify('mtls', { [`${N}proxy-ssl-name`]: 'backend.internal', [`${N}proxy-ssl-server-name`]: 'on' })),
        site('caonly', verify('ca-only', { [`${N}proxy-ssl-name`]: 'backend.internal' })),
        site('wrongname', verify('mtls', { [`${N}proxy-ssl-name`]: 'other.internal' })),
        site('defaultname', verify('mtls')),
        site('wrongca', verify('other-ca', { [`${N}proxy-ssl-name`]: 'backend.internal' })),
        site('halfsecret', verify('half', { [`${N}proxy-ssl-name`]: 'backend.internal' })),
        site('verifyoff', { [`${N}proxy-ssl-secret`]: 'default/other-ca', [`${N}proxy-ssl-verify`]: 'off' }),
      ].join('---\n'),
    }, ['--ingress-nginx-compat']);
  });
  after(async () => {
    await gw?.close();
    backend?.closeAllConnections();
    await new Promise((resolve) => backend?.close(resolve));
    certs.dispose();
  });

  const get = (host: string) => request(gw.port, { path: '/', headers: { host } });
  const seen = (res: { body: string }) => JSON.parse(res.body) as { sni: string | null; clientCert: string | null };

  it('backend-protocol HTTPS without proxy-ssl-verify reaches the backend unverified, as ingress-nginx (proxy_ssl_verify off)', async () => {
    assert.equal((await get('unverified.test')).status, 200);
    assert.equal((await get('verifyoff.test')).status, 200);
  });

  it('proxy-ssl-verify on with the right proxy-ssl-name: served, with that name as SNI and the Secret\'s client certificate', async () => {
    const res = await get('verified.test');
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(seen(res), { sni: 'backend.internal', clientCert: 'gateway-client' });
  });

  it('a Secret with only ca.crt verifies and presents no client certificate', async () => {
    const res = await get('caonly.test');
    assert.equal(res.status, 200, res.body);
    assert.equal(seen(res).clientCert, null);
  });

  it('a name the certificate does not carry, or another CA, is refused: 502', async () => {
    assert.equal((await get('wrongname.test')).status, 502);
    // Without proxy-ssl-name the name checked is <service>.<namespace>.svc.
    assert.equal((await get('defaultname.test')).status, 502);
    assert.equal((await get('wrongca.test')).status, 502);
  });

  it('a Secret with tls.crt but no tls.key is an error naming the Ingress, and the backend is not reached', async () => {
    assert.equal((await get('halfsecret.test')).status, 503);
    const error = gw.gateway.control.currentDiagnostics.find((d) => d.object === 'default/halfsecret' && d.severity === 'error');
    assert.match(error?.message ?? '', /tls\.key/);
  });
});
