// HTTP/2 sessions whose client has gone are released at once, on the plain (h2c) and the TLS port,
// whatever their streams are doing: finished (curl exits after one GET), waiting for a hanging backend,
// or holding a response back because the client's flow-control window is shut. A client that only
// half-closes (FIN, still reading) is gone too: HTTP/2 has no half-closed connections. The active
// connections gauge goes down, and a drain does not wait for sessions nobody is at the other end of.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http2 from 'node:http2';
import net from 'node:net';
import { once } from 'node:events';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { waitFor } from '../support/cli-process.ts';
import { CertificateFactory } from '../translate/certs.ts';
import { tlsSecretYaml } from './support/tls.ts';
import { getHeaders, frame, FRAME } from './support/raw-h2.ts';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** Larger than any window the gateway and the client open by default: the response must block. */
const BIG = 8 * 1024 * 1024;

async function http2Gauge(adminPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const match = /^tideway_active_connections\{protocol="HTTP\/2"\} (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

describe('HTTP/2 sessions are released as soon as their client is gone', () => {
  let gw: RunningGateway;
  let backend: TestBackend;
  let httpsPort: number;
  let ca: string;
  let bigSent = 0;

  before(async () => {
    backend = await startBackend('web');
    backend.handler = (req, res) => {
      if (req.url === '/hang') return; // never answers
      if (req.url === '/big') {
        bigSent++;
        res.writeHead(200, { 'content-length': BIG });
        res.end(Buffer.alloc(BIG, 1));
        return;
      }
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    };
    const pair = new CertificateFactory().create('web.test');
    ca = pair.certPem;
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }),
      'secret.yaml': tlsSecretYaml('web', pair),
      'ing.yaml': ingressYaml({
        name: 'web', host: 'web.test', paths: [{ path: '/', service: 'web' }], tls: [{ hosts: ['web.test'], secretName: 'web' }],
        annotations: { 'tideway.dev/ssl-redirect': 'false', 'tideway.dev/proxy-read-timeout': '60s' },
      }),
    }, ['--https-port', '0']);
    httpsPort = gw.gateway.ports!.https!;
  });
  after(async () => {
    await gw.close();
    await backend.close();
  });

  const released = (what: string): Promise<void> => waitFor(async () => (await http2Gauge(gw.adminPort)) === 0, 5000, `${what}: HTTP/2 session released`);

  test('one curl --http2-prior-knowledge GET on the plain port leaves no session behind', async () => {
    const out = await new Promise<string>((resolve, reject) => execFile('curl', ['-sS', '--http2-prior-knowledge', '-H', 'Host: web.test', `http://127.0.0.1:${gw.port}/`], { timeout: 10_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))));
    assert.equal(out, 'ok');
    await released('curl h2c');
  });

  for (const port of ['plain', 'TLS'] as const) {
    const connect = (): http2.ClientHttp2Session => port === 'plain'
      ? http2.connect(`http://127.0.0.1:${gw.port}`)
      : http2.connect(`https://127.0.0.1:${httpsPort}`, { ca, servername: 'web.test' });

    test(`${port}: a client gone while its response is held back by flow control`, async () => {
      const sentBefore = bigSent;
      const session = connect();
      const stream = session.request({ ':authority': 'web.test', ':path': '/big' });
      await once(stream, 'response');
      // The client never reads: the gateway's window to it fills and the response cannot finish.
      stream.pause();
      await waitFor(() => bigSent > sentBefore, 5000, 'backend sent its body');
      assert.equal(await http2Gauge(gw.adminPort), 1);
      session.destroy();
      await released(`${port} flow-control-blocked`);
    });

    test(`${port}: a client gone while its stream waits for a hanging backend`, async () => {
      const session = connect();
      const stream = session.request({ ':authority': 'web.test', ':path': '/hang' });
      stream.on('error', () => {});
      await waitFor(async () => (await http2Gauge(gw.adminPort)) === 1, 5000, 'session open');
      session.destroy();
      await released(`${port} hanging backend`);
    });
  }

  test('plain: a client that half-closes (FIN after its request, still reading) does not keep the session', async () => {
    const socket = net.connect(gw.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0), getHeaders(1, 'web.test', '/big')]));
    await waitFor(async () => (await http2Gauge(gw.adminPort)) === 1, 5000, 'session open');
    socket.end();
    await released('half-closed client');
    socket.destroy();
  });

  test('a drain does not wait for a session whose client left with a blocked response', async (t) => {
    const session = http2.connect(`http://127.0.0.1:${gw.port}`);
    const stream = session.request({ ':authority': 'web.test', ':path': '/big' });
    await once(stream, 'response');
    stream.pause();
    session.destroy();
    const started = Date.now();
    await gw.gateway.stop(20_000);
    const took = Date.now() - started;
    t.diagnostic(`drain took ${took} ms`);
    assert.ok(took < 10_000, `the drain waited ${took} ms for a session whose client is gone`);
  });
});
