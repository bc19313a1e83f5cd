// Client sockets of the plain listener read into one buffer shared by every connection
// (proxy/http1/shared-read-buffer.ts): the next read of any socket overwrites it. These tests pin down
// that node still builds accepted sockets the way the override relies on, and that request bodies
// arrive byte for byte wherever bytes outlive a read: upstreams that read slowly (writes wait), uploads
// side by side, pipelined and chunked uploads, kept-alive connections, a middleware that keeps the body
// (mirror), an upgrade after a POST, and Expect: 100-continue.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { installSharedReads, isSharedRead, readIntoFreshBuffers } from '../../src/proxy/http1/shared-read-buffer.ts';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { rawRequest } from '../support/raw-client.ts';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const answerFor = (body: Buffer): string => `${body.length} ${sha(body)}`;

/** A server with the override, and what its first connection's reads looked like. */
async function serverWithSharedReads(configure: (server: net.Server) => void = () => {}): Promise<{ server: net.Server; port: number; installed: boolean; reads: string[] }> {
  const reads: string[] = [];
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    socket.on('data', (chunk: Buffer) => {
      reads.push(chunk.toString('latin1'));
      if (reads.length === 1) readIntoFreshBuffers(socket);
      socket.write(isSharedRead(chunk) ? 'shared\n' : 'fresh\n');
    });
  });
  configure(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port, installed: installSharedReads(server), reads };
}

/** Writes `lines` one at a time and returns the server's one-line answers. */
async function exchangeLines(port: number, lines: string[]): Promise<string[]> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const answers: string[] = [];
  let text = '';
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('connect', () => socket.write(lines[0]!));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      let end: number;
      while ((end = text.indexOf('\n')) >= 0) {
        answers.push(text.slice(0, end));
        text = text.slice(end + 1);
        if (answers.length === lines.length) return resolve();
        socket.write(lines[answers.length]!);
      }
    });
  });
  socket.destroy();
  return answers;
}

describe('node builds accepted sockets as the shared read buffer needs', () => {
  test('reads land in the shared buffer, and in fresh ones once the socket asks', async () => {
    const { server, port, installed, reads } = await serverWithSharedReads();
    try {
      assert.equal(installed, true, 'net.Server still has a listening handle with onconnection');
      const answers = await exchangeLines(port, ['one', 'two', 'three']);
      // If node stops honouring onread with handle, the first answer says "fresh" and this fails.
      assert.deepEqual(answers, ['shared', 'fresh', 'fresh']);
      assert.deepEqual(reads, ['one', 'two', 'three']);
      const connections = await new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
      assert.ok(connections <= 1, 'the server counts the connection and forgets it once closed');
    } finally {
      server.close();
    }
  });

  test('a server with a connection limit keeps node\'s own accept path (fresh buffers)', async () => {
    const { server, port, installed } = await serverWithSharedReads((s) => (s.maxConnections = 10));
    try {
      assert.equal(installed, true);
      assert.deepEqual(await exchangeLines(port, ['one']), ['fresh']);
    } finally {
      server.close();
    }
  });

  test('a server that is not listening is left alone', () => {
    assert.equal(installSharedReads(net.createServer()), false);
  });
});

/** Reads each request body slowly (pauses now and then), so the gateway's upstream writes wait. */
function slowly(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    if (chunks.length % 4 === 1) {
      req.pause();
      setTimeout(() => req.resume(), 15);
    }
  });
  req.on('end', () => res.end(answerFor(Buffer.concat(chunks))));
}

/** A POST through a fresh connection (or `agent`); resolves with the status and the answer. */
function upload(port: number, host: string, body: Buffer, options: { agent?: http.Agent | false; chunked?: boolean; expectContinue?: boolean } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { host };
    if (!options.chunked) headers['content-length'] = body.length;
    if (options.expectContinue) headers.expect = '100-continue';
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/up', agent: options.agent ?? false, headers }, (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const send = (): void => {
      if (!options.chunked) return void req.end(body);
      // Uneven pieces, so chunk boundaries fall anywhere in the gateway's reads.
      for (let i = 0, n = 1; i < body.length; i += n, n = (n * 7 + 13) % 20_000 + 1) req.write(body.subarray(i, i + n));
      req.end();
    };
    if (options.expectContinue) req.on('continue', send);
    else send();
  });
}

