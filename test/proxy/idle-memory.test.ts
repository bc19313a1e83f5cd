// What an idle keep-alive connection costs: a gateway in its own process gets 2,000 plain or TLS
// connections that each made one request and stay open, and the heap it retains for them (after full collections) is
// divided by their number. A bare Node server that answers on a net.Socket retains about 850 bytes per
// connection on Node 22 (socket, stream states, handle); the gateway may keep little more than that:
// no parser, exchange, peer object or per-connection closure while idle (see proxy/http1/in-flight.ts).
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import type { GatewayPorts, HeapFigures } from '../support/idle-memory-gateway.ts';

/** Bytes of heap per idle HTTP/1.1 connection. Before in-flight state was pooled: 1,303-1,320; after: 1,122-1,138. */
const PLAIN_BOUND = 1200;
const CONNECTIONS = 2000;
/**
 * The same over TLS (a TLS socket wraps a TCP one). Before the TLS listener shared one close handler
 * across its raw sockets: 2,597; after: 2,140-2,144 (this count and warm-up; smaller counts carry more
 * of TLS's fixed costs per connection). The native side (OpenSSL, Node's TLS buffers) is not on the heap
 * and is far larger: see docs/benchmarks.md.
 */
const TLS_BOUND = 2400;
const TLS_CONNECTIONS = 2000;
/** Connections opened at a time: the upstream pool stays as small during the measurement as in the warm-up. */
const BATCH = 10;

describe('idle connection memory', () => {
  let child: ChildProcess;
  let ports: GatewayPorts;

  // A fresh gateway for each measurement: connections a previous one closed are not freed meanwhile.
  beforeEach(async () => {
    child = fork(path.join(import.meta.dirname, '../support/idle-memory-gateway.ts'), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    [ports] = (await once(child, 'message')) as [GatewayPorts];
  });
  afterEach(async () => {
    child.send('stop');
    await once(child, 'exit');
  });

  async function measure(): Promise<HeapFigures> {
    child.send('measure');
    const [figures] = (await once(child, 'message')) as [HeapFigures];
    return figures;
  }

  /** A connection that made one request and read its whole answer, left open and idle. */
  function idleConnection(secure: boolean): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket: net.Socket = secure
        ? tls.connect({ port: ports.https, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] })
        : net.connect(ports.http, '127.0.0.1');
      socket.once(secure ? 'secureConnect' : 'connect', () => socket.write('GET /idle HTTP/1.1\r\nHost: idle.test\r\n\r\n'));
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        if (!answer.endsWith('\r\n\r\nok')) return;
        socket.removeAllListeners('data');
        resolve(socket);
      });
      socket.on('error', reject);
    });
  }

  async function open(count: number, secure: boolean): Promise<net.Socket[]> {
    const sockets: net.Socket[] = [];
    for (let i = 0; i < count; i += BATCH) {
      sockets.push(...(await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, () => idleConnection(secure)))));
    }
    return sockets;
  }

  /** Heap bytes retained per idle connection, after a warm-up that compiles the paths and fills the pools. */
  async function perConnection(secure: boolean, count: number): Promise<number> {
    for (const socket of await open(500, secure)) socket.destroy();
    const before = await measure();
    const sockets = await open(count, secure);
    const after = await measure();
    for (const socket of sockets) socket.destroy();
    return (after.retained - before.retained) / count;
  }

  test(`${CONNECTIONS} idle HTTP/1.1 keep-alive connections retain at most ${PLAIN_BOUND} bytes of heap each`, async (t) => {
    const bytes = await perConnection(false, CONNECTIONS);
    t.diagnostic(`${bytes.toFixed(0)} bytes of heap per idle connection`);
    assert.ok(bytes <= PLAIN_BOUND, `${bytes.toFixed(0)} bytes of heap per idle connection (bound ${PLAIN_BOUND})`);
  });

  test(`${TLS_CONNECTIONS} idle HTTP/1.1-over-TLS connections retain at most ${TLS_BOUND} bytes of heap each`, async (t) => {
    const bytes = await perConnection(true, TLS_CONNECTIONS);
    t.diagnostic(`${bytes.toFixed(0)} bytes of heap per idle TLS connection`);
    assert.ok(bytes <= TLS_BOUND, `${bytes.toFixed(0)} bytes of heap per idle TLS connection (bound ${TLS_BOUND})`);
  });
});
