// An HTTP/2 stream relayed to an HTTP/1.1 upstream through the keep-alive pools the HTTP/1.1 path
// uses. The request head is rebuilt from the pseudo-headers (:authority becomes Host, cookies are one
// field, hop-by-hop fields are dropped); a body without content-length goes upstream chunked. Flow
// control holds end to end: the client stream is paused while the upstream socket is full, and the
// upstream socket is paused while the client stream's window is exhausted.
//
// An extended CONNECT for WebSocket (RFC 8441) becomes an HTTP/1.1 Upgrade request; the upstream's
// 101 becomes :status 200, and the stream and the upstream socket are joined by a tunnel.
import type net from 'node:net';
import type http2 from 'node:http2';
import { createHash, randomBytes } from 'node:crypto';
import { pickEndpoint, type BackendRuntime, type EndpointRuntime } from '../../upstream/registry.ts';
import { writeBodyPiece, writeRequestStart } from '../http1/chunked.ts';
import type { Http1UpstreamConnection, UpstreamError, UpstreamListener } from '../../upstream/http1-connection.ts';
import type { AttemptFailure } from '../../upstream/retry-policy.ts';
import {
  classifyHeader, connectionTokens, isHopByHop, isListedIn, H_CONNECTION, H_CONTENT_LENGTH, H_HOP, H_HOST, H_X_FORWARDED, H_X_REQUEST_ID,
  type ResponseHeadScan,
} from '../../http1/index.ts';
import type { Http2StreamExchange, StreamRelay } from './stream-exchange.ts';
import { joinStreams } from './stream-tunnel.ts';
import { asResponseFields, fieldsFromFlat, type ResponseFieldList, type ResponseFields } from './fields.ts';
import { fieldListFromHead } from './head-fields.ts';
import { responseHasNoBody } from '../no-body.ts';
import { mayRetry, retryAfter, retryDeferred, tryTimeout, type Retrying } from '../route-retry.ts';

/** Response body chunks up to this size are copied rather than referenced (see onResponseBody). */
const MAX_COPIED_CHUNK = 16 * 1024;
/** Request body bytes held while the upstream connection is being opened. */
const MAX_PENDING_BYTES = 64 * 1024;
const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Fields of a WebSocket handshake that belong to the hop (RFC 6455 4.1); the key is ours upstream. */
const WEBSOCKET_HOP_FIELDS = new Set(['sec-websocket-key']);
/** respond() copies its options: one shared object per kind. */
const END_STREAM: Readonly<http2.ServerStreamResponseOptions> = Object.freeze({ endStream: true });
const NO_TRAILERS: Readonly<http2.ServerStreamResponseOptions> = Object.freeze({});
const WAIT_FOR_TRAILERS: Readonly<http2.ServerStreamResponseOptions> = Object.freeze({ waitForTrailers: true });

export class Http1Relay implements UpstreamListener, StreamRelay, Retrying {
  private readonly ex: Http2StreamExchange;
  private readonly backend: BackendRuntime;
  private readonly websocketKey: string | null;
  private readonly preferredEndpoint: string | null;
  private readonly chunked: boolean;
  private upstream: Http1UpstreamConnection | null = null;
  private endpoint: EndpointRuntime | null = null;
  private head: string | null = null;
  private headSent = false;
  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  private requestDone: boolean;
  private responseDone = false;
  private reused = false;
  private triedAnotherEndpoint = false;
  private retriedStaleConnection = false;
  /** Tries made under the route's retry policy (HTTPRoute retry), the first included. */
  private tries = 1;
  /** The upstream answered a status the route retries: its body is dropped, then the request sent again. */
  private discarding = false;
  retryTimer: NodeJS.Timeout | null = null;
  private clientPaused = false;
  private upstreamPaused = false;
  private drainListening = false;
  private aborted = false;
  /** The response head waits for the middleware chain: body chunks and the end are held meanwhile. */
  private holding = false;
  private heldChunks: Buffer[] | null = null;
  private heldEnd = false;
  private heldTunnel: { socket: net.Socket; head: Buffer } | null = null;
  /** A chunk of the current upstream read was passed on without a copy (see onResponseBody). */
  private readReferenced = false;

