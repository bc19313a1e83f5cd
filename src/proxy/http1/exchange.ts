// One HTTP/1.1 request proxied to an upstream: route it, pick an endpoint, forward the head and body,
// relay the response. This is the hot path: no per-request closures (callbacks are methods reached
// through the connection objects), no regex, headers rebuilt in one pass into one string.
import type { CompiledRoute } from '../../routing/index.ts';
import { chosenBackend, type RouteRuntime } from '../route-runtime.ts';
import { pickEndpoint, type BackendRuntime, type EndpointRuntime } from '../../upstream/registry.ts';
import { preferredEndpoint } from '../../upstream/hash-pick.ts';
import type { AttemptFailure } from '../../upstream/retry-policy.ts';
import { mayRetry, retryAfter, retryDeferred, tryTimeout, type Retrying } from '../route-retry.ts';
import type { BodyTransform } from '../../middleware/types.ts';
import type { Chain } from '../../middleware/compose.ts';
import { Http1MiddlewareContext, forwardedRequestHeaders } from './middleware-context.ts';
import { Http1ToHttp2Relay, type Http2RelayOwner } from './to-http2.ts';
import { STATUS_CODES } from '../../lib/node-http.ts';
import type { Http1UpstreamConnection, UpstreamError, UpstreamListener } from '../../upstream/http1-connection.ts';
import { errorBody, errorResponse, errorResponseHead, redirectResponse } from '../error-responses.ts';
import { classifyHeader, contentLength, isListedIn, nameIs, H_CONTENT_LENGTH, H_HOP, H_TRACEPARENT, H_X_FORWARDED, H_X_REQUEST_ID, type ResponseHeadScan } from '../../http1/index.ts';
import { filterResponseHeaders, forwardedBlock, gatewayFields, headFromBytes } from './response-head.ts';
import { ClientOutput, MAX_GATHERED_CHUNK } from './client-output.ts';
import { responseHasNoBody } from '../no-body.ts';
import { RequestScan, isUsableRequestId } from './request-scan.ts';
import type { Http1ClientConnection } from './client-connection.ts';
import type { RequestRecord, RequestSpan } from '../observer.ts';
import type net from 'node:net';
import type tls from 'node:tls';
import { isMisdirected } from '../tls/misdirected.ts';
import { Tunnel } from '../tunnel.ts';
import { hasDotSegment } from '../path-safety.ts';
import { writeBodyPiece, writeRequestStart } from './chunked.ts';
import { httpsLocation } from '../ssl-redirect.ts';
import { TARGET, absoluteAuthority, absoluteOriginForm, isValidHost, optionsAsteriskResponse, targetForm } from '../request-target.ts';

/** Bytes of an unwanted request body we read and drop to keep the connection, before closing instead. */
const MAX_DISCARD_BYTES = 1024 * 1024;
/** Request body bytes held while the upstream connection is being opened. */
const MAX_PENDING_BYTES = 64 * 1024;

const CRLF = '\r\n';

interface Forwarding {
  forwardedFor: string;
  proto: string;
  port: string;
  host: string | undefined;
  realIp: string;
}
const LAST_CHUNK = '0\r\n\r\n';

export class Http1Exchange implements UpstreamListener, Http2RelayOwner, Retrying {
  readonly conn: Http1ClientConnection;
  readonly method: string;
  /** The request target; an absolute-form target is replaced by its origin-form before routing. */
  url: string;
  readonly versionMinor: number;
  readonly headers: string[];
  readonly keepAlive: boolean;
  /** A protocol upgrade (WebSocket) was requested: tunnelled if the upstream answers 101. */
  readonly isUpgrade: boolean;
  readonly scan = new RequestScan();
  /** The client-bound bytes of the response (ClientOutput). */
  private readonly out: ClientOutput;
  readonly startTime: number;
  route: CompiledRoute<RouteRuntime> | null = null;
  requestId = '';
  status = 0;
  bytesIn = 0;
  bytesOut = 0;
  error: string | null = null;
  upstreamStart = 0;
  upstreamEnd = 0;

  private started = false;
  private upstream: Http1UpstreamConnection | null = null;
  private endpoint: EndpointRuntime | null = null;
  private upstreamReused = false;
  private head: string | null = null;
  private headSent = false;
  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  /** The upstream socket body bytes are written to (requestBodyReleased looks at its queue). */
  private bodySink: net.Socket | null = null;
  /** Body bytes went where they may be kept indefinitely (middlewares, HTTP/2 streams). */
  private bodyKept = false;
  private requestDone = false;
  private responseDone = false;
  private responseHeadSent = false;
  private closeAfter = false;
  /** Upstream attempts made for this request (retries included). */
  private attempts = 1;
  private retriedStaleConnection = false;
  /** The upstream answered a status its route retries: its body is read and dropped, then the request is sent again. */
  private discarding = false;
  /** A retry waiting for its route's backoff. */
  retryTimer: NodeJS.Timeout | null = null;
  /** The route's deadline on the whole exchange (HTTPRoute timeouts.request). */
  private deadlineTimer: NodeJS.Timeout | null = null;
  private waitingUpstreamDrain = false;
  private waitingClientDrain = false;
  private finished = false;
  private backend: BackendRuntime | null = null;
  private span: RequestSpan | null = null;
  /** For h2c, grpc and grpcs backends: the request goes out as an HTTP/2 stream. */
  private relay: Http1ToHttp2Relay | null = null;
  // Middleware chain state (routes with middlewares only).
  private mw: Http1MiddlewareContext | null = null;
  /** The chain is running: the response head waits in mw.response until it completes. */
  private chainPending = false;
  private heldBody: Buffer[] | null = null;
  private heldTrailers: string[] | null = null;
  private upstreamComplete = false;
  private upstreamNoBody = false;
  private transform: BodyTransform | null = null;

