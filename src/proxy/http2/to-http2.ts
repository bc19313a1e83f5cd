// An HTTP/2 stream relayed to an HTTP/2 upstream (backend protocols h2c, grpc, grpcs) on the
// endpoint's multiplexed session. Both bodies are forwarded chunk by chunk with backpressure, so flow
// control is end to end: a full window on one side stops reading on the other. (Not with pipe(): on an
// HTTP/2 stream every listener pipe() adds and removes also emits 'newListener'/'removeListener', a
// dozen of each per stream and direction.) Trailers (gRPC's grpc-status and grpc-message) are relayed,
// and a trailers-only upstream answer stays a single HEADERS frame. Heads go through as flat lists where
// they can (the request's ours, the response's the raw list node:http2 hands us), since node copies a
// header object into a new one and takes a list as it is; trailers as the object node built (node
// copies them once, a copy of ours would be a second one). The request body starts flowing once the
// upstream stream is open ('ready'), so a refused connection consumed nothing and the call can go to
// another endpoint. A route's own retry policy (HTTPRoute retry) tries again as for HTTP/1.1
// upstreams: listed statuses, connection failures, resets and per-try timeouts, before the response is
// relayed, for requests whose body was not consumed.
import http2 from 'node:http2';
import { pickEndpoint, type BackendRuntime, type EndpointRuntime } from '../../upstream/registry.ts';
import type { AttemptFailure } from '../../upstream/retry-policy.ts';
import { mayRetry, retryAfter, tryTimeout, type Retrying } from '../route-retry.ts';
import { classifyHeader, isListedIn, H_HOP, H_HOST, H_X_FORWARDED, H_X_REQUEST_ID } from '../../http1/index.ts';
import type { Http2StreamExchange, StreamRelay } from './stream-exchange.ts';
import { hasRepeatedName, type ResponseFieldList } from './fields.ts';

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants;

export class Http2Relay implements StreamRelay, Retrying {
  private readonly ex: Http2StreamExchange;
  private readonly backend: BackendRuntime;
  private readonly preferredEndpoint: string | null;
  private upstream: http2.ClientHttp2Stream | null = null;
  private endpoint: EndpointRuntime | null = null;
  private lastError: NodeJS.ErrnoException | null = null;
  private bodyStarted = false;
  private responseStarted = false;
  private triedAnotherEndpoint = false;
  private aborted = false;
  /** The stream the session opened last ('ready'): a stream that closes before it never reached the upstream. */
  private opened: http2.ClientHttp2Stream | null = null;
  /** Tries made under the route's retry policy, the first included. */
  private tries = 1;
  retryTimer: NodeJS.Timeout | null = null;
  /** The upstream stream the request body goes to (null between tries). */
  private bodyTarget: http2.ClientHttp2Stream | null = null;
  /** A request body chunk that arrived while no stream could take it (the client is paused meanwhile). */
  private heldChunk: Buffer | null = null;
  private requestEnded = false;
  /** The last stream the client's body was paused for: its 'drain' listener is added once. */
  private drainListening: http2.ClientHttp2Stream | null = null;
  private clientDrainListening = false;

  constructor(ex: Http2StreamExchange, backend: BackendRuntime, preferredEndpoint: string | null) {
    this.ex = ex;
    this.backend = backend;
    this.preferredEndpoint = preferredEndpoint;
  }

  start(): void {
    this.connect(null);
  }

