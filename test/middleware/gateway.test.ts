// The same middlewares through the whole gateway: manifests in files, real client and backends. New
// scenarios go here, next to their chain-level tests in this folder.
import assert from 'node:assert/strict';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';

/** A GET whose body is kept as bytes (compressed bodies are not text). */
function rawBody(port: number, headers: Record<string, string>): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

const HTPASSWD = 'alice:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=\n'; // password "hello"

describe('middlewares through the gateway', () => {
  let gw: RunningGateway;
  let web: TestBackend;
  let canary: TestBackend;

  before(async () => {
    web = await startBackend('web');
    canary = await startBackend('web-v2');
    const site = (name: string, annotations: Record<string, string>, path = '/', pathType = 'Prefix') =>
      ingressYaml({ name, host: `${name}.test`, paths: [{ path, pathType, service: 'web' }], annotations });
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': [serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }), serviceYaml({ name: 'web-v2', endpoints: [['127.0.0.1', canary.port]] })].join('---\n'),
      'secret.yaml': stringify({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'htpasswd', namespace: 'default' }, stringData: { auth: HTPASSWD } }),
      'ing.yaml': [
        site('ip', { 'tideway.dev/allow-source-range': '10.0.0.0/8' }),
        site('auth', { 'tideway.dev/auth-basic-secret': 'htpasswd' }),
        site('limit', { 'tideway.dev/rate-limit-rps': '0.01', 'tideway.dev/rate-limit-burst': '1' }),
        site('cors', { 'tideway.dev/cors-allow-origin': 'https://app.test' }),
        site('gzip', { 'tideway.dev/enable-compression': 'true' }),
        site('rewrite', { 'tideway.dev/use-regex': 'true', 'tideway.dev/rewrite-target': '/$2' }, '/api(/|$)(.*)', 'ImplementationSpecific'),
        site('canary', { 'tideway.dev/canary-backend': 'web-v2:80', 'tideway.dev/canary-by-header': 'X-Canary' }),
        site('closed', { 'tideway.dev/middlewares': 'missing' }),
      ].join('---\n'),
    });
  });
  after(async () => {
    await gw?.close();
    await web?.close();
    await canary?.close();
  });

  const get = (host: string, path = '/', headers: Record<string, string> = {}, method = 'GET') => request(gw.port, { method, path, headers: { host, ...headers } });

  it('ip-filter refuses clients outside the allow list', async () => {
    assert.equal((await get('ip.test')).status, 403);
  });

  it('basic auth: 401 with the challenge, then through with credentials', async () => {
    const refused = await get('auth.test');
    assert.equal(refused.status, 401);
    assert.match(String(refused.headers['www-authenticate']), /^Basic realm=/);
    assert.equal((await get('auth.test', '/', { authorization: `Basic ${Buffer.from('alice:hello').toString('base64')}` })).status, 200);
  });

  it('rate limiting answers 429 with Retry-After', async () => {
    assert.equal((await get('limit.test')).status, 200);
    const limited = await get('limit.test');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });

  it('CORS preflights are answered at the gateway', async () => {
    const before = web.received.length;
    const preflight = await get('cors.test', '/', { origin: 'https://app.test', 'access-control-request-method': 'PUT' }, 'OPTIONS');
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.test');
    assert.equal(web.received.length, before);
  });

  it('compression: the client gets gzip that decodes to the upstream body', async () => {
    web.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('compress me '.repeat(1000));
    };
    try {
      const { headers, body } = await rawBody(gw.port, { host: 'gzip.test', 'accept-encoding': 'gzip' });
      assert.equal(headers['content-encoding'], 'gzip');
      assert.equal(gunzipSync(body).toString(), 'compress me '.repeat(1000));
    } finally {
      web.handler = null;
    }
  });

  it('rewrite-target with regex captures changes the path the backend sees', async () => {
    await get('rewrite.test', '/api/users?page=2');
    assert.equal(web.received.at(-1)!.url, '/users?page=2');
  });

  it('canary by header goes to the canary Service', async () => {
    const response = await get('canary.test', '/', { 'x-canary': 'always' });
    assert.equal(response.headers['x-backend'], 'web-v2');
  });

  it('an Ingress whose Middleware is missing fails closed with 503', async () => {
    const before = web.received.length;
    assert.equal((await get('closed.test')).status, 503);
    assert.equal(web.received.length, before);
  });
});
