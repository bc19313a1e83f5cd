// One HTTP/2 stream proxied upstream: route it, answer what the gateway answers itself (errors,
// redirects), run the route's middleware chain when it has one, then hand the stream to a relay for
// the backend's protocol: HTTP/1.1 (http, https, and WebSocket over extended CONNECT) or HTTP/2 (h2c,
// grpc, grpcs). gRPC calls get gRPC statuses instead of HTTP errors, and their grpc-timeout is enforced
// here. One record per stream goes to the observer.
//
// With a chain, the upstream's response head goes to the chain's response phase before the client
// sees it; the relay holds the body until then (`upstreamHead` returns false and calls `release`).
import http2 from 'node:http2';
import type tls from 'node:tls';
import type { CompiledRoute } from '../../routing/index.ts';
import { isMisdirected } from '../tls/misdirected.ts';
import { chosenBackend, type RouteRuntime } from '../route-runtime.ts';
import type { BackendRuntime } from '../../upstream/registry.ts';
import { preferredEndpoint } from '../../upstream/hash-pick.ts';
import type { BodyTransform, Context } from '../../middleware/types.ts';
import type { Chain } from '../../middleware/compose.ts';
import { errorBody } from '../error-responses.ts';
import { httpsLocation } from '../ssl-redirect.ts';
import { hasDotSegment } from '../path-safety.ts';
import { ALLOWED_METHODS, isValidHost, sameAuthority } from '../request-target.ts';
import { resolveClientAddress } from '../client-address.ts';
import { isUsableRequestId } from '../http1/request-scan.ts';
import type { Http2Context } from './context.ts';
import type { CancelGuard } from './cancel-guard.ts';
import { Http2Request } from './request.ts';
import { forwardedValues, type ForwardedValues } from './forwarded.ts';
import { grpcStatusForHttp, grpcTrailers, trailersOnly, GRPC_STATUS } from './grpc.ts';
import { Http2MiddlewareContext } from './middleware-context.ts';
import { fieldsFromFlat, type ResponseFields } from './fields.ts';
import { Http1Relay } from './to-http1.ts';
import { Http2Relay } from './to-http2.ts';
import { responseHasNoBody } from '../no-body.ts';

const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;

/** What carries a stream to one kind of upstream. */
export interface StreamRelay {
  start(): void;
  /** Stops all upstream work now (client gone, deadline passed, answer from the gateway). */
  abort(): void;
}

/** The chain's terminal: the upstream call, resolved when the response head is in (or an error answer). */
function callUpstreamFromChain(ctx: Context): Promise<void> {
  return (ctx as Http2MiddlewareContext).exchange.callUpstream();
}

export class Http2StreamExchange {
  readonly ctx: Http2Context;
  readonly stream: http2.ServerHttp2Stream;
  readonly request: Http2Request;
  readonly remoteAddress: string;
  readonly trusted: boolean;
  readonly clientAddress: string;
  readonly startTime = Date.now();
  route: CompiledRoute<RouteRuntime> | null = null;
  requestId = '';
  status = 0;
  bytesIn = 0;
  bytesOut = 0;
  error: string | null = null;
  upstreamAddress: string | null = null;
  upstreamStart = 0;
  upstreamEnd = 0;
  /** Trailers sent when the response body ends (the stream was answered with waitForTrailers). */
  trailers: http2.OutgoingHttpHeaders | null = null;
  /** The middleware context, for routes with a chain. */
  mw: Http2MiddlewareContext | null = null;
  private readonly guard: CancelGuard;
  private websocket = false;
  private relay: StreamRelay | null = null;
  private answered = false;
  private closedByUs = false;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private chainPending = false;
  private heldOptions: http2.ServerStreamResponseOptions | null = null;
  private release: (() => void) | null = null;
  private transform: BodyTransform | null = null;

