// One HTTP/2 stream proxied upstream: route it, answer what the gateway answers itself (errors,
// redirects), then hand the stream to a relay for the backend's protocol: HTTP/1.1 (http, https, and
// WebSocket over extended CONNECT) or HTTP/2 (h2c, grpc, grpcs). gRPC calls get gRPC statuses instead
// of HTTP errors, and their grpc-timeout is enforced here. One record per stream goes to the observer.
import http2 from 'node:http2';
import type { CompiledRoute } from '../../routing/index.ts';
import type { RouteRuntime } from '../route-runtime.ts';
import { errorBody } from '../error-responses.ts';
import { httpsLocation } from '../ssl-redirect.ts';
import { hasDotSegment } from '../path-safety.ts';
import { resolveClientAddress } from '../client-address.ts';
import { isUsableRequestId } from '../http1/request-scan.ts';
import type { Http2Context } from './context.ts';
import type { CancelGuard } from './cancel-guard.ts';
import { Http2Request } from './request.ts';
import { forwardedValues, type ForwardedValues } from './forwarded.ts';
import { grpcStatusForHttp, grpcTrailers, trailersOnly, GRPC_STATUS } from './grpc.ts';
import { Http1Relay } from './to-http1.ts';
import { Http2Relay } from './to-http2.ts';

const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;

/** What carries a stream to one kind of upstream. */
export interface StreamRelay {
  start(): void;
  /** Stops all upstream work now (client gone, deadline passed). */
  abort(): void;
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
  private readonly guard: CancelGuard;
  private relay: StreamRelay | null = null;
  private answered = false;
  private closedByUs = false;
  private deadlineTimer: NodeJS.Timeout | null = null;

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
    stream.on('error', () => {});
    stream.on('wantTrailers', () => this.stream.sendTrailers(this.trailers ?? {}));
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
    const websocket = request.method === 'CONNECT' && request.protocol !== undefined;
    if (request.method === 'CONNECT' && !websocket) return this.fail(405, 'connect-not-allowed');
    if (websocket && request.protocol!.toLowerCase() !== 'websocket') return this.fail(501, 'unsupported-protocol');
    // Same rule as HTTP/1.1: no request routes by one path and is served by another.
    if (hasDotSegment(request.pathOnly)) return this.fail(400, 'dot-segment');
    const route = ctx.snapshot.table.match(request.authority, request.path);
    this.route = route;
    if (route === null) return this.fail(404, 'no-route');
    const options = route.ext.options;
    // A trusted proxy in front that terminated TLS (X-Forwarded-Proto: https) is not redirected.
    const viaHttpsProxy = this.trusted && scan.forwardedProto === 'https';
    if (ctx.scheme === 'http' && options.sslRedirect && ctx.httpsPort !== null && !viaHttpsProxy) {
      return this.answer(308, 'ssl-redirect', { location: httpsLocation(request.authority ?? '', request.path, ctx.httpsPort) });
    }
    if (options.maxBodyBytes > 0 && scan.contentLength > options.maxBodyBytes) return this.fail(413, 'body-too-large');
    const backend = route.ext.backend;
    if (backend === null || backend.endpoints.length === 0) return this.fail(503, 'no-endpoint');
    if (request.grpcTimeoutMs !== null) this.deadlineTimer = setTimeout(() => this.onDeadline(), request.grpcTimeoutMs);
    const protocol = backend.spec.protocol;
    const overHttp1 = protocol === 'http' || protocol === 'https';
    if (websocket && !overHttp1) return this.fail(502, 'websocket-needs-http1-backend');
    this.relay = overHttp1 ? new Http1Relay(this, backend, websocket) : new Http2Relay(this, backend);
    this.relay.start();
  }

  forwarded(): ForwardedValues {
    return forwardedValues(this.request, this.ctx, this.remoteAddress, this.trusted, this.clientAddress);
  }

  /**
   * Sends the response head (HSTS added on HTTPS when the route asks for it). Returns false when the
   * stream is gone or the head was refused (invalid upstream header): the caller stops.
   */
  respond(headers: http2.OutgoingHttpHeaders, options: http2.ServerStreamResponseOptions): boolean {
    if (this.answered || this.stream.destroyed) return false;
    const hsts = this.route?.ext.options.hsts;
    if (hsts && this.ctx.scheme === 'https') headers['strict-transport-security'] = hsts;
    try {
      this.stream.respond(headers, options);
    } catch {
      // node:http2 validates names and values; an upstream header it refuses makes the answer a 502.
      this.relay?.abort();
      this.relay = null;
      this.fail(502, 'upstream-invalid-header');
      return false;
    }
    this.answered = true;
    this.status = Number(headers[':status']);
    return true;
  }

  get hasAnswered(): boolean {
    return this.answered;
  }

  /** The gateway answers the request itself: an HTTP error, or a gRPC status for gRPC calls. */
  fail(status: number, reason: string): void {
    this.error = reason;
    this.upstreamEnd ||= this.upstreamStart === 0 ? 0 : Date.now();
    if (this.relay !== null) {
      this.relay.abort();
      this.relay = null;
    }
    if (this.answered) {
      // The head is out: a gRPC call can still end with a status in trailers; anything else is reset.
      if (this.isGrpc && !this.stream.writableEnded) return this.endWithStatus(grpcStatusForHttp(status), reason);
      return this.reset(NGHTTP2_INTERNAL_ERROR);
    }
    if (this.isGrpc) {
      this.respond(trailersOnly(grpcStatusForHttp(status), reason), { endStream: true });
      this.discardRequestBody();
      return;
    }
    this.answer(status, reason, null);
  }

  /** A short plain-text answer (errors) or an empty one with headers (redirects). */
  private answer(status: number, reason: string, extra: Record<string, string> | null): void {
    this.error = reason;
    const body = extra === null ? errorBody(status) : '';
    const headers: http2.OutgoingHttpHeaders = { ':status': status, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...extra };
    if (body !== '') headers['content-type'] = 'text/plain; charset=utf-8';
    const noBody = body === '' || this.request.method === 'HEAD';
    if (!this.respond(headers, { endStream: noBody })) return;
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

  /** The rest of a request body nobody will read is consumed so flow control does not stall the session. */
  private discardRequestBody(): void {
    if (!this.stream.readableEnded) this.stream.resume();
  }

  private onDeadline(): void {
    this.deadlineTimer = null;
    if (this.stream.destroyed) return;
    if (!this.answered) return this.fail(504, 'deadline-exceeded');
    this.error = 'deadline-exceeded';
    this.relay?.abort();
    this.relay = null;
    if (!this.stream.writableEnded) this.endWithStatus(GRPC_STATUS.DEADLINE_EXCEEDED, 'deadline-exceeded');
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
