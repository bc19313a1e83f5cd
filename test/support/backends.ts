// Real upstream servers for proxy tests: a node:http server that records what it received and answers
// with a JSON description, unless a test installs its own handler.
import http from 'node:http';
import type net from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export interface TestBackend {
  readonly port: number;
  readonly name: string;
  readonly server: http.Server;
  readonly received: ReceivedRequest[];
  /** Replaces the default JSON echo. */
  handler: ((req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void) | null;
  close(): Promise<void>;
}

/**
 * `listen` picks the loopback address (any of 127.0.0.0/8, so that several backends can share one port
 * on distinct addresses, as pods do) and port (default 127.0.0.1, a free port).
 */
export async function startBackend(name = 'backend', options: http.ServerOptions = {}, listen: { host?: string; port?: number } = {}): Promise<TestBackend> {
  const received: ReceivedRequest[] = [];
  const backend: TestBackend = {
    port: 0,
    name,
    server: null as unknown as http.Server,
    received,
    handler: null,
    close: () => new Promise<void>((resolve) => {
      backend.server.close(() => resolve());
      backend.server.closeAllConnections();
    }),
  };
  const server = http.createServer({ keepAliveTimeout: 30_000, ...options }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body });
      if (backend.handler !== null) return backend.handler(req, res, body);
      const payload = JSON.stringify({ backend: name, method: req.method, url: req.url, headers: req.headers, bodyLength: body.length });
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name });
      res.end(payload);
    });
  });
  (backend as { server: http.Server }).server = server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  (backend as { port: number }).port = (server.address() as net.AddressInfo).port;
  return backend;
}