  constructor(ctx: Http2Context, stream: http2.ServerHttp2Stream, rawHeaders: readonly string[], guard: CancelGuard) {
    this.ctx = ctx;
    this.stream = stream;
    this.guard = guard;
    this.request = new Http2Request(rawHeaders, stream.endAfterHeaders);
    this.remoteAddress = stream.session?.socket?.remoteAddress ?? '';
    this.trusted = ctx.trustedProxies.size > 0 && ctx.trustedProxies.contains(this.remoteAddress);
    this.clientAddress = resolveClientAddress(this.remoteAddress, this.trusted, ctx.trustedProxies, this.request.scan.forwardedFor);
    stream.on('close', () => this.onClose());
    // Stream errors are followed by 'close', which settles everything.
    stream.on('error', ignoreError);
  }

  get isGrpc(): boolean {
    return this.request.isGrpc;
  }

  /** Runs on the event-loop turn after the HEADERS frame (see frontend.ts): a stream reset by then is skipped. */
  start(): void {
    if (this.stream.destroyed) return;
    const ctx = this.ctx;
    const request = this.request;
    const scan = request.scan;
    this.requestId = scan.requestId !== undefined && isUsableRequestId(scan.requestId) ? scan.requestId : ctx.nextRequestId();
    this.websocket = request.method === 'CONNECT' && request.protocol !== undefined;
    if (request.method === 'CONNECT' && !this.websocket) return this.fail(405, 'connect-not-allowed');
    if (this.websocket && request.protocol!.toLowerCase() !== 'websocket') return this.fail(501, 'unsupported-protocol');
    // RFC 9113 8.3.1: the authority must be a host, and a Host field naming another one is malformed.
    const authority = request.authority;
    if (authority !== undefined && !isValidHost(authority)) return this.fail(400, 'bad-host');
    if (scan.duplicateHost || (scan.host !== undefined && authority !== undefined && !sameAuthority(scan.host, authority))) return this.fail(400, 'bad-host');
    if (ctx.misdirected !== undefined && authority !== undefined && isMisdirected(ctx.misdirected, (this.stream.session?.socket as tls.TLSSocket | undefined)?.servername, authority)) return this.fail(421, 'misdirected-request');
    if (request.path.charCodeAt(0) !== 0x2f /* / */) {
      // Only origin-form, or "*" for OPTIONS (answered by the gateway, as on HTTP/1.1).
      if (request.method === 'OPTIONS' && request.path === '*') return this.answer(200, 'options-asterisk', { allow: ALLOWED_METHODS });
      return this.fail(400, 'bad-request-target');
    }
    // Same rule as HTTP/1.1: no request routes by one path and is served by another.
    if (hasDotSegment(request.pathOnly)) return this.fail(400, 'dot-segment');
    const route = ctx.snapshot.table.match(request.authority, request.path, request.method, request.headers, ctx.gatewayPort);
    this.route = route;
    if (route === null) return this.fail(404, 'no-route');
    const options = route.ext.options;
    // A trusted proxy in front that terminated TLS (X-Forwarded-Proto: https) is not redirected.
    const viaHttpsProxy = this.trusted && scan.forwardedProto === 'https';
    if (ctx.scheme === 'http' && options.sslRedirect && ctx.httpsPort !== null && !viaHttpsProxy) {
      return this.answer(308, 'ssl-redirect', { location: httpsLocation(request.authority ?? '', request.path, ctx.httpsPort) });
    }
    if (options.maxBodyBytes > 0 && scan.contentLength > options.maxBodyBytes) return this.fail(413, 'body-too-large');
    // A gRPC call's own deadline (grpc-timeout), and the route's on the whole exchange (HTTPRoute
    // timeouts.request), the sooner of the two; a WebSocket is never bound by the route's.
    const routeDeadline = this.websocket ? undefined : options.requestTimeoutMs;
    if (request.grpcTimeoutMs !== null || routeDeadline !== undefined) {
      const ms = routeDeadline === undefined ? request.grpcTimeoutMs! : request.grpcTimeoutMs === null ? routeDeadline : Math.min(routeDeadline, request.grpcTimeoutMs);
      this.deadlineTimer = setTimeout(() => this.onDeadline(), ms);
    }
    const chain = route.ext.chain;
    if (chain !== null) return this.runChain(chain, route);
    this.startRelay(route.ext.backend, null);
  }

