// What the HTTP/1.1 and HTTP/2 middleware Contexts share: the upstream choice, per-request state, and
// how an answer (ctx.respond) or the upstream's response enters the response phase.
import type { Context, RequestView, ResponseView, UpstreamChoice } from '../middleware/types.ts';
import { FlatHeaderMap } from '../middleware/header-map.ts';
import type { RouteSpec } from '../routing/spec.ts';

export abstract class ProxyContextBase implements Context {
  abstract readonly request: RequestView;
  response: ResponseView | null = null;
  readonly route: RouteSpec;
  readonly upstream: UpstreamChoice;
  readonly state: Record<string, unknown> = {};
  readonly logFields: Record<string, string | number> = {};
  /** Body of an answer made with respond(); null when the response comes from the upstream. */
  answerBody: Buffer | null = null;
  /** The response headers in the proxy's flat form (what `response.headers` edits). */
  responseHeaders = new FlatHeaderMap();
  private settle: (() => void) | null = null;

  constructor(route: RouteSpec) {
    this.route = route;
    this.upstream = { backend: route.backend, preferredEndpoint: null, hashKey: null, endpoint: null };
  }

  /**
   * The chain's terminal: `start` sends the request upstream; the promise resolves once the upstream's
   * response head is in (or the gateway answered instead), which starts the chain's response phase.
   */
  waitForUpstream(start: () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      this.settle = resolve;
      start();
    });
  }

  /** The upstream's head (or an answer in its place) is in: resume the chain. */
  upstreamSettled(): void {
    const settle = this.settle;
    this.settle = null;
    settle?.();
  }

  /** A middleware threw: the reason goes into the access log line. */
  noteFailure(error: unknown): void {
    this.logFields.middlewareError = (error as Error)?.message ?? String(error);
  }

  respond(status: number, body?: string | Buffer, headers?: Record<string, string>): void {
    const map = headers === undefined ? new FlatHeaderMap() : FlatHeaderMap.fromRecord(headers);
    const bytes = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body) : body;
    if (body !== undefined && !map.has('content-type')) map.set('content-type', 'text/plain; charset=utf-8');
    this.answerBody = bytes;
    this.setResponse(status, map);
  }

  /** The upstream's status and headers (flat, already filtered) enter the response phase. */
  protected setResponse(status: number, headers: FlatHeaderMap): void {
    this.responseHeaders = headers;
    this.response = { status, headers, bodyTransform: null };
  }
}