  constructor(conn: Http1ClientConnection, method: string, url: string, versionMinor: number, headers: string[], keepAlive: boolean, upgrade: boolean) {
    this.conn = conn;
    this.method = method;
    this.url = url;
    this.versionMinor = versionMinor;
    this.headers = headers;
    this.keepAlive = keepAlive;
    this.out = new ClientOutput(conn.socket);
    this.startTime = Date.now();
    this.scan.scan(headers);
    this.isUpgrade = upgrade && this.scan.upgrade !== undefined;
    // After an upgrade request the connection either becomes a tunnel or closes after the answer.
    if (upgrade) this.closeAfter = true;
  }

  get path(): string {
    const q = this.url.indexOf('?');
    return q < 0 ? this.url : this.url.slice(0, q);
  }

  get upstreamAddress(): string | null {
    return this.endpoint === null ? null : this.endpoint.pool.key;
  }

  /** Called when this exchange becomes the connection's active one. */
  start(): void {
    this.started = true;
    const ctx = this.conn.ctx;
    const host = this.scan.host;
    // RFC 9112 3.2: an HTTP/1.1 request without exactly one Host, or with a Host that is not a host, is
    // answered 400 (never forwarded), even when an absolute-form target names the host.
    if ((host === undefined && this.versionMinor >= 1) || this.scan.duplicateHost || (host !== undefined && !isValidHost(host))) {
      this.requestId = ctx.nextRequestId();
      this.closeAfter = true;
      return this.respondError(400, 'bad-host');
    }
    if (this.method === 'CONNECT') {
      this.requestId = ctx.nextRequestId();
      return this.respondError(405, 'connect-not-allowed');
    }
    if (ctx.misdirectedHttp1 === true && host !== undefined && isMisdirected(ctx.misdirected!, (this.conn.socket as tls.TLSSocket).servername, host)) {
      this.requestId = ctx.nextRequestId();
      return this.respondError(421, 'misdirected-request');
    }
    if (this.url.charCodeAt(0) !== 0x2f /* / */ && !this.takeTarget()) return;
    const path = this.path;
    if (hasDotSegment(path)) {
      this.requestId = ctx.nextRequestId();
      this.closeAfter = true;
      return this.respondError(400, 'dot-segment');
    }
    const route = ctx.snapshot.table.match(this.scan.host, this.url, this.method, this.headers, ctx.gatewayPort);
    this.route = route;
    if (ctx.tracer !== null) this.span = ctx.tracer.start(this.method, this.scan.host ?? '', path, this.scan.traceparent);
    this.requestId = this.scan.requestId !== undefined && isUsableRequestId(this.scan.requestId) ? this.scan.requestId : ctx.nextRequestId();
    if (route === null) return this.respondError(404, 'no-route');
    if (route.spec.options.sslRedirect && ctx.scheme === 'http' && ctx.httpsPort !== null && !this.viaHttpsProxy()) return this.redirectToHttps(ctx.httpsPort);
    const runtime = route.ext;
    const deadline = runtime.options.requestTimeoutMs;
    if (deadline !== undefined && !this.isUpgrade) this.deadlineTimer = setTimeout(requestTimedOut, deadline, this);
    const maxBody = runtime.options.maxBodyBytes;
    if (maxBody > 0 && this.scan.contentLength > maxBody) {
      this.closeAfter = true;
      return this.respondError(413, 'body-too-large');
    }
    if (runtime.chain !== null) return this.runChain(runtime.chain, route);
    if (runtime.backend === null || runtime.backend.endpoints.length === 0) return this.respondError(503, 'no-endpoint');
    this.backend = runtime.backend;
    this.connectUpstream(null);
  }

  /**
   * A target not in origin-form (request-target.ts): an absolute-form one becomes origin-form and its
   * authority the Host; `OPTIONS *` and invalid targets are answered here. False when answered.
   */
  private takeTarget(): boolean {
    const form = targetForm(this.url, this.method);
    if (form === TARGET.ABSOLUTE) {
      const authority = absoluteAuthority(this.url);
      if (isValidHost(authority)) {
        this.url = absoluteOriginForm(this.url);
        this.scan.replaceHost(this.headers, authority);
        return true;
      }
    }
    this.requestId = this.conn.ctx.nextRequestId();
    if (form === TARGET.ASTERISK && this.method === 'OPTIONS') {
      this.answerOptionsAsterisk();
      return false;
    }
    this.closeAfter = true;
    this.respondError(400, 'bad-request-target');
    return false;
  }

  private answerOptionsAsterisk(): void {
    if (!this.requestDone && (this.scan.chunked || this.scan.contentLength > MAX_DISCARD_BYTES)) this.closeAfter = true;
    const response = optionsAsteriskResponse(this.closeAfter || !this.keepAlive);
    this.error = 'options-asterisk';
    this.status = 200;
    this.responseHeadSent = true;
    this.responseDone = true;
    this.bytesOut += response.length;
    this.conn.socket.write(response, 'latin1');
    this.finish();
  }

  private runChain(chain: Chain, route: CompiledRoute<RouteRuntime>): void {
    const mw = new Http1MiddlewareContext(this, route.spec);
    this.mw = mw;
    this.chainPending = true;
    chain(mw, callUpstreamFromChain).then(() => this.afterChain(), (error: unknown) => this.chainFailed(error));
  }