  private startRelay(backend: BackendRuntime | null, preferredEndpoint: string | null): void {
    if (backend === null || backend.endpoints.length === 0) return this.fail(503, 'no-endpoint');
    const protocol = backend.spec.protocol;
    const overHttp1 = protocol === 'http' || protocol === 'https';
    if (this.websocket && !overHttp1) return this.fail(502, 'websocket-needs-http1-backend');
    this.relay = overHttp1 ? new Http1Relay(this, backend, this.websocket, preferredEndpoint) : new Http2Relay(this, backend, preferredEndpoint);
    this.relay.start();
  }

  private runChain(chain: Chain, route: CompiledRoute<RouteRuntime>): void {
    this.mw = new Http2MiddlewareContext(this, route.spec, this.websocket);
    this.chainPending = true;
    chain(this.mw, callUpstreamFromChain).then(() => this.afterChain(), (error: unknown) => this.chainFailed(error));
  }

  /** The chain's terminal: proxy to the backend it chose; resolves when the response head is in. */
  callUpstream(): Promise<void> {
    const mw = this.mw!;
    return mw.waitForUpstream(() => {
      const backend = chosenBackend(this.route!, mw.upstream.backend);
      this.startRelay(backend, backend === null ? null : preferredEndpoint(backend, mw.upstream));
    });
  }

  private chainFailed(error: unknown): void {
    this.chainPending = false;
    this.mw!.noteFailure(error);
    this.relay?.abort();
    this.relay = null;
    this.fail(500, 'middleware-error');
  }

  /** The chain completed: send what it settled on, the upstream's (possibly edited) response or an answer. */
  private afterChain(): void {
    this.chainPending = false;
    const mw = this.mw!;
    const response = mw.response;
    if (this.answered || this.stream.destroyed) return;
    if (response === null) return this.chainFailed(new Error('the chain finished without a response'));
    if (mw.answerBody !== null) return this.sendAnswer(response.status, mw.responseHeaders.raw, mw.answerBody);
    this.transform = response.bodyTransform;
    const fields = fieldsFromFlat(response.status, mw.responseHeaders.raw);
    // A copy: the relays share frozen option objects, and a transform changes them.
    const options: http2.ServerStreamResponseOptions = { ...this.heldOptions };
    if (this.transform !== null) {
      // The body changes size: its length is unknown, and the stream ends with (maybe empty) trailers.
      delete fields['content-length'];
      if (!options.endStream) options.waitForTrailers = true;
    }
    const release = this.release;
    this.release = null;
    this.heldOptions = null;
    if (this.respond(fields, options)) release?.();
  }

  /**
   * The upstream's response head. Without a chain it is sent now and the relay may send the body.
   * With one it waits for the response phase: returns false, and `release` is called once the head
   * is out (the relay holds the body until then).
   */
  upstreamHead(fields: ResponseFields, options: http2.ServerStreamResponseOptions, release: () => void): boolean {
    if (!this.chainPending) return this.respond(fields, options);
    this.mw!.setUpstreamResponse(fields);
    this.heldOptions = options;
    this.release = release;
    this.mw?.upstreamSettled();
    return false;
  }

  /** The path sent upstream (a middleware may have rewritten it). */
  get outgoingPath(): string {
    return this.mw === null ? this.request.path : this.mw.request.path;
  }

  /** The fields sent upstream before forwarding headers are added (a middleware may have edited them). */
  get outgoingHeaders(): readonly string[] {
    return this.mw === null ? this.request.headers : this.mw.request.headers.raw;
  }

