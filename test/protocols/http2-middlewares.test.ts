// Route middleware chains run for HTTP/2 streams as for HTTP/1.1 (one request model, DESIGN.md): an
// answer from a middleware (auth, IP list) stops the request before the upstream, the response phase
// edits the upstream's head (CORS), body transforms apply (compression), and gRPC calls get those
// answers as gRPC statuses. Without this, HTTP/2 would be a way around every middleware.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type http2 from 'node:http2';
import { gunzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { h2Connect, h2Request } from './support/h2.ts';

const HTPASSWD = 'alice:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=\n'; // password "hello"
const BASIC_ALICE = `Basic ${Buffer.from('alice:hello').toString('base64')}`;

describe('middlewares on HTTP/2 streams', () => {
  let gw: RunningGateway;
  let backend: TestBackend;
  let session: http2.ClientHttp2Session;

  before(async () => {
    backend = await startBackend('web');
    const site = (name: string, annotations: Record<string, string>) => ingressYaml({ name, host: `${name}.test`, paths: [{ path: '/', service: 'web' }], annotations });
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }),
      'secret.yaml': stringify({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'htpasswd', namespace: 'default' }, stringData: { auth: HTPASSWD } }),
      'ing.yaml': [
        site('auth', { 'tideway.dev/auth-basic-secret': 'htpasswd' }),
        site('ip', { 'tideway.dev/allow-source-range': '10.0.0.0/8' }),
        site('cors', { 'tideway.dev/cors-allow-origin': 'https://app.test' }),
        site('gzip', { 'tideway.dev/enable-compression': 'true' }),
      ].join('---\n'),
    });
    session = await h2Connect(gw.port);
  });
  after(async () => {
    session.close();
    await gw.close();
    await backend.close();
  });

  test('basic auth: 401 without credentials (the upstream is not called), 200 with them', async () => {
    backend.received.length = 0;
    const denied = await h2Request(session, { ':authority': 'auth.test', ':path': '/private' });
    assert.equal(denied.status, 401);
    assert.match(String(denied.headers['www-authenticate']), /^Basic/);
    assert.equal(backend.received.length, 0);
    const allowed = await h2Request(session, { ':authority': 'auth.test', ':path': '/private', authorization: BASIC_ALICE });
    assert.equal(allowed.status, 200);
    assert.equal(backend.received.length, 1);
  });

  test('a gRPC call refused by a middleware gets a gRPC status, not an HTTP error', async () => {
    const res = await h2Request(session, { ':method': 'POST', ':authority': 'auth.test', ':path': '/svc/Method', 'content-type': 'application/grpc', te: 'trailers' }, Buffer.alloc(5));
    assert.equal(res.status, 200);
    assert.equal(res.headers['grpc-status'], '16'); // UNAUTHENTICATED
    assert.equal(res.body, '');
  });

  test('source ranges: a client outside them is refused', async () => {
    assert.equal((await h2Request(session, { ':authority': 'ip.test', ':path': '/' })).status, 403);
  });

  test('the response phase edits the upstream head (CORS)', async () => {
    const res = await h2Request(session, { ':authority': 'cors.test', ':path': '/', origin: 'https://app.test' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], 'https://app.test');
    assert.equal(JSON.parse(res.body).url, '/');
  });

  test('a body transform applies (compression), without a stale content-length', async () => {
    const page = '<!doctype html><p>hello compression</p>\n'.repeat(200);
    backend.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) });
      res.end(page);
    };
    try {
      const stream = session.request({ ':authority': 'gzip.test', ':path': '/', 'accept-encoding': 'gzip' });
      const chunks: Buffer[] = [];
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
      stream.on('data', (c: Buffer) => chunks.push(c));
      await new Promise((resolve) => stream.on('end', resolve));
      assert.equal(headers['content-encoding'], 'gzip');
      assert.equal(headers['content-length'], undefined);
      assert.equal(gunzipSync(Buffer.concat(chunks)).toString(), page);
    } finally {
      backend.handler = null;
    }
  });
});