  /** The chain's terminal: proxy to the upstream it chose; resolves when the response head is in. */
  callUpstream(): Promise<void> {
    const mw = this.mw!;
    return mw.waitForUpstream(() => {
      const backend = chosenBackend(this.route!, mw.upstream.backend);
      if (backend === null || backend.endpoints.length === 0) return this.respondError(503, 'no-endpoint');
      this.backend = backend;
      this.connectUpstream(null, preferredEndpoint(backend, mw.upstream));
    });
  }

  private chainFailed(error: unknown): void {
    this.chainPending = false;
    this.mw!.noteFailure(error);
    this.heldBody = null;
    this.respondError(500, 'middleware-error');
  }

  /** The chain completed: send what it settled on, the upstream's (possibly edited) response or an answer. */
  private afterChain(): void {
    this.chainPending = false;
    const mw = this.mw!;
    const response = mw.response;
    if (this.responseDone) return;
    if (response === null) return this.chainFailed(new Error('the chain finished without a response'));
    if (mw.answerBody !== null) return this.writeAnswer(response.status, mw.responseHeaders.raw, mw.answerBody);
    this.transform = response.bodyTransform;
    const status = response.status;
    const reason = status === this.status ? this.upstreamReason : STATUS_CODES[status] ?? '';
    const socket = this.conn.socket;
    socket.cork();
    this.writeResponseHead(status, reason, mw.responseHeaders.raw, this.upstreamNoBody, this.transform !== null);
    const held = this.heldBody;
    this.heldBody = null;
    if (held !== null) for (const chunk of held) this.onResponseBody(chunk);
    socket.uncork();
    const paused = this.pausedForChain;
    this.pausedForChain = false;
    if (this.upstreamComplete) this.completeResponse(this.heldTrailers);
    else if (paused) {
      this.upstream?.socket.resume();
      this.relay?.resume();
    }
  }

  /** An answer made by a middleware (ctx.respond) or by the gateway during the chain. */
  private writeAnswer(status: number, headers: readonly string[], body: Buffer): void {
    if (this.upstream !== null) {
      this.upstream.destroy();
      this.upstream = null;
    }
    this.relay?.abort();
    this.relay = null;
    if (!this.requestDone && (this.scan.chunked || this.scan.contentLength - this.bytesIn > MAX_DISCARD_BYTES)) this.closeAfter = true;
    const close = this.closeAfter || !this.keepAlive;
    let head = 'HTTP/1.1 ' + status + ' ' + (STATUS_CODES[status] ?? '') + CRLF;
    for (let i = 0; i < headers.length; i += 2) {
      const kind = classifyHeader(headers[i]!);
      if ((kind & (H_HOP | H_CONTENT_LENGTH)) !== 0) continue;
      head += headers[i] + ': ' + headers[i + 1] + CRLF;
    }
    head += 'Content-Length: ' + body.length + CRLF + (close ? 'Connection: close\r\n' : '') + CRLF;
    this.status = status;
    this.responseHeadSent = true;
    this.responseDone = true;
    this.bytesOut += head.length + body.length;
    const socket = this.conn.socket;
    socket.cork();
    socket.write(head, 'latin1');
    if (this.method !== 'HEAD' && body.length > 0 && status !== 204 && status !== 304) socket.write(body);
    socket.uncork();
    if (this.waitingUpstreamDrain) {
      this.waitingUpstreamDrain = false;
      this.conn.resumeReading();
    }
    this.pending = null;
    this.finish();
  }

  /** A trusted proxy in front (a cloud load balancer) already terminated TLS for this request. */
  private viaHttpsProxy(): boolean {
    return this.conn.trusted && this.scan.forwardedProto === 'https';
  }

  private redirectToHttps(httpsPort: number): void {
    const location = httpsLocation(this.scan.host ?? '', this.url, httpsPort);
    if (!this.requestDone && (this.scan.chunked || this.scan.contentLength > MAX_DISCARD_BYTES)) this.closeAfter = true;
    const close = this.closeAfter || !this.keepAlive;
    const response = redirectResponse(308, location, close, this.method === 'HEAD');
    this.error = 'ssl-redirect';
    this.status = 308;
    this.responseHeadSent = true;
    this.responseDone = true;
    this.bytesOut += response.length;
    this.conn.socket.write(response, 'latin1');
    this.finish();
  }

  private connectUpstream(avoid: EndpointRuntime | null, preferred: string | null = null): void {
    const runtime = this.route!.ext;
    const endpoint = pickEndpoint(this.backend!, avoid, preferred);
    if (endpoint === null) return this.respondError(503, 'no-endpoint');
    this.endpoint = endpoint;
    if (this.mw !== null) this.mw.upstream.endpoint = endpoint.pool.key;
    if (endpoint.http2 !== null) return this.startRelay(endpoint);
    const upstream = endpoint.pool.acquire(runtime.options.connectTimeoutMs);
    this.upstream = upstream;
    this.upstreamReused = upstream.connected;
    if (this.upstreamStart === 0) {
      this.upstreamStart = Date.now();
      this.backend!.retry.recordRequest();
    }
    upstream.expectNoBody(this.method === 'HEAD');
    if (upstream.connected) {
      upstream.attach(this, this.attemptTimeout(runtime.options.readTimeoutMs));
      this.sendHead(upstream);
    } else {
      upstream.attach(this, this.attemptTimeout(runtime.options.connectTimeoutMs));
    }
  }

  onUpstreamConnect(upstream: Http1UpstreamConnection): void {
    upstream.setTimeout(this.attemptTimeout(this.route!.ext.options.readTimeoutMs));
    this.sendHead(upstream);
  }