  constructor(ex: Http2StreamExchange, backend: BackendRuntime, websocket: boolean, preferredEndpoint: string | null) {
    this.ex = ex;
    this.backend = backend;
    this.preferredEndpoint = preferredEndpoint;
    this.websocketKey = websocket ? randomBytes(16).toString('base64') : null;
    const request = ex.request;
    this.chunked = !websocket && request.hasBody && request.scan.contentLength < 0;
    this.requestDone = websocket || !request.hasBody;
  }

  start(): void {
    const stream = this.ex.stream;
    if (this.websocketKey === null && this.ex.request.hasBody) {
      stream.on('data', (chunk: Buffer) => this.onClientData(chunk));
      stream.on('end', () => this.onClientEnd());
    }
    this.connect(null);
  }

  private connect(avoid: EndpointRuntime | null): void {
    const endpoint = pickEndpoint(this.backend, avoid, avoid === null ? this.preferredEndpoint : null);
    if (endpoint === null) return this.ex.fail(503, 'no-endpoint');
    if (this.ex.mw !== null) this.ex.mw.upstream.endpoint = endpoint.pool.key;
    const options = this.ex.route!.ext.options;
    this.endpoint = endpoint;
    this.ex.upstreamAddress = endpoint.pool.key;
    const upstream = endpoint.pool.acquire(options.connectTimeoutMs);
    this.upstream = upstream;
    this.reused = upstream.connected;
    if (this.ex.upstreamStart === 0) this.ex.upstreamStart = Date.now();
    upstream.expectNoBody(this.ex.request.method === 'HEAD');
    if (upstream.connected) {
      upstream.attach(this, this.tryTimeout(options.readTimeoutMs));
      this.sendHead(upstream);
    } else {
      upstream.attach(this, this.tryTimeout(options.connectTimeoutMs));
    }
  }

  onUpstreamConnect(upstream: Http1UpstreamConnection): void {
    upstream.setTimeout(this.tryTimeout(this.ex.route!.ext.options.readTimeoutMs));
    this.sendHead(upstream);
  }

  private tryTimeout(ms: number): number {
    return tryTimeout(this.ex.route!.ext.options, ms, this.tries === 1 && !this.retriedStaleConnection, this.ex.upstreamStart);
  }

  /** Under the route's retry policy: whether a failed try may be followed by another (counted when yes). */
  private mayRetry(kind: AttemptFailure, replayable: boolean): boolean {
    const ex = this.ex;
    if (!mayRetry(ex.route!.ext.options, this.backend, ex.request.method, this.tries, kind, replayable, ex.upstreamStart)) return false;
    this.tries++;
    return true;
  }

  /** Sends the request again after the route's backoff, on another endpoint when there is one. */
  private retry(backoffMs: number): void {
    this.headSent = false;
    retryAfter(this, backoffMs);
  }

  retryNow(): void {
    this.retryTimer = null;
    if (this.aborted || this.ex.hasAnswered) return;
    this.connect(this.endpoint);
  }

  private sendHead(upstream: Http1UpstreamConnection): void {
    const head = (this.head ??= this.buildRequestHead());
    const pending = this.pending;
    this.pending = null;
    this.pendingBytes = 0;
    this.headSent = true;
    if (!writeRequestStart(upstream, head, pending, this.chunked, this.requestDone)) this.pauseClient();
  }