  private connect(avoid: EndpointRuntime | null): void {
    const ex = this.ex;
    const endpoint = pickEndpoint(this.backend, avoid, avoid === null ? this.preferredEndpoint : null);
    if (endpoint === null || endpoint.http2 === null) return ex.fail(503, 'no-endpoint');
    if (ex.mw !== null) ex.mw.upstream.endpoint = endpoint.pool.key;
    const pool = endpoint.http2;
    const options = ex.route!.ext.options;
    this.endpoint = endpoint;
    this.lastError = null;
    ex.upstreamAddress = pool.key;
    if (ex.upstreamStart === 0) ex.upstreamStart = Date.now();
    let upstream: http2.ClientHttp2Stream;
    try {
      upstream = pool.request(this.requestHeaders(pool.secure, pool.key), { endStream: !ex.request.hasBody }, this.tryTimeout(options.connectTimeoutMs));
    } catch {
      // node:http2 refuses some field combinations HTTP/1.1 allows (a repeated single-value field).
      return ex.fail(400, 'invalid-request-header');
    }
    this.upstream = upstream;
    upstream.setTimeout(this.tryTimeout(options.readTimeoutMs), () => this.onTimeout(upstream));
    // On a session that is already connected the stream is open at once, and 'ready' has fired.
    if (upstream.pending) upstream.once('ready', () => this.onReady(upstream));
    else this.onReady(upstream);
    upstream.on('response', (headers, _flags, rawHeaders) => this.onResponse(upstream, headers, rawHeaders));
    upstream.on('trailers', (trailers) => (ex.trailers = trailers));
    upstream.on('error', (error: NodeJS.ErrnoException) => (this.lastError = error));
    upstream.on('close', () => this.onClose(upstream));
  }

  /** The request head as a flat list (node:http2 takes [name, value, ...] as it is, without an object per request). */
  private requestHeaders(secure: boolean, endpointKey: string): string[] {
    const ex = this.ex;
    const request = ex.request;
    const fields: string[] = [
      ':method', request.method,
      ':path', ex.outgoingPath,
      ':scheme', secure ? 'https' : 'http',
      ':authority', request.authority ?? endpointKey,
    ];
    const headers = ex.outgoingHeaders;
    const tokens = request.scan.connectionTokens;
    for (let i = 0; i < headers.length; i += 2) {
      // Middlewares may have set names in any case; HTTP/2 wants them lower-case.
      const name = headers[i]!.toLowerCase();
      const value = headers[i + 1]!;
      const kind = classifyHeader(name);
      if (kind !== 0 && (kind & (H_HOP | H_HOST | H_X_FORWARDED | H_X_REQUEST_ID)) !== 0) {
        // "te: trailers" is the one hop-by-hop field HTTP/2 keeps, and gRPC servers require it.
        if (name !== 'te' || value !== 'trailers') continue;
      } else if (kind === 0 && tokens !== null && isListedIn(name, tokens)) continue;
      fields.push(name, value);
    }
    const fwd = ex.forwarded();
    fields.push('x-forwarded-for', fwd.for, 'x-forwarded-proto', fwd.proto);
    if (fwd.host !== undefined) fields.push('x-forwarded-host', fwd.host);
    fields.push('x-forwarded-port', fwd.port, 'x-real-ip', fwd.realIp, 'x-request-id', ex.requestId);
    return fields;
  }

  /** A try's timeout: bounded by the route's per-try timeout, and a retry gets what is left of the read timeout. */
  private tryTimeout(ms: number): number {
    return tryTimeout(this.ex.route!.ext.options, ms, this.tries === 1, this.ex.upstreamStart);
  }

  /**
   * Under the route's retry policy, whether a try that failed with `kind` is followed by another
   * (counted when yes). A body that started flowing into the failed stream cannot be sent again.
   */
  private mayRetry(kind: AttemptFailure): boolean {
    const ex = this.ex;
    const options = ex.route!.ext.options;
    if (options.retry === undefined) return false;
    const replayable = !ex.request.hasBody || (kind === 'connect' && ex.bytesIn === 0);
    if (!mayRetry(options, this.backend, ex.request.method, this.tries, kind, replayable, ex.upstreamStart)) return false;
    this.tries++;
    return true;
  }

  /** Lets go of a failed try's stream and sends the request again after the route's backoff. */
  private retry(upstream: http2.ClientHttp2Stream): void {
    this.upstream = null;
    this.bodyTarget = null;
    if (!upstream.destroyed) upstream.close(NGHTTP2_CANCEL);
    retryAfter(this, this.ex.route!.ext.options.retry!.backoffMs);
  }

  retryNow(): void {
    this.retryTimer = null;
    if (this.aborted || this.ex.hasAnswered) return;
    this.connect(this.endpoint);
  }