  /**
   * The first attempt gets the route's timeouts; a retry only what is left of the read timeout counted
   * from the first attempt, so the client's wait stays within it whatever the retries.
   */
  private attemptTimeout(ms: number): number {
    return tryTimeout(this.route!.ext.options, ms, this.attempts === 1 && !this.retriedStaleConnection, this.upstreamStart);
  }

  private sendHead(upstream: Http1UpstreamConnection): void {
    this.bodySink = upstream.socket;
    // The head is built once; a traced request rebuilds it per attempt (a new upstream span each).
    const head = this.span === null ? (this.head ??= this.buildRequestHead()) : this.buildRequestHead();
    if (this.pending === null && !(this.requestDone && this.scan.chunked)) {
      // No body held: one write. If body bytes follow in the same client read, they join this write.
      if (!this.requestDone) this.conn.corkUntilReadEnds(upstream.socket);
      upstream.write(head, 'latin1');
      this.headSent = true;
      return;
    }
    const pending = this.pending;
    this.pending = null;
    this.pendingBytes = 0;
    this.headSent = true;
    if (!writeRequestStart(upstream, head, pending, this.scan.chunked, this.requestDone)) this.waitForUpstreamDrain();
  }

  private buildRequestHead(): string {
    const scan = this.scan;
    const headers = this.headers;
    const tokens = scan.connectionTokens;
    const mw = this.mw;
    let head = `${this.method} ${mw === null ? this.url : mw.request.path} HTTP/1.1\r\n`;
    if (mw !== null) {
      // Already filtered when the context was built; middlewares may have edited them since.
      const edited = mw.request.headers.raw;
      for (let i = 0; i < edited.length; i += 2) {
        if (this.span !== null && classifyHeader(edited[i]!) === H_TRACEPARENT) continue;
        head += edited[i] + ': ' + edited[i + 1] + CRLF;
      }
    } else {
      for (let i = 0; i < headers.length; i += 2) {
        const name = headers[i]!;
        const kind = classifyHeader(name);
        if (kind !== 0 && (kind & (H_HOP | H_X_FORWARDED | H_X_REQUEST_ID)) !== 0) continue;
        if (kind === H_TRACEPARENT && this.span !== null) continue;
        if (kind === 0 && tokens !== null && isListedIn(name, tokens)) continue;
        head += name + ': ' + headers[i + 1] + CRLF;
      }
    }
    // HTTP/1.0 clients may omit Host; the upstream request is HTTP/1.1, which requires one.
    if (scan.host === undefined) head += 'Host: ' + this.endpoint!.pool.key + CRLF;
    const f = this.forwarding();
    head += 'X-Forwarded-For: ' + f.forwardedFor + '\r\nX-Forwarded-Proto: ' + f.proto + '\r\nX-Forwarded-Port: ' + f.port +
      '\r\nX-Real-IP: ' + f.realIp + '\r\nX-Request-Id: ' + this.requestId + CRLF;
    if (f.host !== undefined) head += 'X-Forwarded-Host: ' + f.host + CRLF;
    if (this.span !== null) head += 'traceparent: ' + this.span.upstreamStart(this.endpoint?.pool.key) + CRLF;
    if (scan.chunked) head += 'Transfer-Encoding: chunked\r\n';
    if (this.isUpgrade) head += 'Connection: Upgrade\r\nUpgrade: ' + scan.upgrade + CRLF;
    return head + CRLF;
  }

  private startRelay(endpoint: EndpointRuntime): void {
    const options = this.route!.ext.options;
    if (this.upstreamStart === 0) {
      this.upstreamStart = Date.now();
      this.backend!.retry.recordRequest();
    }
    const mw = this.mw;
    const forwarded = mw !== null ? mw.request.headers.raw : forwardedRequestHeaders(this.headers, this.scan.connectionTokens);
    const bodyFollows = !this.requestDone || this.pending !== null;
    try {
      this.relay = new Http1ToHttp2Relay(this, endpoint, this.method, mw === null ? this.url : mw.request.path, this.scan.host ?? '', [...forwarded, ...this.addedFields()], bodyFollows, {
        connectMs: this.attemptTimeout(options.connectTimeoutMs),
        readMs: this.attemptTimeout(options.readTimeoutMs),
      });
    } catch {
      // node:http2 refuses some field combinations HTTP/1.1 allows (a repeated single-value field).
      return this.respondError(400, 'invalid-request-header');
    }
    this.headSent = true;
    const pending = this.pending;
    this.pending = null;
    this.pendingBytes = 0;
    if (pending !== null) for (const chunk of pending) this.writeToRelay(chunk);
    if (this.requestDone && bodyFollows) this.relay.end();
  }

  private writeToRelay(chunk: Buffer): void {
    this.bodyKept = true;
    if (!this.relay!.write(chunk)) this.waitForUpstreamDrain();
  }

  /**
   * The HTTP/2 upstream failed (the relay has let go of its stream). A route's own retry policy tries
   * again as for HTTP/1.1 upstreams: connection failures, resets and per-try timeouts, for requests
   * without a body (a body went into the failed stream and is not kept).
   */
  onRelayFailure(timedOut: boolean, beforeResponse: boolean, opened: boolean): void {
    this.relay = null;
    this.upstreamEnd = Date.now();
    if (!beforeResponse || this.responseHeadSent) {
      this.error = timedOut ? 'upstream-timeout' : 'upstream-reset';
      this.conn.destroy();
      return;
    }
    const retry = this.route!.ext.options.retry;
    const kind: AttemptFailure = !opened && !timedOut ? 'connect' : timedOut ? 'timeout' : 'reset';
    if (retry !== undefined && this.mayRetry(kind, this.requestDone && this.bytesIn === 0)) return this.tryAgain(kind, retry.backoffMs);
    if (timedOut) this.respondError(504, 'upstream-timeout');
    else this.respondError(retry !== undefined ? 503 : 502, kind === 'connect' ? 'upstream-connect' : 'upstream-reset');
  }

