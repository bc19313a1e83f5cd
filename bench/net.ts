// Small loopback helpers: free ports, waiting for a listener, one-shot HTTP requests for checks.
import { createServer, connect } from 'node:net';
import { request } from 'node:http';

export const LOOPBACK = '127.0.0.1';

/** A port the kernel just handed out; the caller binds it right away (the race is harmless on loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function pollUntil(what: string, deadlineMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, LOOPBACK);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface SimpleResponse {
  status: number;
  body: Buffer;
}

export function httpRequest(port: number, method: string, path: string, body?: Buffer, extraHeaders: Readonly<Record<string, string>> = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...extraHeaders, connection: 'close' };
    if (body) headers['content-length'] = body.length;
    const req = request({ host: LOOPBACK, port, method, path, headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} on port ${port}: timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}
