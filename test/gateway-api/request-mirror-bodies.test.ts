// RequestMirror of requests with a body, through the gateway (files): the copy carries the same body
// (HTTP/1.1 with Content-Length and chunked, HTTP/2 to an HTTP/1.1 and to an h2c backend), bodies over
// the 64 KiB limit are not mirrored, and the real request is unaffected by a mirror that hangs or fails.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';
import { h2Connect, h2Request } from '../protocols/support/h2.ts';

const ref = (name: string) => ({ name, port: 80 });
const mirrorRule = (path: string, backend: string, mirrors: string[]) => ({
  matches: [{ path: { value: path } }],
  backendRefs: [ref(backend)],
  filters: mirrors.map((m) => ({ type: 'RequestMirror', requestMirror: { backendRef: ref(m) } })),
});

/** Waits until `check` holds, polling every 10 ms for up to 5 s (copies arrive after the answer). */
async function eventually(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A chunked HTTP/1.1 POST (no Content-Length), written in pieces. */
function chunkedPost(port: number, path: string, pieces: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, agent: false, headers: { host: 'mirror.test' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

describe('RequestMirror of requests with a body (files)', () => {
  let gw: RunningGateway;
  let web: TestBackend;
  let copies: TestBackend;
  let hanging: TestBackend;
  let h2web: http2.Http2Server;
  const h2Bodies: string[] = [];
  const h2Sessions = new Set<http2.ServerHttp2Session>();

  before(async () => {
    web = await startBackend('web');
    copies = await startBackend('copies');
    hanging = await startBackend('hanging');
    hanging.handler = () => {}; // reads the copy, never answers
    h2web = http2.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        h2Bodies.push(Buffer.concat(chunks).toString());
        res.end('h2 ok');
      });
    });
    h2web.on('session', (session) => h2Sessions.add(session));
    await new Promise<void>((resolve) => h2web.listen(0, '127.0.0.1', resolve));
    gw = await startGateway({
      'svc.yaml': [
        serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
        serviceYaml({ name: 'h2web', appProtocol: 'kubernetes.io/h2c', endpoints: [['127.0.0.1', (h2web.address() as net.AddressInfo).port]] }),
        serviceYaml({ name: 'copies', endpoints: [['127.0.0.1', copies.port]] }),
        serviceYaml({ name: 'hanging', endpoints: [['127.0.0.1', hanging.port]] }),
        serviceYaml({ name: 'dead', endpoints: [['127.0.0.1', 1]] }),
      ].join('---\n'),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'http', port: 80 }])),
      'routes.yaml': yamlDocs(httpRoute('mirror', {
        parentRefs: [{ name: 'gw' }],
        hostnames: ['mirror.test'],
        rules: [
          mirrorRule('/copy', 'web', ['copies']),
          mirrorRule('/h2', 'h2web', ['copies']),
          mirrorRule('/hang', 'web', ['hanging', 'dead', 'copies']),
        ],
      })),
    });
    assert.deepEqual(gw.gateway.currentDiagnostics.filter((d) => d.object === 'default/mirror'), []);
  });
  after(async () => {
    await gw?.close();
    for (const b of [web, copies, hanging]) await b?.close();
    for (const session of h2Sessions) session.destroy();
    await new Promise<void>((resolve) => (h2web ? h2web.close(() => resolve()) : resolve()));
  });

  const copyOf = (url: string) => copies.received.find((r) => r.url === url);
  const post = (path: string, body: string | Buffer) => request(gw.port, { method: 'POST', path, headers: { host: 'mirror.test', 'content-type': 'text/plain' }, body });

  it('HTTP/1.1 with Content-Length: the copy carries the same body, method and headers', async () => {
    const res = await post('/copy/len', 'hello mirror');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).bodyLength, 12, 'the backend got the whole body');
    await eventually('the copy', () => copyOf('/copy/len') !== undefined);
    const copy = copyOf('/copy/len')!;
    assert.equal(copy.method, 'POST');
    assert.equal(copy.body.toString(), 'hello mirror');
    assert.equal(copy.headers['content-type'], 'text/plain');
    assert.equal(copy.headers.host, 'mirror.test-shadow');
  });

  it('HTTP/1.1 chunked: the copy carries the reassembled body', async () => {
    const res = await chunkedPost(gw.port, '/copy/chunked', ['one,', 'two,', 'three']);
    assert.equal(res.status, 200);
    await eventually('the copy', () => copyOf('/copy/chunked') !== undefined);
    assert.equal(copyOf('/copy/chunked')!.body.toString(), 'one,two,three');
    assert.equal(web.received.find((r) => r.url === '/copy/chunked')!.body.toString(), 'one,two,three');
  });

  it('HTTP/2 clients, to an HTTP/1.1 and to an h2c backend: the copy carries the body', async () => {
    const session = await h2Connect(gw.port);
    try {
      const toH1 = await h2Request(session, { ':path': '/copy/h2', ':authority': 'mirror.test' }, 'from h2');
      assert.equal(toH1.status, 200);
      const toH2 = await h2Request(session, { ':path': '/h2/x', ':authority': 'mirror.test' }, 'h2 to h2c');
      assert.equal(toH2.status, 200);
      assert.equal(toH2.body, 'h2 ok');
    } finally {
      session.close();
    }
    assert.deepEqual(h2Bodies, ['h2 to h2c']);
    await eventually('both copies', () => copyOf('/copy/h2') !== undefined && copyOf('/h2/x') !== undefined);
    assert.equal(copyOf('/copy/h2')!.body.toString(), 'from h2');
    assert.equal(copyOf('/h2/x')!.body.toString(), 'h2 to h2c');
  });

  it('a body over 64 KiB reaches the backend whole and is not mirrored', async () => {
    const big = Buffer.alloc(100 * 1024, 'b');
    const res = await post('/copy/big', big);
    assert.equal(JSON.parse(res.body).bodyLength, big.length);
    const chunked = await chunkedPost(gw.port, '/copy/big-chunked', [big.toString(), 'tail']);
    assert.equal(chunked.status, 200);
    // A small request after them: once its copy is in, the big ones would have been too.
    await post('/copy/after-big', 'small');
    await eventually('the small copy', () => copyOf('/copy/after-big') !== undefined);
    assert.equal(copyOf('/copy/big'), undefined);
    assert.equal(copyOf('/copy/big-chunked'), undefined);
    assert.equal(web.received.find((r) => r.url === '/copy/big-chunked')!.body.length, big.length + 4);
  });

  it('a mirror that never answers and one that refuses delay nothing, and the other mirror still gets its copy', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await post(`/hang/${i}`, `body ${i}`);
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).bodyLength, 6);
    }
    await eventually('copies at both mirrors', () => hanging.received.length === 3 && copyOf('/hang/2') !== undefined);
    assert.deepEqual(hanging.received.map((r) => r.body.toString()), ['body 0', 'body 1', 'body 2']);
  });
});