  /** The X-Forwarded-* and X-Real-IP values: the client's own only when it is a trusted proxy. */
  private forwarding(): Forwarding {
    const scan = this.scan;
    const conn = this.conn;
    const trusted = conn.trusted;
    const client = conn.remoteAddress;
    return {
      forwardedFor: trusted && scan.forwardedFor !== undefined ? scan.forwardedFor + ', ' + client : client,
      proto: trusted && scan.forwardedProto !== undefined ? scan.forwardedProto : conn.ctx.scheme,
      port: trusted && scan.forwardedPort !== undefined ? scan.forwardedPort : conn.ctx.localPort,
      host: trusted && scan.forwardedHost !== undefined ? scan.forwardedHost : scan.host,
      realIp: conn.clientAddressFor(scan.forwardedFor),
    };
  }

  /** The same fields as buildRequestHead adds, as a flat list (for HTTP/2 upstreams). */
  private addedFields(): string[] {
    const f = this.forwarding();
    const fields = ['X-Forwarded-For', f.forwardedFor, 'X-Forwarded-Proto', f.proto, 'X-Forwarded-Port', f.port, 'X-Real-IP', f.realIp, 'X-Request-Id', this.requestId];
    if (f.host !== undefined) fields.push('X-Forwarded-Host', f.host);
    if (this.span !== null) fields.push('traceparent', this.span.upstreamStart(this.endpoint?.pool.key));
    return fields;
  }

  private writeBody(upstream: Http1UpstreamConnection, chunk: Buffer): void {
    if (!writeBodyPiece(upstream, chunk, this.scan.chunked)) this.waitForUpstreamDrain();
  }

  /** The upstream's buffer is full: stop reading the client until it drains. */
  private waitForUpstreamDrain(): void {
    if (this.waitingUpstreamDrain) return;
    this.waitingUpstreamDrain = true;
    this.conn.pauseReading();
  }

  /** The request body read so far and not yet sent (the upstream is not connected before the chain's end). */
  bodyHeldForUpstream(): readonly Buffer[] | null {
    return this.pending;
  }

  requestBodyComplete(): boolean {
    return this.requestDone;
  }

  /** True when no body byte given to this exchange is referenced any more (written out, or dropped). */
  requestBodyReleased(): boolean {
    if (this.pending !== null || this.bodyKept) return false;
    return this.bodySink === null || this.bodySink.writableLength === 0;
  }

