// An HTTP/2 stream relayed to an HTTP/2 upstream (backend protocols h2c, grpc, grpcs) on the
// endpoint's multiplexed session. Both bodies are piped, so flow control is end to end: a full window
// on one side stops reading on the other. Trailers (gRPC's grpc-status and grpc-message) are relayed,
// and a trailers-only upstream answer stays a single HEADERS frame. The request body starts flowing
// once the upstream stream is open ('ready'), so a refused connection consumed nothing and the call can
// go to another endpoint. A route's own retry policy (HTTPRoute retry) tries again as for HTTP/1.1
// upstreams: listed statuses, connection failures, resets and per-try timeouts, before the response is
// relayed, for requests whose body was not consumed.
import http2 from 'node:http2';
import { pickEndpoint, type BackendRuntime, type EndpointRuntime } from '../../upstream/registry.ts';
import type { AttemptFailure } from '../../upstream/retry-policy.ts';
import { mayRetry, tryTimeout } from '../route-retry.ts';
import { classifyHeader, isListedIn, H_HOP, H_HOST, H_X_FORWARDED, H_X_REQUEST_ID } from '../../http1/index.ts';
import type { Http2StreamExchange, StreamRelay } from './stream-exchange.ts';

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants;

export class Http2Relay implements StreamRelay {
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
  private retryTimer: NodeJS.Timeout | null = null;

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
    upstream.on('response', (headers) => this.onResponse(upstream, headers));
    upstream.on('trailers', (trailers) => (ex.trailers = copyFields(trailers)));
    upstream.on('error', (error: NodeJS.ErrnoException) => (this.lastError = error));
    upstream.on('close', () => this.onClose(upstream));
  }

  private requestHeaders(secure: boolean, endpointKey: string): http2.OutgoingHttpHeaders {
    const ex = this.ex;
    const request = ex.request;
    const fields: http2.OutgoingHttpHeaders = {
      ':method': request.method,
      ':path': ex.outgoingPath,
      ':scheme': secure ? 'https' : 'http',
      ':authority': request.authority ?? endpointKey,
    };
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
      const existing = fields[name];
      if (existing === undefined) fields[name] = value;
      else fields[name] = Array.isArray(existing) ? [...existing, value] : [String(existing), value];
    }
    const fwd = ex.forwarded();
    fields['x-forwarded-for'] = fwd.for;
    fields['x-forwarded-proto'] = fwd.proto;
    if (fwd.host !== undefined) fields['x-forwarded-host'] = fwd.host;
    fields['x-forwarded-port'] = fwd.port;
    fields['x-real-ip'] = fwd.realIp;
    fields['x-request-id'] = ex.requestId;
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
    this.ex.stream.unpipe(upstream);
    if (!upstream.destroyed) upstream.close(NGHTTP2_CANCEL);
    const backoffMs = this.ex.route!.ext.options.retry!.backoffMs;
    if (backoffMs > 0) this.retryTimer = setTimeout(retryLater, backoffMs, this);
    else this.connect(this.endpoint);
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
    if (!this.bodyStarted) {
      this.bodyStarted = true;
      const maxBody = ex.route!.ext.options.maxBodyBytes;
      ex.stream.on('data', (chunk: Buffer) => {
        ex.bytesIn += chunk.length;
        if (maxBody > 0 && ex.bytesIn > maxBody) ex.fail(413, 'body-too-large');
      });
    }
    ex.stream.pipe(upstream);
  }

  private onResponse(upstream: http2.ClientHttp2Stream, headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
    const ex = this.ex;
    if (this.aborted || upstream !== this.upstream) return;
    const retry = ex.route!.ext.options.retry;
    if (retry !== undefined && retry.codes.includes(Number(headers[':status'])) && this.mayRetry('status')) return this.retry(upstream);
    this.responseStarted = true;
    // A gRPC call's read timeout covers the wait for its response; from then on grpc-timeout governs,
    // since streaming calls may be quiet for long.
    if (ex.isGrpc) upstream.setTimeout(0);
    const fields = copyFields(headers);
    fields[':status'] = headers[':status'];
    // Trailers-only (gRPC errors): one HEADERS frame with END_STREAM, kept as such.
    const endStream = upstream.endAfterHeaders;
    const options: http2.ServerStreamResponseOptions = endStream ? { endStream: true } : { waitForTrailers: true };
    // With a middleware chain the head waits for its response phase; the body stays in the upstream
    // stream meanwhile (its flow-control window bounds it).
    if (ex.upstreamHead(fields, options, () => this.startBody(upstream, endStream))) this.startBody(upstream, endStream);
  }

  /** The response head is out: relay the body. */
  private startBody(upstream: http2.ClientHttp2Stream, endStream: boolean): void {
    const ex = this.ex;
    if (endStream || this.aborted) return;
    if (!ex.hasTransform) {
      upstream.on('data', (chunk: Buffer) => (ex.bytesOut += chunk.length));
      upstream.pipe(ex.stream);
      return;
    }
    // A body transform (compression) changes the chunks: relayed by hand, with the same backpressure.
    upstream.on('data', (chunk: Buffer) => {
      if (!ex.writeBody(chunk)) upstream.pause();
    });
    ex.stream.on('drain', () => upstream.resume());
    upstream.on('end', () => ex.endBody());
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
    ex.upstreamEnd = Date.now();
    const rst = upstream.rstCode ?? NGHTTP2_NO_ERROR;
    if (rst === NGHTTP2_NO_ERROR && this.responseStarted) return; // ended normally; the pipe ended the client stream
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
        ex.stream.unpipe(upstream);
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
    const upstream = this.upstream;
    this.upstream = null;
    if (upstream === null) return;
    this.ex.stream.unpipe(upstream);
    upstream.unpipe(this.ex.stream);
    if (!upstream.destroyed) upstream.close(NGHTTP2_CANCEL);
  }
}

function retryLater(relay: Http2Relay): void {
  relay.retryNow();
}

/** Regular fields of an incoming header object, pseudo-headers left out. */
function copyFields(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  const fields: http2.OutgoingHttpHeaders = {};
  for (const name of Object.keys(headers)) if (name.charCodeAt(0) !== 0x3a) fields[name] = headers[name];
  return fields;
}