  private buildRequestHead(): string {
    const ex = this.ex;
    const request = ex.request;
    const headers = ex.outgoingHeaders;
    const tokens = request.scan.connectionTokens;
    const method = this.websocketKey === null ? request.method : 'GET';
    let head = `${method} ${ex.outgoingPath} HTTP/1.1\r\nHost: ${request.authority ?? this.endpoint!.pool.key}\r\n`;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const kind = classifyHeader(name);
      if (kind !== 0 && (kind & (H_HOP | H_HOST | H_X_FORWARDED | H_X_REQUEST_ID)) !== 0) continue;
      if (kind === 0 && tokens !== null && isListedIn(name, tokens)) continue;
      if (this.websocketKey !== null && WEBSOCKET_HOP_FIELDS.has(name)) continue;
      head += name + ': ' + headers[i + 1] + CRLF;
    }
    const fwd = ex.forwarded();
    head += 'X-Forwarded-For: ' + fwd.for + CRLF + 'X-Forwarded-Proto: ' + fwd.proto + CRLF;
    if (fwd.host !== undefined) head += 'X-Forwarded-Host: ' + fwd.host + CRLF;
    head += 'X-Forwarded-Port: ' + fwd.port + CRLF + 'X-Real-IP: ' + fwd.realIp + CRLF + 'X-Request-Id: ' + ex.requestId + CRLF;
    if (this.chunked) head += 'Transfer-Encoding: chunked\r\n';
    if (this.websocketKey !== null) head += 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ' + this.websocketKey + CRLF;
    return head + CRLF;
  }

  private writeBody(upstream: Http1UpstreamConnection, chunk: Buffer): void {
    if (!writeBodyPiece(upstream, chunk, this.chunked)) this.pauseClient();
  }

  private onClientData(chunk: Buffer): void {
    const ex = this.ex;
    ex.bytesIn += chunk.length;
    if (this.responseDone || this.aborted) return;
    const maxBody = ex.route!.ext.options.maxBodyBytes;
    if (maxBody > 0 && ex.bytesIn > maxBody) return ex.fail(413, 'body-too-large');
    const mw = ex.mw;
    if (mw !== null && mw.bodyTaps !== null) mw.requestBodyData(chunk);
    const upstream = this.upstream;
    if (upstream !== null && this.headSent) return this.writeBody(upstream, chunk);
    // Not connected yet: hold the bytes, a bounded amount.
    (this.pending ??= []).push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > MAX_PENDING_BYTES) this.pauseClient();
  }

  private onClientEnd(): void {
    this.requestDone = true;
    const mw = this.ex.mw;
    if (mw !== null && mw.bodyTaps !== null) mw.requestBodyEnd(!this.responseDone && !this.aborted);
    const upstream = this.upstream;
    if (upstream !== null && this.headSent && this.chunked && !this.responseDone) upstream.write(LAST_CHUNK, 'latin1');
  }

  private pauseClient(): void {
    if (this.clientPaused) return;
    this.clientPaused = true;
    this.ex.stream.pause();
  }

  onUpstreamDrain(): void {
    if (this.clientPaused) {
      this.clientPaused = false;
      this.ex.stream.resume();
    }
  }

  onResponseHead(status: number, _reason: string, headers: string[], _versionMinor: number, _keepAlive: boolean, _upgrade: boolean): boolean {
    const ex = this.ex;
    if (this.websocketKey !== null && status === 101) return this.acceptWebSocket(headers);
    if (status < 200) {
      // 1xx other than a WebSocket 101 are not relayed (RFC 9110 15.2 allows dropping them); a 101
      // nobody asked for breaks the protocol.
      if (status === 101) ex.fail(502, 'upstream-protocol');
      return false;
    }
    const noBody = responseHasNoBody(ex.request.method, status);
    if (this.retriesStatus(status)) return noBody;
    const { fields, hasLength } = responseFields(status, headers);
    // An HTTP/1.1 body without content-length is chunked and may carry trailers.
    this.respondHead(fields, noBody ? END_STREAM : hasLength ? NO_TRAILERS : WAIT_FOR_TRAILERS);
    return noBody;
  }

  /**
   * A head the scanner took (the common case): the fields are read from its bytes, without llhttp. It
   * always has a Content-Length, or no body at all (204, 304), so no trailers follow.
   */
  onRawResponseHead(head: ResponseHeadScan, data: Buffer): boolean {
    const status = head.status;
    const noBody = responseHasNoBody(this.ex.request.method, status);
    if (this.retriesStatus(status)) return noBody;
    const list = fieldListFromHead(head, data);
    this.respondHead(asResponseFields(list), noBody ? END_STREAM : NO_TRAILERS);
    return noBody;
  }

  /** The route retries this status, and may: the answer's body is dropped, then the request sent again. */
  private retriesStatus(status: number): boolean {
    const ex = this.ex;
    const retry = ex.route!.ext.options.retry;
    if (retry === undefined || !retry.codes.includes(status) || !this.mayRetry('status', this.requestDone && ex.bytesIn === 0)) return false;
    this.discarding = true;
    return true;
  }

  /** The head goes out, or waits for the middleware chain with the upstream paused. */
  private respondHead(fields: ResponseFields, options: http2.ServerStreamResponseOptions): void {
    if (this.ex.upstreamHead(fields, options, () => this.releaseBody())) return;
    if (!this.ex.hasAnswered) {
      this.holding = true;
      this.upstream?.socket.pause();
    }
  }

  /** The chain's response phase is done and the head is out: what was held follows. */
  private releaseBody(): void {
    this.holding = false;
    const held = this.heldChunks;
    this.heldChunks = null;
    if (held !== null) for (const chunk of held) this.onResponseBody(chunk);
    if (this.heldTunnel !== null) {
      const { socket, head } = this.heldTunnel;
      this.heldTunnel = null;
      return this.onUpstreamUpgrade(socket, head);
    }
    if (this.heldEnd) this.ex.endBody();
    else this.upstream?.socket.resume();
  }

  /** 101 to our Upgrade: check the accept value against our key, answer the client 200 (RFC 8441 5). */
  private acceptWebSocket(headers: string[]): boolean {
    const expected = createHash('sha1').update(this.websocketKey + WEBSOCKET_GUID).digest('base64');
    const fields: http2.OutgoingHttpHeaders = { ':status': 200 };
    let accepted = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!.toLowerCase();
      if (name === 'sec-websocket-accept') accepted = headers[i + 1] === expected;
      else if (name === 'sec-websocket-protocol' || name === 'sec-websocket-extensions') fields[name] = headers[i + 1]!;
    }
    if (!accepted) {
      this.ex.fail(502, 'upstream-websocket-handshake');
      return true;
    }
    this.respondHead(fields, NO_TRAILERS);
    return true;
  }

  onUpstreamUpgrade(socket: net.Socket, head: Buffer): void {
    const ex = this.ex;
    this.upstream = null;
    this.responseDone = true;
    ex.upstreamEnd = Date.now();
    if (this.holding && !this.aborted) {
      this.heldTunnel = { socket, head };
      return;
    }
    if (this.aborted || !ex.hasAnswered || ex.stream.destroyed) {
      socket.destroy();
      return;
    }
    joinStreams(ex, socket, head, ex.route!.ext.options.tunnelIdleTimeoutMs);
  }

  beginResponseData(): void {
    this.readReferenced = false;
  }

  endResponseData(): void {}

  /** See onResponseBody: true when every chunk of the last read was copied. */
  responseDataReleased(): boolean {
    return !this.readReferenced;
  }

  onResponseBody(read: Buffer): void {
    if (this.discarding) return;
    // HTTP/2 streams write asynchronously, so a chunk handed to one stays referenced after this call,
    // and a referenced read buffer makes the connection allocate a fresh 64 KiB one for its next read:
    // 64 KiB of external memory per small response, and V8's full collections that follow it. A small
    // chunk is copied instead (into node's shared pool below 4 KiB), and the read buffer is reused.
    let chunk = read;
    if (read.length <= MAX_COPIED_CHUNK) chunk = Buffer.from(read);
    else this.readReferenced = true;
    if (this.holding) {
      (this.heldChunks ??= []).push(chunk);
      return;
    }
    if (!this.ex.writeBody(chunk) && !this.upstreamPaused && this.upstream !== null) {
      this.upstreamPaused = true;
      // Added the first time the client falls behind: most responses never need it.
      if (!this.drainListening) {
        this.drainListening = true;
        this.ex.stream.on('drain', () => this.onClientDrain());
      }
      this.upstream.socket.pause();
    }
  }

  private onClientDrain(): void {
    if (this.upstreamPaused) {
      this.upstreamPaused = false;
      this.upstream?.socket.resume();
    }
  }

  onResponseComplete(trailers: string[] | null): void {
    const ex = this.ex;
    this.responseDone = true;
    ex.upstreamEnd = Date.now();
    const upstream = this.upstream;
    this.upstream = null;
    upstream?.finishExchange(this.requestDone, this.upstreamPaused || this.holding);
    if (this.discarding) {
      // The retry starts after this parse has unwound: it may pick the connection just released.
      this.discarding = false;
      this.responseDone = false;
      this.headSent = false;
      retryDeferred(this, ex.route!.ext.options.retry!.backoffMs);
      return;
    }
    if (trailers !== null) ex.trailers = fieldsFromFlat(null, trailers);
    if (this.holding) this.heldEnd = true;
    else ex.endBody();
    // The client may still be sending a body nobody reads now.
    if (!this.requestDone) ex.stream.resume();
  }

  onUpstreamError(error: UpstreamError): void {
    const ex = this.ex;
    this.upstream = null;
    ex.upstreamEnd = Date.now();
    if (this.aborted) return;
    this.discarding = false;
    const retry = ex.route!.ext.options.retry;
    if (retry !== undefined && !ex.hasAnswered) {
      // The route's own policy: connection failures and per-try timeouts (a read timeout is not, see mayRetry).
      const kind = error.failure === 'connect' || (error.failure === 'timeout' && error.beforeRequestSent) ? 'connect' : error.failure === 'timeout' ? 'timeout' : 'reset';
      if (error.beforeResponse && this.mayRetry(kind, kind === 'connect' || (this.requestDone && ex.bytesIn === 0))) return this.retry(retry.backoffMs);
      return error.failure === 'timeout' ? ex.fail(504, 'upstream-timeout') : ex.fail(503, error.failure === 'connect' ? 'upstream-connect' : `upstream-${error.failure}`);
    }
    if (!ex.hasAnswered) {
      if (error.failure === 'connect' && error.code === 'ECONNREFUSED' && !this.triedAnotherEndpoint && this.backend.endpoints.length > 1) {
        // Refused before a byte was sent: the pod is gone or not yet listening (rolling update).
        this.triedAnotherEndpoint = true;
        this.headSent = false;
        return this.connect(this.endpoint);
      }
      if (this.reused && error.beforeResponse && !this.retriedStaleConnection && this.requestDone && ex.bytesIn === 0 && error.failure !== 'timeout') {
        // A pooled connection the upstream had just closed: resend on a fresh one (nothing was consumed).
        this.retriedStaleConnection = true;
        this.headSent = false;
        return this.connect(null);
      }
    }
    if (error.failure === 'timeout') ex.fail(504, 'upstream-timeout');
    else ex.fail(502, error.failure === 'connect' ? 'upstream-connect' : `upstream-${error.failure}`);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.pending = null;
    if (this.upstream !== null) {
      this.upstream.destroy();
      this.upstream = null;
    }
  }
}

/**
 * HTTP/1.1 response fields as HTTP/2 ones: names lower-case, hop-by-hop dropped. Without repeated
 * names (the common case) they are a flat list node:http2 takes as it is; with repeats, an object
 * that combines them (see fields.ts).
 */
export function responseFields(status: number, headers: readonly string[]): { fields: ResponseFields; hasLength: boolean } {
  let tokens: string[] | null = null;
  let hasLength = false;
  for (let i = 0; i < headers.length; i += 2) {
    const kind = classifyHeader(headers[i]!);
    if (kind & H_CONTENT_LENGTH) hasLength = true;
    else if (kind & H_CONNECTION) tokens = connectionTokens(headers[i + 1]!);
  }
  const list: ResponseFieldList = [':status', String(status)];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (!isHopByHop(name, classifyHeader(name), tokens)) list.push(name.toLowerCase(), headers[i + 1]!);
  }
  return { fields: asResponseFields(list), hasLength };
}