  /** The upstream stream is open: the request body may flow now. */
  private onReady(upstream: http2.ClientHttp2Stream): void {
    const ex = this.ex;
    this.opened = upstream;
    if (this.aborted || !ex.request.hasBody || upstream !== this.upstream) return;
    this.bodyTarget = upstream;
    if (!this.bodyStarted) {
      this.bodyStarted = true;
      ex.stream.on('data', (chunk: Buffer) => this.onRequestData(chunk));
      ex.stream.on('end', () => this.onRequestEnd());
      return;
    }
    // A later try: what was held goes first, then the client may send more.
    const held = this.heldChunk;
    this.heldChunk = null;
    if (this.requestEnded) {
      if (held === null) upstream.end();
      else upstream.end(held);
    } else if (held === null || this.forwardRequestChunk(upstream, held)) {
      ex.stream.resume();
    }
  }

  private onRequestData(chunk: Buffer): void {
    const ex = this.ex;
    ex.bytesIn += chunk.length;
    const maxBody = ex.route!.ext.options.maxBodyBytes;
    if (maxBody > 0 && ex.bytesIn > maxBody) return ex.fail(413, 'body-too-large');
    if (this.aborted) return;
    const mw = ex.mw;
    if (mw !== null && mw.bodyTaps !== null) mw.requestBodyData(chunk);
    const target = this.bodyTarget;
    if (target !== null) {
      this.forwardRequestChunk(target, chunk);
      return;
    }
    // Between tries: hold it, and the client until the next stream is open.
    this.heldChunk = this.heldChunk === null ? chunk : Buffer.concat([this.heldChunk, chunk]);
    ex.stream.pause();
  }

  /** False when the upstream's window is full and the client was paused until it drains. */
  private forwardRequestChunk(target: http2.ClientHttp2Stream, chunk: Buffer): boolean {
    if (target.write(chunk)) return true;
    // The upstream's window is full: the client waits for it.
    this.ex.stream.pause();
    if (this.drainListening !== target) {
      this.drainListening = target;
      target.on('drain', () => this.onUpstreamDrain(target));
    }
    return false;
  }

  private onUpstreamDrain(target: http2.ClientHttp2Stream): void {
    if (target === this.bodyTarget && !this.aborted) this.ex.stream.resume();
  }

  private onRequestEnd(): void {
    this.requestEnded = true;
    const mw = this.ex.mw;
    if (mw !== null && mw.bodyTaps !== null) mw.requestBodyEnd(!this.aborted);
    if (this.aborted) return;
    // With no stream open (between tries), the next one is ended when it opens.
    this.bodyTarget?.end();
  }

  private onResponse(upstream: http2.ClientHttp2Stream, headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader, rawHeaders: string[]): void {
    const ex = this.ex;
    if (this.aborted || upstream !== this.upstream) return;
    const retry = ex.route!.ext.options.retry;
    if (retry !== undefined && retry.codes.includes(Number(headers[':status'])) && this.mayRetry('status')) return this.retry(upstream);
    this.responseStarted = true;
    // A gRPC call's read timeout covers the wait for its response; from then on grpc-timeout governs,
    // since streaming calls may be quiet for long.
    if (ex.isGrpc) upstream.setTimeout(0);
    // Trailers-only (gRPC errors): one HEADERS frame with END_STREAM, kept as such.
    const endStream = upstream.endAfterHeaders;
    const options: http2.ServerStreamResponseOptions = endStream ? END_STREAM : WAIT_FOR_TRAILERS;
    // What node:http2 built is ours now: the raw list goes to respond() as it is (an object would be
    // copied), or the object where the list would not do. With a middleware chain the head waits for its
    // response phase; the body stays in the upstream stream meanwhile (its flow-control window bounds it).
    const fields = asFieldList(headers, rawHeaders) ?? headers;
    if (ex.upstreamHead(fields, options, () => this.startBody(upstream, endStream))) this.startBody(upstream, endStream);
  }

  /** The response head is out: relay the body. */
  private startBody(upstream: http2.ClientHttp2Stream, endStream: boolean): void {
    if (endStream || this.aborted) return;
    upstream.on('data', (chunk: Buffer) => this.onResponseData(upstream, chunk));
    upstream.on('end', () => this.onResponseEnd(upstream));
  }

