// Idle keep-alive connections are lean: a connection holds an llhttp parser (about 2 KB of native
// memory) only while a message is on its way, and gives it back when it goes idle; a request split
// across reads, pipelined behind another, keeps its parser until its head is complete.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { webBackendFiles } from '../support/manifests.ts';
import { waitFor } from '../support/cli-process.ts';
import { IN_FLIGHT } from '../../src/proxy/http1/client-connection.ts';

describe('lean idle connections', () => {
  let gw: RunningGateway;
  let backend: TestBackend;

  before(async () => {
    backend = await startBackend('web');
    backend.handler = (req, res) => res.end(`ok ${req.url}`);
    gw = await startGateway(webBackendFiles(backend.port));
  });
  after(async () => {
    await gw.close();
    await backend.close();
  });

  /** A keep-alive connection that has sent `payload` and received `answers` answers. */
  async function connection(payload: string, answers: number): Promise<{ socket: net.Socket; data: () => string }> {
    const socket = net.connect(gw.port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    await once(socket, 'connect');
    socket.write(payload);
    await waitFor(() => (data.match(/HTTP\/1\.1 200/g) ?? []).length >= answers, 5000, `${answers} answers`);
    return { socket, data: () => data };
  }

  test('200 idle keep-alive connections hold no parser; the next request on each works', async () => {
    const before = IN_FLIGHT.inUse;
    const conns = [];
    for (let i = 0; i < 200; i++) conns.push(await connection(`GET /a${i} HTTP/1.1\r\nHost: x\r\n\r\n`, 1));
    await waitFor(() => IN_FLIGHT.inUse === before, 5000, 'parsers given back');
    assert.ok(IN_FLIGHT.size > 0, 'released parsers are kept for reuse');
    for (const [i, c] of conns.entries()) {
      c.socket.write(`GET /b${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await waitFor(() => c.data().includes(`ok /b${i}`), 5000, `second answer on connection ${i}`);
      c.socket.destroy();
    }
  });

  test('a pipelined request whose head is split across reads keeps its parser until it completes', async () => {
    const c = await connection('GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHo', 1);
    assert.match(c.data(), /ok \/first/);
    // The first exchange finished while the second head was half parsed: its parser must survive.
    await new Promise<void>((resolve) => setImmediate(resolve));
    c.socket.write('st: x\r\n\r\n');
    await waitFor(() => c.data().includes('ok /second'), 5000, 'the second answer');
    c.socket.destroy();
  });

  test('a large body read past llhttp, then idle: the parser goes back, the next request works', async () => {
    const before = IN_FLIGHT.inUse;
    const body = 'x'.repeat(256 * 1024);
    const c = await connection(`POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 1);
    await waitFor(() => IN_FLIGHT.inUse === before, 5000, 'parser given back after the body');
    c.socket.write('GET /after HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => c.data().includes('ok /after'), 5000, 'the next answer');
    c.socket.destroy();
  });

  test('a connection that sends nothing holds no parser', async () => {
    const before = IN_FLIGHT.inUse;
    const socket = net.connect(gw.port, '127.0.0.1');
    await once(socket, 'connect');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(IN_FLIGHT.inUse, before);
    socket.destroy();
  });
});
