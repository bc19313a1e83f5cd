// HTTP/2 from clients (h2c with prior knowledge on the plain port) proxied to HTTP/1.1 upstreams:
// request translation, bodies both ways with flow control, trailers, errors, limits, the rapid-reset
// guard, one record per stream for the observer, and GOAWAY on shutdown.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type http2 from 'node:http2';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { closedPort } from '../support/ports.ts';
import type { RequestObserver, RequestRecord } from '../../src/proxy/observer.ts';
import { h2Connect, h2Request } from './support/h2.ts';
import { connectRawH2, getHeaders, goawayCode, rstStream, FRAME } from './support/raw-h2.ts';

describe('HTTP/2 to HTTP/1.1 upstreams', () => {
  let gw: RunningGateway;
  let backend: TestBackend;
  let session: http2.ClientHttp2Session;
  const records: RequestRecord[] = [];
  const observer: RequestObserver = { enabled: true, onRequestEnd: (r) => void records.push(r) };

  before(async () => {
    backend = await startBackend('web');
    const dead = await closedPort();
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': [
        serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }),
        serviceYaml({ name: 'dead', endpoints: [['127.0.0.1', dead]] }),
        serviceYaml({ name: 'empty', endpoints: [] }),
      ].join('---\n'),
      'ing.yaml': [
        ingressYaml({ name: 'web', host: 'web.test', paths: [{ path: '/', service: 'web' }] }),
        ingressYaml({ name: 'slow', host: 'slow.test', paths: [{ path: '/', service: 'web' }], annotations: { 'tideway.dev/proxy-read-timeout': '200ms' } }),
        ingressYaml({ name: 'small', host: 'small.test', paths: [{ path: '/', service: 'web' }], annotations: { 'tideway.dev/proxy-body-size': '1k' } }),
        ingressYaml({ name: 'dead', host: 'dead.test', paths: [{ path: '/', service: 'dead' }] }),
        ingressYaml({ name: 'empty', host: 'empty.test', paths: [{ path: '/', service: 'empty' }] }),
      ].join('---\n'),
    }, [], observer);
    session = await h2Connect(gw.port);
  });
  after(async () => {
    session.close();
    await gw.close();
    await backend.close();
  });

  test('the request reaches the upstream as HTTP/1.1: Host from :authority, cookies joined, forwarding headers', async () => {
    backend.received.length = 0;
    const res = await h2Request(session, { ':authority': 'web.test', ':path': '/a/b?c=d', cookie: ['one=1', 'two=2'], 'x-custom': 'v' });
    assert.equal(res.status, 200);
    const seen = backend.received[0]!;
    assert.equal(seen.url, '/a/b?c=d');
    assert.equal(seen.headers.host, 'web.test');
    assert.equal(seen.headers.cookie, 'one=1; two=2');
    assert.equal(seen.headers['x-custom'], 'v');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], 'web.test');
    assert.equal(seen.headers['x-forwarded-port'], String(gw.port));
    assert.ok(seen.headers['x-request-id']);
    assert.ok(!seen.rawHeaders.some((name) => name.startsWith(':')));
  });

  test('request bodies: with content-length as is, without it chunked upstream', async () => {
    backend.received.length = 0;
    const withLength = await h2Request(session, { ':authority': 'web.test', ':path': '/len', ':method': 'POST', 'content-length': '5' }, 'hello');
    assert.equal(JSON.parse(withLength.body).bodyLength, 5);
    const streamed = await h2Request(session, { ':authority': 'web.test', ':path': '/chunked', ':method': 'POST' }, Buffer.alloc(300_000, 1));
    assert.equal(JSON.parse(streamed.body).bodyLength, 300_000);
    assert.equal(backend.received[1]!.headers['transfer-encoding'], 'chunked');
  });

  test('large bodies both ways keep their bytes (flow control end to end)', async () => {
    const size = 4 * 1024 * 1024;
    backend.handler = (_req, res, body) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.concat([body, body]));
    };
    try {
      const res = await h2Request(session, { ':authority': 'web.test', ':path': '/big', ':method': 'POST' }, Buffer.alloc(size, 9));
      assert.equal(res.status, 200);
      assert.equal(Buffer.byteLength(res.body, 'latin1'), 2 * size);
    } finally {
      backend.handler = null;
    }
  });

  test('response fields: repeated Set-Cookie kept apart, hop-by-hop dropped, trailers relayed', async () => {
    backend.handler = (_req, res) => {
      res.writeHead(200, { 'set-cookie': ['a=1', 'b=2'], 'keep-alive': 'timeout=5', trailer: 'x-checksum' });
      res.write('part');
      res.addTrailers({ 'x-checksum': 'abc' });
      res.end();
    };
    try {
      const res = await h2Request(session, { ':authority': 'web.test', ':path': '/trailers' });
      assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
      assert.equal(res.headers['keep-alive'], undefined);
      assert.equal(res.body, 'part');
      assert.equal(res.trailers?.['x-checksum'], 'abc');
    } finally {
      backend.handler = null;
    }
  });

  test('response fields: names lower-cased, Connection-listed ones dropped, repeats of a single-value field combined; status recorded', async () => {
    const answer = (repeat: boolean): TestBackend['handler'] => (_req, res) => {
      // Raw pairs keep the upstream's own spelling and repeats.
      const head: [string, string][] = [['X-Mixed-Case', 'kept'], ['Connection', 'x-private'], ['X-Private', 'hop'], ['Content-Language', 'en']];
      if (repeat) head.push(['Content-Language', 'de']);
      res.writeHead(201, head.flat());
      res.end('made');
    };
    try {
      for (const repeat of [false, true]) {
        backend.handler = answer(repeat);
        records.length = 0;
        const res = await h2Request(session, { ':authority': 'web.test', ':path': `/fields/${repeat}` });
        assert.equal(res.status, 201);
        assert.equal(res.headers['x-mixed-case'], 'kept');
        assert.equal(res.headers['x-private'], undefined);
        // node:http2 refuses two content-language fields: they go as one, combined.
        assert.equal(res.headers['content-language'], repeat ? 'en, de' : 'en');
        assert.equal(res.body, 'made');
        const deadline = Date.now() + 2000;
        while (records.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
        assert.equal(records[0]?.status, 201);
      }
    } finally {
      backend.handler = null;
    }
  });

  test('errors are short plain-text answers: 404, 503, 502, 504, 413', async () => {
    const status = async (authority: string, body?: string): Promise<H2ResponseSummary> => {
      const res = await h2Request(session, { ':authority': authority, ':path': '/delay', ...(body === undefined ? {} : { ':method': 'POST' }) }, body);
      return { status: res.status, body: res.body, type: res.headers['content-type'] };
    };
    assert.deepEqual(await status('nowhere.test'), { status: 404, body: '404 Not Found\n', type: 'text/plain; charset=utf-8' });
    assert.equal((await status('empty.test')).status, 503);
    assert.equal((await status('dead.test')).status, 502);
    backend.handler = (_req, res) => void setTimeout(() => res.end('late'), 1000);
    try {
      assert.equal((await status('slow.test')).status, 504);
    } finally {
      backend.handler = null;
    }
    assert.equal((await status('small.test', 'x'.repeat(2000))).status, 413);
  });

  test('many concurrent streams on one session', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => h2Request(session, { ':authority': 'web.test', ':path': `/c/${i}` })));
    assert.ok(results.every((r) => r.status === 200));
    assert.deepEqual(new Set(results.map((r) => JSON.parse(r.body).url)).size, 60);
  });

  test('a header block over 16 KiB is refused and the session stays usable', async () => {
    const big = h2Request(session, { ':authority': 'web.test', ':path': '/big-header', 'x-big': 'a'.repeat(20_000) });
    await assert.rejects(big);
    assert.equal((await h2Request(session, { ':authority': 'web.test', ':path': '/after' })).status, 200);
  });

  test("the session's connection window is opened past HTTP/2's shared 64 KiB, streams keep the default", async () => {
    const fresh = await h2Connect(gw.port);
    // The WINDOW_UPDATE follows the gateway's SETTINGS; one exchange later it has been read.
    assert.equal((await h2Request(fresh, { ':authority': 'web.test', ':path': '/' })).status, 200);
    assert.equal(fresh.state.remoteWindowSize, 1024 * 1024);
    assert.equal(fresh.remoteSettings.initialWindowSize, 65535);
    fresh.close();
  });

  test('curl --http2-prior-knowledge', async () => {
    const out = await new Promise<string>((resolve, reject) => execFile('curl', ['-sS', '--max-time', '5', '--http2-prior-knowledge', '-H', 'Host: web.test', '-o', '/dev/null', '-w', '%{http_code} %{http_version}', `http://127.0.0.1:${gw.port}/curl`], (error, stdout) => (error ? reject(error) : resolve(stdout))));
    assert.equal(out, '200 2');
  });

  test('HTTP/1.1 on the same port is unaffected by the preface check', async () => {
    const out = await new Promise<string>((resolve, reject) => execFile('curl', ['-sS', '--max-time', '5', '-X', 'PUT', '-d', 'x', '-H', 'Host: web.test', '-o', '/dev/null', '-w', '%{http_code} %{http_version}', `http://127.0.0.1:${gw.port}/h1`], (error, stdout) => (error ? reject(error) : resolve(stdout))));
    assert.equal(out, '200 1.1');
  });

  test('the observer gets one HTTP/2 record per stream', async () => {
    records.length = 0;
    await h2Request(session, { ':authority': 'web.test', ':path': '/observed?x=1' });
    await h2Request(session, { ':authority': 'nowhere.test', ':path': '/missing' });
    const deadline = Date.now() + 2000;
    while (records.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const [ok, missing] = records;
    assert.equal(ok!.protocol, 'HTTP/2');
    assert.equal(ok!.path, '/observed');
    assert.equal(ok!.status, 200);
    assert.equal(ok!.route!.ingress, 'web');
    assert.equal(ok!.upstreamAddress, `127.0.0.1:${backend.port}`);
    assert.equal(missing!.status, 404);
    assert.equal(missing!.error, 'no-route');
  });

  test('a rapid-reset flood gets GOAWAY ENHANCE_YOUR_CALM and never reaches the upstream', async () => {
    backend.received.length = 0;
    const raw = await connectRawH2(gw.port);
    const frames: Buffer[] = [];
    for (let i = 0; i < 400; i++) frames.push(getHeaders(1 + 2 * i, 'web.test', '/flood'), rstStream(1 + 2 * i));
    raw.socket.write(Buffer.concat(frames));
    const goaway = await raw.waitFor((f) => f.type === FRAME.GOAWAY);
    assert.equal(goawayCode(goaway), 11);
    await raw.closed;
    assert.equal(backend.received.filter((r) => r.url === '/flood').length, 0);
    // Other clients are not affected.
    assert.equal((await h2Request(session, { ':authority': 'web.test', ':path': '/still-fine' })).status, 200);
  });
});

interface H2ResponseSummary {
  status: number;
  body: string;
  type: string | string[] | undefined;
}

describe('HTTP/2 shutdown', () => {
  test('stop() sends GOAWAY; the stream in flight completes', async () => {
    const backend = await startBackend('slow');
    backend.handler = (_req, res) => void setTimeout(() => res.end('finished'), 300);
    const gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }),
      'ing.yaml': ingressYaml({ name: 'web', host: 'web.test', paths: [{ path: '/', service: 'web' }] }),
    });
    try {
      const session = await h2Connect(gw.port);
      const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
      const inFlight = h2Request(session, { ':authority': 'web.test', ':path': '/slow' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stopped = gw.gateway.stop(5000);
      await goaway;
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(res.body, 'finished');
      await stopped;
      assert.equal(session.closed || session.destroyed, true);
    } finally {
      await gw.close().catch(() => {});
      await backend.close();
    }
  });
});