  /** One chunk of the response body to the client (through the chain's body transform, if any). */
  writeBody(chunk: Buffer): boolean {
    const out = this.transform === null ? chunk : this.transform.write(chunk);
    this.bytesOut += out.length;
    return out.length === 0 || this.stream.write(out);
  }

  /** The upstream's body ended. */
  endBody(): void {
    if (this.transform !== null) {
      const rest = this.transform.end();
      this.bytesOut += rest.length;
      if (rest.length > 0) this.stream.write(rest);
    }
    if (!this.stream.writableEnded) this.stream.end();
  }

  get hasTransform(): boolean {
    return this.transform !== null;
  }

  forwarded(): ForwardedValues {
    return forwardedValues(this.request, this.ctx, this.remoteAddress, this.trusted, this.clientAddress);
  }

  /**
   * Sends the response head (HSTS added on HTTPS when the route asks for it). Returns false when the
   * stream is gone or the head was refused (invalid header): the caller stops.
   */
  respond(headers: ResponseFields, options: http2.ServerStreamResponseOptions): boolean {
    if (this.answered || this.stream.destroyed) return false;
    const list = Array.isArray(headers);
    const hsts = this.route?.ext.options.hsts;
    if (hsts && this.ctx.scheme === 'https') {
      if (list) headers.push('strict-transport-security', hsts);
      else headers['strict-transport-security'] = hsts;
    }
    try {
      // Only a response that ends with trailers needs this listener (each one costs a 'newListener' event).
      if (options.waitForTrailers === true) this.stream.on('wantTrailers', () => this.stream.sendTrailers(this.trailers ?? {}));
      this.stream.respond(headers, options);
    } catch {
      // node:http2 validates names and values; a header it refuses makes the answer a 502.
      this.relay?.abort();
      this.relay = null;
      this.fail(502, 'upstream-invalid-header');
      return false;
    }
    this.answered = true;
    // A list starts with [':status', status] (ResponseFieldList).
    this.status = Number(list ? headers[1] : headers[':status']);
    return true;
  }

  get hasAnswered(): boolean {
    return this.answered;
  }

  /** The gateway answers the request itself: an HTTP error, or a gRPC status for gRPC calls. */
  fail(status: number, reason: string): void {
    this.error = reason;
    if (this.upstreamStart !== 0 && this.upstreamEnd === 0) this.upstreamEnd = Date.now();
    if (this.relay !== null) {
      this.relay.abort();
      this.relay = null;
    }
    if (this.chainPending && !this.answered) {
      // Inside the chain the error becomes the response its response phase sees (CORS headers etc.).
      this.mw!.respond(status, errorBody(status));
      this.mw?.upstreamSettled();
      return;
    }
    if (this.answered) {
      // The head is out: a gRPC call can still end with a status in trailers; anything else is reset.
      if (this.isGrpc && !this.stream.writableEnded) return this.endWithStatus(grpcStatusForHttp(status), reason);
      return this.reset(NGHTTP2_INTERNAL_ERROR);
    }
    this.sendAnswer(status, null, null);
  }

  /**
   * An answer from the gateway or a middleware: gRPC calls get a trailers-only status, others the
   * headers and body (the short plain-text error body when `body` is null).
   */
  private sendAnswer(status: number, headers: readonly string[] | null, body: Buffer | null): void {
    if (this.isGrpc) {
      const message = body === null || body.length === 0 ? this.error ?? `HTTP ${status}` : body.toString('utf8').trim();
      this.respond(status === 200 ? trailersOnly(GRPC_STATUS.OK, '') : trailersOnly(grpcStatusForHttp(status), message), { endStream: true });
      this.discardRequestBody();
      return;
    }
    const bytes = body ?? Buffer.from(errorBody(status));
    const fields = headers === null ? { ':status': status, 'content-type': 'text/plain; charset=utf-8' } : fieldsFromFlat(status, headers);
    this.answerWith(fields, bytes);
  }