  private onResponseData(upstream: http2.ClientHttp2Stream, chunk: Buffer): void {
    const ex = this.ex;
    if (this.aborted || ex.writeBody(chunk)) return;
    // The client's window is full: the upstream waits (its own window then stops the backend).
    upstream.pause();
    if (!this.clientDrainListening) {
      this.clientDrainListening = true;
      ex.stream.on('drain', () => this.onClientDrain());
    }
  }

  private onClientDrain(): void {
    const upstream = this.upstream;
    if (upstream !== null && !this.aborted) upstream.resume();
  }

  private onResponseEnd(upstream: http2.ClientHttp2Stream): void {
    if (this.aborted || upstream !== this.upstream) return;
    this.ex.endBody();
  }

  private onTimeout(upstream: http2.ClientHttp2Stream): void {
    if (this.aborted || upstream !== this.upstream) return;
    // A per-try timeout (HTTPRoute backendRequest with retry) is retried while the request timeout lasts.
    if (!this.responseStarted && this.mayRetry('timeout')) return this.retry(upstream);
    this.ex.fail(504, 'upstream-timeout');
  }

  private onClose(upstream: http2.ClientHttp2Stream): void {
    const ex = this.ex;
    if (upstream !== this.upstream || this.aborted) return;
    this.upstream = null;
    this.bodyTarget = null;
    ex.upstreamEnd = Date.now();
    const rst = upstream.rstCode ?? NGHTTP2_NO_ERROR;
    if (rst === NGHTTP2_NO_ERROR && this.responseStarted) return; // ended normally; its 'end' ended the client stream
    if (!this.responseStarted) {
      const cause = (this.lastError?.cause as NodeJS.ErrnoException | undefined)?.code ?? this.lastError?.code;
      // Nothing of the request was consumed: a refused connection goes to another endpoint (rolling
      // update, pod gone); a refused stream (RFC 9113 8.7: not processed; sent before the peer's
      // stream limit was known) may go anywhere, the same endpoint included.
      const policy = ex.route!.ext.options.retry;
      // A route's own retry policy counts every try, these too.
      const retry = rst === NGHTTP2_REFUSED_STREAM || (cause === 'ECONNREFUSED' && this.backend.endpoints.length > 1);
      if (policy === undefined && retry && !this.triedAnotherEndpoint && ex.bytesIn === 0) {
        this.triedAnotherEndpoint = true;
        return this.connect(this.endpoint);
      }
      const kind: AttemptFailure = cause === 'ETIMEDOUT' ? 'timeout' : this.opened !== upstream ? 'connect' : 'reset';
      if (this.mayRetry(kind)) return this.retry(upstream);
      if (kind === 'timeout') return ex.fail(504, 'upstream-timeout');
      // A route with a retry policy answers what Gateway API implementations answer once retries are spent.
      return ex.fail(policy !== undefined ? 503 : 502, cause === undefined ? 'upstream-reset' : 'upstream-connect');
    }
    // Reset in the middle of the response: the client's stream is reset the same way.
    ex.error = 'upstream-reset';
    ex.reset(rst === NGHTTP2_CANCEL ? NGHTTP2_CANCEL : NGHTTP2_INTERNAL_ERROR);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.heldChunk = null;
    this.bodyTarget = null;
    const upstream = this.upstream;
    this.upstream = null;
    if (upstream === null) return;
    if (!upstream.destroyed) upstream.close(NGHTTP2_CANCEL);
  }
}

/**
 * The upstream's raw response fields as a ResponseFieldList, or null where the object must be used: a
 * repeated name (node:http2 refuses repeats of single-value fields, which its object keeps once) or
 * fields the upstream marked never-indexed (the object carries that mark on).
 */
function asFieldList(headers: http2.IncomingHttpHeaders, raw: string[]): ResponseFieldList | null {
  if (raw[0] !== ':status' || hasRepeatedName(raw, 0)) return null;
  const sensitive = (headers as Record<symbol, unknown>)[http2.sensitiveHeaders] as readonly string[] | undefined;
  return sensitive === undefined || sensitive.length === 0 ? raw : null;
}

/** respond() copies its options: one shared object per kind. */
const END_STREAM: Readonly<http2.ServerStreamResponseOptions> = Object.freeze({ endStream: true });
const WAIT_FOR_TRAILERS: Readonly<http2.ServerStreamResponseOptions> = Object.freeze({ waitForTrailers: true });