  /** A piece of the request body, already de-chunked by llhttp. */
  onRequestBody(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    if (this.responseDone) {
      if (this.bytesIn > MAX_DISCARD_BYTES) this.conn.destroy();
      return;
    }
    const maxBody = this.route === null ? 0 : this.route.ext.options.maxBodyBytes;
    if (maxBody > 0 && this.bytesIn > maxBody) {
      this.closeAfter = true;
      this.respondError(413, 'body-too-large');
      return;
    }
    const mw = this.mw;
    if (mw !== null) {
      // Middlewares may hold on to the body (taps, the held bytes they read).
      this.bodyKept = true;
      if (mw.bodyTaps !== null) mw.requestBodyData(chunk);
    }
    if (this.relay !== null) return this.writeToRelay(chunk);
    const upstream = this.upstream;
    if (upstream !== null && this.headSent) {
      this.writeBody(upstream, chunk);
      return;
    }
    // Not connected yet (or not started: a pipelined request): hold the bytes, a bounded amount.
    (this.pending ??= []).push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > MAX_PENDING_BYTES && !this.waitingUpstreamDrain) {
      this.waitingUpstreamDrain = true;
      this.conn.pauseReading();
    }
  }

  onRequestComplete(trailers: string[] | null): void {
    this.requestDone = true;
    const mw = this.mw;
    if (mw !== null && mw.bodyTaps !== null) mw.requestBodyEnd(!this.responseDone);
    if (this.relay !== null && !this.responseDone) this.relay.end();
    const upstream = this.upstream;
    if (upstream !== null && this.headSent && this.scan.chunked && !this.responseDone) {
      upstream.write(trailers === null ? LAST_CHUNK : '0\r\n' + joinHeaders(trailers) + CRLF, 'latin1');
    }
    if (this.responseDone) this.finish();
  }

  onUpstreamDrain(): void {
    if (this.waitingUpstreamDrain) {
      this.waitingUpstreamDrain = false;
      this.conn.resumeReading();
    }
  }

  onResponseHead(status: number, reason: string, headers: string[], _versionMinor: number, _upstreamKeepAlive: boolean, _upgrade: boolean): boolean {
    const socket = this.conn.socket;
    if (status === 101) return this.onSwitchingProtocols(reason, headers);
    if (status < 200) {
      // 100 Continue is relayed only to a client that asked for it; other 1xx are dropped (RFC 9110 15.2).
      if (status === 100 && this.scan.expectContinue && !this.responseHeadSent) socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
      return false;
    }
    const noBody = responseHasNoBody(this.method, status);
    if (this.settleFinalStatus(status)) return noBody;
    if (this.chainPending) return this.holdResponseHead(status, reason, headers, noBody);
    this.writeResponseHead(status, reason, headers, noBody, false);
    return noBody;
  }

  /**
   * A final (200-599, not 101) head the scanner took: forwarded from its bytes, no string per header.
   * Routes with a middleware chain decline it: the chain reads header fields, which llhttp then makes.
   */
  onRawResponseHead(head: ResponseHeadScan, data: Buffer): boolean | null {
    if (this.chainPending) return null;
    const status = head.status;
    const noBody = responseHasNoBody(this.method, status);
    if (this.settleFinalStatus(status)) return noBody;
    this.writeRawResponseHead(head, data, noBody);
    return noBody;
  }

  /**
   * A final status arrived (either head path): the span and outlier ejection learn it. Returns true when
   * the route retries it and may try again: the answer is then read and dropped (the try is counted).
   */
  private settleFinalStatus(status: number): boolean {
    this.span?.upstreamEnd(status);
    this.noteOutcome(status);
    const retry = this.route!.ext.options.retry;
    if (retry === undefined || !retry.codes.includes(status) || !this.mayRetry('status', this.requestDone && this.bytesIn === 0)) return false;
    this.discarding = true;
    return true;
  }

  /** Routes with middlewares: the head goes to the chain's response phase first; the body waits. */
  private holdResponseHead(status: number, reason: string, headers: string[], noBody: boolean): boolean {
    this.status = status;
    this.upstreamReason = reason;
    this.upstreamNoBody = noBody;
    this.heldBody = [];
    // An HTTP/2 upstream holds the rest of the body in its flow-control window meanwhile.
    if (this.relay !== null) {
      this.pausedForChain = true;
      this.relay.pause();
    }
    this.mw!.setUpstreamResponse(status, filterResponseHeaders(headers));
    this.mw?.upstreamSettled();
    return noBody;
  }

  private upstreamReason = '';
  /** The upstream socket is paused while the chain's response phase runs. */
  private pausedForChain = false;

  /**
   * Writes the response head to the client: hop-by-hop headers dropped, framing chosen. `reframe` drops
   * the upstream's Content-Length (a body transform changes the length) and sends chunked instead.
   */
  private writeResponseHead(status: number, reason: string, headers: readonly string[], noBody: boolean, reframe: boolean): void {
    const block = forwardedBlock(headers, reframe);
    const close = this.chooseFraming(noBody, !reframe && contentLength(headers) >= 0);
    const head = 'HTTP/1.1 ' + status + ' ' + reason + CRLF + block + this.gatewayFields(close);
    this.status = status;
    this.responseHeadSent = true;
    this.bytesOut += head.length;
    this.out.write(head);
  }

  /**
   * Writes the response head copied from the upstream's bytes (a head the scanner took: Content-Length
   * framed or bodiless, Connection only keep-alive or close). Body bytes of the same read that are small
   * get room in the same Buffer, so head and body leave in one write.
   */
  private writeRawResponseHead(head: ResponseHeadScan, data: Buffer, noBody: boolean): void {
    const close = this.chooseFraming(noBody, true);
    const inRead = noBody || head.contentLength <= 0 ? 0 : Math.min(head.contentLength, data.length - head.headEnd);
    const room = this.out.gathering && inRead <= MAX_GATHERED_CHUNK ? inRead : 0;
    const bytes = headFromBytes(head, data, this.gatewayFields(close), room);
    const length = bytes.length - room;
    this.status = head.status;
    this.responseHeadSent = true;
    this.bytesOut += length;
    this.out.writeHead(bytes, length);
  }

  /**
   * Chooses the client-side framing: chunked re-framing for an HTTP/1.1 client when the upstream body has
   * no length, else closing. Returns whether the connection closes after this response.
   */
  private chooseFraming(noBody: boolean, hasLength: boolean): boolean {
    if (!noBody && !hasLength) {
      if (this.versionMinor >= 1) this.out.chunked = true;
      else this.closeAfter = true;
    }
    const close = this.closeAfter || !this.keepAlive || !this.requestDone && this.bytesIn > MAX_DISCARD_BYTES;
    if (close) this.closeAfter = true;
    return close;
  }

  /** The fields the gateway adds to a response head, and the empty line that ends it. */
  private gatewayFields(close: boolean): string {
    const hsts = this.route === null || this.conn.ctx.scheme !== 'https' ? null : this.route.spec.options.hsts || null;
    return gatewayFields(this.out.chunked, hsts, close, this.versionMinor === 0);
  }

  /** Feeds the backend's outlier ejection: 5xx answers count as failures of the endpoint. */
  private noteOutcome(status: number): void {
    const breaker = this.backend?.breaker;
    if (breaker === undefined || this.endpoint === null) return;
    if (status >= 500) breaker.recordFailure(this.endpoint.pool.key, this.backend!.endpoints.length);
    else if (breaker.hasRecords) breaker.recordSuccess(this.endpoint.pool.key);
  }

  /** 101 from the upstream: relay it with its Upgrade/Connection headers; the tunnel starts next. */
  private onSwitchingProtocols(reason: string, headers: string[]): boolean {
    if (!this.isUpgrade) {
      this.respondError(502, 'upstream-protocol');
      return true;
    }
    let head = 'HTTP/1.1 101 ' + reason + CRLF;
    for (let i = 0; i < headers.length; i += 2) head += headers[i] + ': ' + headers[i + 1] + CRLF;
    this.status = 101;
    this.responseHeadSent = true;
    this.bytesOut += head.length + 2;
    this.conn.socket.write(head + CRLF, 'latin1');
    return true;
  }

  onUpstreamUpgrade(socket: net.Socket, head: Buffer): void {
    this.upstream = null;
    this.upstreamEnd = Date.now();
    this.responseDone = true;
    this.requestDone = true;
    this.finished = true;
    const clientHead = this.conn.detachForTunnel();
    if (this.conn.ctx.observer.enabled) this.report();
    const tunnel = new Tunnel(this.conn.socket, socket, clientHead, head, {
      idleTimeoutMs: this.route!.ext.options.tunnelIdleTimeoutMs,
      websocket: this.scan.upgrade !== undefined && nameIs(this.scan.upgrade, 'websocket'),
    });
    this.endpoint!.pool.adoptTunnel(tunnel);
    const open = this.conn.ctx.counters.streams('WebSocket');
    open.inc();
    tunnel.onClosed(() => open.dec());
  }

  beginResponseData(): void {
    this.out.beginRead();
  }

  endResponseData(): void {
    if (!this.out.endRead()) this.holdUpstreamForClient();
    // The chain's response phase is running and the body is not complete: stop reading until it ends
    // (a small response arrives whole in one read and needs no pause).
    if (this.heldBody !== null && !this.upstreamComplete && !this.pausedForChain && this.upstream !== null) {
      this.pausedForChain = true;
      this.upstream.socket.pause();
    }
  }

  /** Held or transformed pieces keep the read's bytes; otherwise the client output knows (ClientOutput.readReleased). */
  responseDataReleased(): boolean {
    return this.heldBody === null && this.transform === null && this.out.readReleased();
  }

  private holdUpstreamForClient(): void {
    if (this.waitingClientDrain) return;
    if (this.upstream !== null) {
      this.waitingClientDrain = true;
      this.upstream.socket.pause();
    } else if (this.relay !== null) {
      this.waitingClientDrain = true;
      this.relay.pause();
    }
  }

  onResponseBody(chunk: Buffer): void {
    if (this.discarding) return;
    if (this.heldBody !== null) {
      // The chain's response phase is still running: keep the bytes (the upstream is paused).
      this.heldBody.push(chunk);
      return;
    }
    if (this.transform !== null) {
      chunk = this.transform.write(chunk);
      if (chunk.length === 0) return;
    }
    this.bytesOut += chunk.length;
    if (!this.out.writeBody(chunk)) this.holdUpstreamForClient();
  }

  /** The client socket drained: let the upstream send more. */
  onClientDrain(): void {
    if (this.waitingClientDrain) {
      this.waitingClientDrain = false;
      this.upstream?.socket.resume();
      this.relay?.resume();
    }
  }

  onResponseComplete(trailers: string[] | null): void {
    this.upstreamEnd = Date.now();
    if (this.discarding) {
      // The connection goes back to its pool; the retry starts after this parse has unwound (it may
      // pick the same connection).
      this.discarding = false;
      this.releaseUpstream();
      retryDeferred(this, this.route!.ext.options.retry!.backoffMs);
      return;
    }
    if (this.heldBody !== null) {
      // Complete before the chain's response phase ended: finish when it does (afterChain).
      this.upstreamComplete = true;
      this.heldTrailers = trailers;
      this.releaseUpstream();
      return;
    }
    this.completeResponse(trailers);
  }

  private completeResponse(trailers: string[] | null): void {
    if (this.transform !== null) {
      const rest = this.transform.end();
      this.transform = null;
      if (rest.length > 0) this.onResponseBody(rest);
    }
    if (this.out.chunked) this.out.write(trailers === null ? LAST_CHUNK : '0\r\n' + joinHeaders(trailers) + CRLF);
    // Whatever comes next on this connection (a pipelined answer) must follow these bytes.
    this.out.flush();
    this.responseDone = true;
    this.releaseUpstream();
    if (!this.requestDone && (this.scan.chunked || this.scan.contentLength - this.bytesIn > MAX_DISCARD_BYTES)) this.closeAfter = true;
    this.finish();
  }

  private releaseUpstream(): void {
    this.relay = null;
    const upstream = this.upstream;
    this.upstream = null;
    upstream?.finishExchange(this.requestDone, this.waitingClientDrain || this.pausedForChain);
  }

  onUpstreamError(error: UpstreamError): void {
    this.upstream = null;
    this.span?.upstreamEnd(0);
    this.upstreamEnd = Date.now();
    if (this.responseHeadSent) {
      // The status line is gone; the only honest signal left is cutting the connection.
      this.error = `upstream-${error.failure}`;
      this.conn.destroy();
      return;
    }
    const backend = this.backend!;
    const replayable = this.requestDone && this.bytesIn === 0;
    // A route's own retry policy counts every try, this one too (its bound is the user's).
    if (this.upstreamReused && error.beforeResponse && !this.retriedStaleConnection && replayable && error.failure !== 'timeout' && this.route!.ext.options.retry === undefined) {
      // A pooled connection the upstream had just closed: not the endpoint's fault; resend once on a
      // fresh connection (nothing was consumed), outside the retry policy.
      this.retriedStaleConnection = true;
      this.headSent = false;
      this.conn.ctx.counters.onUpstreamRetry(this.route!.spec, 'stale-connection');
      return this.connectUpstream(null);
    }
    backend.breaker.recordFailure(error.endpoint, backend.endpoints.length);
    // A connect timeout sent nothing either: it counts as a connect failure, not as a read timeout.
    const kind = error.failure === 'connect' || (error.failure === 'timeout' && error.beforeRequestSent) ? 'connect' : error.failure === 'timeout' ? 'timeout' : 'reset';
    // A connect failure sent nothing (the body is still held), so any request may go elsewhere; after
    // that only idempotent bodiless requests, within the backend's retry budget (ingress-nginx's
    // proxy_next_upstream "error timeout", 3 tries). A read timeout is never retried: it bounds the whole
    // wait, and a hanging endpoint must not receive each request again. Only a route's own per-try
    // timeout (HTTPRoute backendRequest with retry) is, while some of the read timeout is left.
    const retry = this.route!.ext.options.retry;
    if (error.beforeResponse && (kind !== 'timeout' || retry !== undefined) && this.mayRetry(kind, kind === 'connect' || replayable)) {
      return this.tryAgain(kind, retry?.backoffMs ?? 0);
    }
    if (error.failure === 'timeout') this.respondError(504, 'upstream-timeout');
    // A route with a retry policy answers what Gateway API implementations answer once retries are spent.
    else this.respondError(retry !== undefined ? 503 : 502, error.failure === 'connect' ? 'upstream-connect' : `upstream-${error.failure}`);
  }

  /**
   * Whether a failed try may be followed by another: the route's (or the backend's) bound on tries and
   * the backend's budget, and enough of the read timeout left for the backoff. Counts the try when yes.
   */
  private mayRetry(kind: AttemptFailure, replayable: boolean): boolean {
    if (!mayRetry(this.route!.ext.options, this.backend!, this.method, this.attempts, kind, replayable, this.upstreamStart)) return false;
    this.attempts++;
    return true;
  }

  /** Sends the request again after a failed try, once `backoffMs` is over, on another endpoint when there is one. */
  private tryAgain(kind: AttemptFailure, backoffMs: number): void {
    this.headSent = false;
    this.conn.ctx.counters.onUpstreamRetry(this.route!.spec, kind === 'connect' ? 'connect-refused' : 'next-upstream');
    retryAfter(this, backoffMs);
  }

  /** The route's backoff is over: try again, on another endpoint when there is one. */
  retryNow(): void {
    this.retryTimer = null;
    if (this.finished || this.responseDone) return;
    this.headSent = false;
    this.connectUpstream(this.endpoint);
  }

  /** The route's request timeout ran out: 504, or the response cut when it has begun; no retry follows. */
  onRequestTimeout(): void {
    this.deadlineTimer = null;
    if (this.finished || this.responseDone) return;
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.respondError(504, 'request-timeout');
  }

  /** Answers the request from the gateway itself (an error status), unless the response has begun. */
  respondError(status: number, reason: string): void {
    if (this.responseDone) return;
    this.error = reason;
    if (this.upstream !== null) {
      this.upstream.destroy();
      this.upstream = null;
    }
    this.relay?.abort();
    this.relay = null;
    if (this.chainPending) {
      // Inside the chain the error becomes the response its response phase sees (CORS headers etc.).
      this.heldBody = null;
      this.mw!.respond(status, errorBody(status));
      this.mw?.upstreamSettled();
      return;
    }
    if (this.responseHeadSent) {
      this.conn.destroy();
      return;
    }
    if (!this.requestDone && (this.scan.chunked || this.scan.contentLength - this.bytesIn > MAX_DISCARD_BYTES)) this.closeAfter = true;
    const close = this.closeAfter || !this.keepAlive;
    const response = this.method === 'HEAD' ? errorResponseHead(status, close) : errorResponse(status, close);
    this.status = status;
    this.responseHeadSent = true;
    this.responseDone = true;
    this.bytesOut += response.length;
    if (this.waitingUpstreamDrain) {
      this.waitingUpstreamDrain = false;
      this.conn.resumeReading();
    }
    this.pending = null;
    this.conn.socket.write(response);
    this.finish();
  }

  private finish(): void {
    if (this.finished || !this.requestDone || !this.responseDone) return;
    this.finished = true;
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.conn.exchangeFinished(this, this.closeAfter || !this.keepAlive);
  }

  /** The client went away: stop everything for this request. */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    if (!this.responseDone && this.error === null) this.error = 'client-closed';
    if (this.upstream !== null) {
      this.upstream.destroy();
      this.upstream = null;
    }
    this.relay?.abort();
    this.relay = null;
    if (this.started && this.conn.ctx.observer.enabled) this.report();
  }

  /** Hands the finished request to the observer (access log, metrics). */
  report(): void {
    const now = Date.now();
    const record: RequestRecord = {
      startTime: this.startTime,
      durationMs: now - this.startTime,
      clientAddress: this.conn.clientAddressFor(this.conn.trusted ? this.scan.forwardedFor : undefined),
      method: this.method,
      host: this.scan.host ?? '',
      path: this.path,
      protocol: this.versionMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1',
      // 499: the client closed before the answer, as nginx logs it.
      status: this.responseDone ? this.status : 499,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      route: this.route === null ? null : this.route.spec,
      upstreamAddress: this.upstreamAddress,
      upstreamDurationMs: this.upstreamStart === 0 ? 0 : (this.upstreamEnd || now) - this.upstreamStart,
      requestId: this.requestId,
      error: this.error,
      traceId: this.span === null ? null : this.span.traceId,
    };
    this.span?.end(record);
    this.conn.ctx.observer.onRequestEnd(record);
  }

  get hasResponseStarted(): boolean {
    return this.responseHeadSent;
  }
}

function joinHeaders(headers: readonly string[]): string {
  let text = '';
  for (let i = 0; i < headers.length; i += 2) text += headers[i] + ': ' + headers[i + 1] + CRLF;
  return text;
}

/** The chain's terminal, shared by every request (no closure per request). */
function callUpstreamFromChain(ctx: import('../../middleware/types.ts').Context): Promise<void> {
  return (ctx as Http1MiddlewareContext).exchange.callUpstream();
}

function requestTimedOut(exchange: Http1Exchange): void {
  exchange.onRequestTimeout();
}