describe('request bodies through the shared read buffer', () => {
  let fast: TestBackend;
  let slow: TestBackend;
  let mirror: TestBackend;
  let tunnelUpstream: net.Server;
  const mirrored: Buffer[] = [];
  let holdTunnel: Promise<void> | null = null;
  let mirrorWaiters: (() => void)[] = [];
  let gw: RunningGateway;

  before(async () => {
    fast = await startBackend('fast');
    fast.handler = (_req, res, received) => res.end(answerFor(received));
    slow = await startBackend('slow');
    slow.server.removeAllListeners('request');
    slow.server.on('request', slowly);
    mirror = await startBackend('mirror');
    mirror.handler = (_req, res, received) => {
      mirrored.push(received);
      for (const wake of mirrorWaiters) wake();
      mirrorWaiters = [];
      res.end();
    };
    // Answers a POST with its body's hash, an upgrade with 101, then echoes every byte.
    tunnelUpstream = net.createServer((socket) => {
      let data = Buffer.alloc(0);
      let tunnel = false;
      socket.on('data', (chunk: Buffer) => {
        if (tunnel) {
          socket.write(chunk);
          if (holdTunnel !== null) {
            // Stops reading until the test lets go: the gateway's writes to it wait while other reads go on.
            socket.pause();
            void holdTunnel.then(() => socket.resume());
            holdTunnel = null;
          }
          return;
        }
        data = Buffer.concat([data, chunk]);
        for (;;) {
          const end = data.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = data.subarray(0, end).toString('latin1');
          const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          if (data.length < end + 4 + length) return;
          const body = data.subarray(end + 4, end + 4 + length);
          data = data.subarray(end + 4 + length);
          if (/^upgrade:/im.test(head)) {
            tunnel = true;
            socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
            if (data.length > 0) socket.write(data);
            return;
          }
          const answer = answerFor(body);
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${answer.length}\r\n\r\n${answer}`);
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => tunnelUpstream.listen(0, '127.0.0.1', resolve));
    const tunnelPort = (tunnelUpstream.address() as net.AddressInfo).port;
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'fast.yaml': serviceYaml({ name: 'fast', endpoints: [['127.0.0.1', fast.port]] }),
      'slow.yaml': serviceYaml({ name: 'slow', endpoints: [['127.0.0.1', slow.port]] }),
      'echo.yaml': serviceYaml({ name: 'echo', endpoints: [['127.0.0.1', tunnelPort]] }),
      'ing.yaml': ingressYaml({ name: 'fast', host: 'fast.test', paths: [{ path: '/', service: 'fast' }] }),
      'slow-ing.yaml': ingressYaml({ name: 'slow', host: 'slow.test', paths: [{ path: '/', service: 'slow' }] }),
      'echo-ing.yaml': ingressYaml({ name: 'echo', host: 'echo.test', paths: [{ path: '/', service: 'echo' }] }),
      'mirror-ing.yaml': ingressYaml({
        name: 'mirrored', host: 'mirror.test', paths: [{ path: '/', service: 'slow' }],
        annotations: { 'nginx.ingress.kubernetes.io/mirror-target': `http://127.0.0.1:${mirror.port}/copy` },
      }),
    });
  });
  after(async () => {
    await gw.close();
    await fast.close();
    await slow.close();
    await mirror.close();
    await new Promise<void>((resolve) => tunnelUpstream.close(() => resolve()));
  });

  test('uploads side by side to an upstream that reads slowly arrive intact', async () => {
    // While one upload's bytes wait in a write to the slow upstream, the others' reads reuse the buffer.
    const bodies = [1024 * 1024, 16 * 1024, 3 * 1024 * 1024, 100_000, 16 * 1024, 1024 * 1024, 9_000, 500_000].map((n) => randomBytes(n));
    const results = await Promise.all(bodies.map((body, i) => upload(gw.port, i % 3 === 2 ? 'fast.test' : 'slow.test', body)));
    results.forEach((res, i) => assert.equal(res.text, answerFor(bodies[i]!), `upload ${i} (${bodies[i]!.length} bytes)`));
  });

  test('many 16 KiB uploads on kept-alive connections, side by side', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const bodies = Array.from({ length: 64 }, (_, i) => randomBytes(16 * 1024 + (i % 5) * 1000));
      const results = await Promise.all(bodies.map((body, i) => upload(gw.port, i % 2 === 0 ? 'slow.test' : 'fast.test', body, { agent })));
      results.forEach((res, i) => assert.equal(res.text, answerFor(bodies[i]!), `upload ${i}`));
    } finally {
      agent.destroy();
    }
  });

  test('chunked uploads side by side arrive intact', async () => {
    const bodies = [700_000, 40_000, 2 * 1024 * 1024].map((n) => randomBytes(n));
    const results = await Promise.all(bodies.map((body, i) => upload(gw.port, i === 1 ? 'fast.test' : 'slow.test', body, { chunked: true })));
    results.forEach((res, i) => assert.equal(res.text, answerFor(bodies[i]!), `chunked upload ${i}`));
  });

  test('pipelined uploads in one write, to an upstream that reads slowly, stay framed', async () => {
    const bodies = [randomBytes(300_000), randomBytes(20_000), randomBytes(9_000)];
    const wire = Buffer.concat(bodies.flatMap((body) => [Buffer.from(`POST /up HTTP/1.1\r\nHost: slow.test\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
    // Meanwhile other connections' reads go through the same buffer.
    const others = Promise.all([randomBytes(200_000), randomBytes(50_000)].map(async (body) => ({ body, res: await upload(gw.port, 'slow.test', body) })));
    const expected = bodies.map(answerFor);
    const done = (data: string): boolean => expected.every((e) => data.includes(e));
    const got = await rawRequest(gw.port, wire, { until: done, timeoutMs: 20_000 });
    assert.ok(done(got.data), 'every pipelined upload answered with its own hash');
    assert.ok(got.data.indexOf(expected[0]!) < got.data.indexOf(expected[1]!) && got.data.indexOf(expected[1]!) < got.data.indexOf(expected[2]!), 'in request order');
    for (const { body, res } of await others) assert.equal(res.text, answerFor(body));
  });

  test('a middleware that keeps the body (a mirror) sends the same bytes as the upstream gets', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(20_000 + i * 7_000));
    const results = await Promise.all(bodies.map((body) => upload(gw.port, 'mirror.test', body)));
    results.forEach((res, i) => assert.equal(res.text, answerFor(bodies[i]!), `upload ${i}`));
    for (let i = 0; i < 100 && mirrored.length < bodies.length; i++) await new Promise<void>((resolve) => mirrorWaiters.push(resolve));
    assert.deepEqual(mirrored.map(sha).sort(), bodies.map(sha).sort(), 'the mirror got every body intact');
  });

  test('a connection whose first bytes arrive one by one is sniffed from a copy, not from the shared buffer', async () => {
    const body = randomBytes(20_000);
    const socket = net.connect({ host: '127.0.0.1', port: gw.port });
    let text = '';
    const answered = new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes(answerFor(body))) resolve();
      });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`closed after ${JSON.stringify(text.slice(0, 60))}`)));
    });
    try {
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      // Too short to tell HTTP/1.1 from the HTTP/2 preface: the listener keeps it while others read.
      socket.write('P');
      const other = randomBytes(100_000);
      assert.equal((await upload(gw.port, 'fast.test', other)).text, answerFor(other));
      socket.write(Buffer.concat([Buffer.from(`OST /up HTTP/1.1\r\nHost: fast.test\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
      await answered;
    } finally {
      socket.destroy();
    }
  });

  test('Expect: 100-continue uploads arrive intact', async () => {
    const bodies = [randomBytes(200_000), randomBytes(16 * 1024)];
    const results = await Promise.all(bodies.map((body) => upload(gw.port, 'slow.test', body, { expectContinue: true })));
    results.forEach((res, i) => assert.equal(res.text, answerFor(bodies[i]!), `upload ${i}`));
  });

  test('an upgrade after a POST on the same connection tunnels every byte', async () => {
    const body = randomBytes(50_000);
    const socket = net.connect({ host: '127.0.0.1', port: gw.port });
    const received: Buffer[] = [];
    let total = 0;
    let check: () => void = () => {};
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      total += chunk.length;
      check();
    });
    const until = (ready: () => boolean): Promise<void> => new Promise((resolve, reject) => {
      socket.once('error', reject);
      check = () => {
        if (ready()) resolve();
      };
      check();
    });
    try {
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(Buffer.concat([Buffer.from(`POST /up HTTP/1.1\r\nHost: echo.test\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
      await until(() => Buffer.concat(received).includes(answerFor(body)));
      const mark = total;
      let letGo = (): void => {};
      holdTunnel = new Promise<void>((resolve) => (letGo = resolve));
      // Tunnel bytes right behind the upgrade request, in the same write, then more in pieces.
      const first = randomBytes(30_000);
      socket.write(Buffer.concat([Buffer.from('GET /ws HTTP/1.1\r\nHost: echo.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n'), first]));
      const rest = randomBytes(24 * 1024 * 1024);
      for (let i = 0; i < rest.length; i += 64 * 1024) socket.write(rest.subarray(i, i + 64 * 1024));
      // Other connections' reads while the tunnel's bytes wait in the gateway's writes to the upstream.
      const others = [randomBytes(300_000), randomBytes(16 * 1024), randomBytes(1024 * 1024)];
      const answers = await Promise.all(others.map((other) => upload(gw.port, 'fast.test', other)));
      answers.forEach((res, i) => assert.equal(res.text, answerFor(others[i]!)));
      letGo();
      const expected = Buffer.concat([first, rest]);
      let tunnelled = Buffer.alloc(0);
      await until(() => {
        if (total < mark + expected.length) return false;
        const all = Buffer.concat(received);
        const headEnd = all.indexOf('\r\n\r\n', all.indexOf('101 Switching Protocols', mark));
        tunnelled = all.subarray(headEnd + 4);
        return tunnelled.length >= expected.length;
      });
      assert.equal(tunnelled.length, expected.length);
      assert.equal(sha(tunnelled), sha(expected), 'every tunnelled byte came back intact');
    } finally {
      socket.destroy();
    }
  });
});
