// A real, minimal Context for driving composed middleware chains without the proxy: requests are plain
// objects, the "upstream" is a terminal that records what reached it and answers as told, and the body a
// client would receive is computed through the response's bodyTransform. When the proxy runs chains,
// the same scenarios also run through the gateway (see test/middleware/README.md).
import type { Chain } from '../../src/middleware/compose.ts';
import { FlatHeaderMap } from '../../src/middleware/header-map.ts';
import type { Context, RequestBodyTap, RequestView, ResponseView, UpstreamChoice } from '../../src/middleware/types.ts';
import type { RouteSpec } from '../../src/routing/spec.ts';

export interface TestRequest {
  method?: string;
  scheme?: 'http' | 'https';
  authority?: string;
  path?: string;
  clientAddress?: string;
  protocol?: 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2';
  headers?: Record<string, string> | [string, string][];
  contentLength?: number;
  isUpgrade?: boolean;
  route?: Partial<RouteSpec>;
}

export function testRoute(overrides: Partial<RouteSpec> = {}): RouteSpec {
  return {
    id: 'default/web#0.0',
    namespace: 'default',
    ingress: 'web',
    host: 'example.test',
    path: '/',
    kind: 'Prefix',
    backend: 'default/web:80',
    options: { connectTimeoutMs: 5000, readTimeoutMs: 60000, maxBodyBytes: 0, sslRedirect: false },
    middlewares: [],
    ...overrides,
  } as RouteSpec;
}

function flat(headers: TestRequest['headers']): string[] {
  if (headers === undefined) return [];
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  return pairs.flat();
}

export class TestContext implements Context {
  readonly request: RequestView;
  response: ResponseView | null = null;
  readonly route: RouteSpec;
  readonly upstream: UpstreamChoice;
  readonly state: Record<string, unknown> = {};
  readonly logFields: Record<string, string | number> = {};
  /** Taps a middleware put on the request body; a test feeds them itself. */
  readonly bodyTaps: RequestBodyTap[] = [];
  /** The body passed to respond(), when a middleware answered. */
  answerBody: string | Buffer | null = null;

  constructor(req: TestRequest = {}) {
    this.route = testRoute(req.route);
    this.request = {
      method: req.method ?? 'GET',
      scheme: req.scheme ?? 'http',
      authority: req.authority ?? 'example.test',
      path: req.path ?? '/',
      clientAddress: req.clientAddress ?? '192.0.2.10',
      protocol: req.protocol ?? 'HTTP/1.1',
      requestId: 'test-request',
      headers: new FlatHeaderMap(flat(req.headers)),
      contentLength: req.contentLength ?? 0,
      isUpgrade: req.isUpgrade ?? false,
    };
    this.upstream = { backend: this.route.backend, preferredEndpoint: null, hashKey: null, endpoint: null };
  }

  tapRequestBody(tap: RequestBodyTap): void {
    this.bodyTaps.push(tap);
  }

  respond(status: number, body?: string | Buffer, headers?: Record<string, string>): void {
    if (this.response !== null) throw new Error(`respond(${status}) after the response was already set (${this.response.status})`);
    this.response = { status, headers: FlatHeaderMap.fromRecord(headers ?? {}), bodyTransform: null };
    this.answerBody = body ?? '';
  }

  /** The response header value, for assertions. */
  header(name: string): string | undefined {
    return this.response?.headers.get(name);
  }
}

export interface UpstreamReply {
  status?: number;
  headers?: Record<string, string> | [string, string][];
  /** Where the proxy would say the request went; null when no endpoint was used. */
  endpoint?: string | null;
}

/** What the upstream saw of one request. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: [string, string][];
  backend: string | null;
  preferredEndpoint: string | null;
}

export interface FakeUpstream {
  (ctx: Context): Promise<void>;
  readonly calls: SeenRequest[];
}

/** A terminal standing in for the proxy's upstream call. */
export function fakeUpstream(reply: UpstreamReply | ((ctx: Context) => UpstreamReply) = {}): FakeUpstream {
  const calls: SeenRequest[] = [];
  const terminal = async (ctx: Context): Promise<void> => {
    calls.push({
      method: ctx.request.method,
      path: ctx.request.path,
      headers: [...ctx.request.headers.entries()],
      backend: ctx.upstream.backend,
      preferredEndpoint: ctx.upstream.preferredEndpoint,
    });
    const r = typeof reply === 'function' ? reply(ctx) : reply;
    (ctx.upstream as UpstreamChoice).endpoint = r.endpoint === undefined ? '10.0.0.1:8080' : r.endpoint;
    ctx.response = { status: r.status ?? 200, headers: new FlatHeaderMap(flat(r.headers)), bodyTransform: null };
  };
  return Object.assign(terminal, { calls });
}

/** Runs one request through a chain; returns its context for assertions. */
export async function run(chain: Chain, req: TestRequest = {}, upstream: FakeUpstream = fakeUpstream()): Promise<TestContext> {
  const ctx = new TestContext(req);
  await chain(ctx, upstream);
  return ctx;
}

/** The bytes the client would receive for an upstream body sent in `chunks`. */
export function deliveredBody(ctx: Context, chunks: readonly Buffer[]): Buffer {
  const transform = ctx.response?.bodyTransform ?? null;
  if (transform === null) return Buffer.concat(chunks);
  return Buffer.concat([...chunks.map((c) => transform.write(c)), transform.end()]);
}
