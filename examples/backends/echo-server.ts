// A demo backend: answers every request with JSON describing what it received, so you can see what the
// gateway forwarded (path, headers such as X-Forwarded-For, which backend answered).
//
//   node examples/backends/echo-server.ts --name web-1 --port 18081
//
// Paths ending in /status/<code> answer with that status (e.g. /api/status/503), paths ending in
// /delay/<ms> answer after that many milliseconds (e.g. /delay/1500). With --port 0 it picks a free port.
// Either way it prints {"listening": <port>} as one JSON line on stdout once it accepts connections.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

export interface EchoServerOptions {
  /** Shown in every answer and in the X-Backend header, so you can tell endpoints apart. */
  name: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface EchoServer {
  readonly port: number;
  close(): Promise<void>;
}

const MAX_DELAY_MS = 60_000;
const STATUS_PATH = /\/status\/([^/]*)$/;
const DELAY_PATH = /\/delay\/([^/]*)$/;

export async function startEchoServer(options: EchoServerOptions): Promise<EchoServer> {
  const server = createServer((req, res) => handle(options.name, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server) };
}

function handle(name: string, req: IncomingMessage, res: ServerResponse): void {
  let bodyLength = 0;
  req.on('data', (chunk: Buffer) => { bodyLength += chunk.length; });
  req.on('error', () => {}); // the client went away; nothing to answer
  req.on('end', () => {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0]!;
    const echo = {
      backend: name,
      method: req.method,
      url,
      path,
      httpVersion: req.httpVersion,
      headers: req.headers,
      bodyLength,
      remoteAddress: req.socket.remoteAddress,
    };
    const status = STATUS_PATH.exec(path);
    const delay = DELAY_PATH.exec(path);
    if (status) {
      const code = Number(status[1]);
      if (!Number.isInteger(code) || code < 200 || code > 599) return send(res, name, 400, { error: `status must be a number from 200 to 599, got "${status[1]}"` });
      return send(res, name, code, echo);
    }
    if (delay) {
      const ms = Number(delay[1]);
      if (!Number.isInteger(ms) || ms < 0 || ms > MAX_DELAY_MS) return send(res, name, 400, { error: `delay must be a number of milliseconds from 0 to ${MAX_DELAY_MS}, got "${delay[1]}"` });
      const timer = setTimeout(() => send(res, name, 200, echo), ms);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    send(res, name, 200, echo);
  });
}

function send(res: ServerResponse, name: string, status: number, body: unknown): void {
  const noBody = status === 204 || status === 304 || res.req.method === 'HEAD';
  const json = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': status === 204 || status === 304 ? 0 : Buffer.byteLength(json),
    'x-backend': name,
  });
  res.end(noBody ? undefined : json);
}

async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections(); // keep-alive connections would otherwise hold close() open
  await closed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string', default: 'echo' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`echo-server: --port must be a port number from 0 to 65535, got "${values.port}"\n`);
    process.exit(2);
  }
  const server = await startEchoServer({ name: values.name, port, host: values.host });
  process.stdout.write(`${JSON.stringify({ listening: server.port })}\n`);
  const stop = () => { void server.close().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`echo-server: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