  /** A short plain-text error (extra null) or an empty answer with headers (redirects). */
  private answer(status: number, reason: string, extra: Record<string, string> | null): void {
    this.error = reason;
    if (extra === null) return this.sendAnswer(status, null, null);
    this.answerWith({ ':status': status, ...extra }, Buffer.alloc(0));
  }

  private answerWith(fields: http2.OutgoingHttpHeaders, body: Buffer): void {
    const status = Number(fields[':status']);
    const noBody = body.length === 0 || responseHasNoBody(this.request.method, status);
    fields['content-length'] = body.length;
    fields['cache-control'] ??= 'no-store';
    if (!this.respond(fields, { endStream: noBody })) return;
    if (!noBody) {
      this.bytesOut += body.length;
      this.stream.end(body);
    }
    this.discardRequestBody();
  }

  /** Ends a started gRPC response with a status in its trailers. */
  private endWithStatus(code: number, message: string): void {
    this.trailers = grpcTrailers(code, message);
    this.stream.end();
    this.discardRequestBody();
  }

  /** Resets the stream (RST_STREAM) from our side. */
  reset(code: number): void {
    this.closedByUs = true;
    if (!this.stream.destroyed) this.stream.close(code);
  }

  /**
   * Nobody will read the rest of the request body. What is in flight is consumed, so flow control does
   * not stall the session, and once the answer is complete the client is asked to stop sending with
   * RST_STREAM NO_ERROR (RFC 9113 8.1; nginx does the same): before, the gateway read such a body for as
   * long as the client kept sending it. node sends the reset only after the answer's last frame.
   */
  private discardRequestBody(): void {
    if (this.stream.readableEnded) return;
    this.stream.resume();
    this.closedByUs = true;
    this.stream.close(NGHTTP2_NO_ERROR);
  }

  /** The deadline ran out: 504 (a gRPC status for gRPC calls), or the response ended when it has begun. */
  private onDeadline(): void {
    this.deadlineTimer = null;
    if (this.stream.destroyed || this.stream.writableEnded) return;
    const reason = this.isGrpc ? 'deadline-exceeded' : 'request-timeout';
    if (!this.answered) return this.fail(504, reason);
    this.error = reason;
    this.relay?.abort();
    this.relay = null;
    if (this.isGrpc) this.endWithStatus(GRPC_STATUS.DEADLINE_EXCEEDED, reason);
    else this.reset(NGHTTP2_INTERNAL_ERROR);
  }

  private onClose(): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    const rst = this.stream.rstCode ?? NGHTTP2_NO_ERROR;
    if (rst !== NGHTTP2_NO_ERROR && !this.closedByUs) {
      // The client cancelled (RST_STREAM) or the session died: stop upstream work, and count it.
      this.error ??= rst === NGHTTP2_CANCEL ? 'client-closed' : 'stream-reset';
      this.guard.onCancel();
    }
    if (this.relay !== null) {
      this.relay.abort();
      this.relay = null;
    }
    // A chain still waiting for the upstream settles; its answer has nowhere to go.
    this.mw?.upstreamSettled();
    if (this.ctx.observer.enabled) this.report();
  }

  private report(): void {
    const now = Date.now();
    const request = this.request;
    this.ctx.observer.onRequestEnd({
      startTime: this.startTime,
      durationMs: now - this.startTime,
      clientAddress: this.clientAddress,
      method: request.method,
      host: request.authority ?? '',
      path: request.pathOnly,
      protocol: 'HTTP/2',
      // 499: the client went away before an answer, as nginx logs it.
      status: this.answered ? this.status : 499,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      route: this.route === null ? null : this.route.spec,
      upstreamAddress: this.upstreamAddress,
      upstreamDurationMs: this.upstreamStart === 0 ? 0 : (this.upstreamEnd || now) - this.upstreamStart,
      requestId: this.requestId,
      error: this.error,
    });
  }
}

function ignoreError(): void {}
