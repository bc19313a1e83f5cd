// What the HTTP/1.1 and HTTP/2 middleware Contexts share: the upstream choice, per-request state, and
// how an answer (ctx.respond) or the upstream's response enters the response phase.
import type { Context, RequestBodyTap, RequestView, ResponseView, UpstreamChoice } from '../middleware/types.ts';
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
  /** Taps on the request body (request-mirror); null, the usual case, costs the body path one check. */
  bodyTaps: RequestBodyTap[] | null = null;
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

  tapRequestBody(tap: RequestBodyTap): void {
    const read = this.requestBodyRead();
    if (read !== null) for (const chunk of read) tap.data(chunk);
    if (this.requestBodyComplete()) tap.end();
    else (this.bodyTaps ??= []).push(tap);
  }

  /** The body bytes read from the client but not forwarded yet (held until the upstream is connected). */
  protected abstract requestBodyRead(): readonly Buffer[] | null;
  protected abstract requestBodyComplete(): boolean;

  /** A piece of the request body was read from the client (the proxy calls this only when bodyTaps is set). */
  requestBodyData(chunk: Buffer): void {
    for (const tap of this.bodyTaps!) tap.data(chunk);
  }

  /** The request body is complete; pass `forwarded` false when it was not forwarded whole (an early answer). */
  requestBodyEnd(forwarded: boolean): void {
    const taps = this.bodyTaps!;
    this.bodyTaps = null;
    if (forwarded) for (const tap of taps) tap.end();
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
