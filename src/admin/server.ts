// The admin listener (DESIGN.md contract): /healthz (alive), /readyz (first snapshot served, and not
// draining), plus whatever other rooms register (/metrics, /api/...). Plain node:http: this port is not
// on the hot path.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../lib/node-http.ts';
import type net from 'node:net';

export interface AdminResponse {
  status: number;
  contentType: string;
  body: string | Buffer;
}

export type AdminHandler = (url: URL, req: IncomingMessage) => AdminResponse | Promise<AdminResponse>;

export interface ReadinessSource {
  /** True once the first full snapshot is being served. */
  readonly ready: boolean;
  /** True once shutdown began: readiness fails so load balancers stop sending. */
  readonly draining: boolean;
}

export function text(status: number, body: string): AdminResponse {
  return { status, contentType: 'text/plain; charset=utf-8', body: body.endsWith('\n') ? body : `${body}\n` };
}

export function json(status: number, value: unknown): AdminResponse {
  return { status, contentType: 'application/json', body: `${JSON.stringify(value, null, 2)}\n` };
}

export class AdminServer {
  readonly server: Server;
  private readonly handlers = new Map<string, AdminHandler>();

  constructor(readiness: ReadinessSource) {
    this.handlers.set('/healthz', () => text(200, 'ok'));
    this.handlers.set('/readyz', () => {
      if (readiness.draining) return text(503, 'draining');
      return readiness.ready ? text(200, 'ready') : text(503, 'not ready: first snapshot not served yet');
    });
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
  }

  /** Adds or replaces the handler of an exact path. */
  route(path: string, handler: AdminHandler): void {
    this.handlers.set(path, handler);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const handler = this.handlers.get(url.pathname);
    let response: AdminResponse;
    // Tideway adds X-Forwarded-For to every request it relays (routes, auth subrequests): a route or an
    // auth-url that points back at this port (an EndpointSlice naming the gateway's pod and admin port,
    // a Service in front of it) must not turn the admin API into something any namespace can read.
    if (req.headers['x-forwarded-for'] !== undefined) response = text(403, 'the admin port does not answer relayed requests');
    else if (handler === undefined) response = text(404, 'not found');
    else if (req.method !== 'GET' && req.method !== 'HEAD') response = text(405, 'method not allowed');
    else {
      try {
        response = await handler(url, req);
      } catch (error) {
        response = text(500, `internal error: ${(error as Error).message}`);
      }
    }
    res.writeHead(response.status, { 'content-type': response.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : response.body);
  }
}
