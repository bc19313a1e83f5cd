// An HTTP/1.1 request relayed to an HTTP/2 upstream (backend protocols h2c, grpc, grpcs) on the
// endpoint's multiplexed session. The exchange keeps the client side (framing, middleware chain,
// errors); this relay translates: request head to HTTP/2 fields, body chunks to DATA with stream
// backpressure, and the upstream's fields, data and trailers back through the exchange's usual
// response path.
import http2 from 'node:http2';
import { STATUS_CODES } from '../../lib/node-http.ts';
import type { EndpointRuntime } from '../../upstream/registry.ts';
import { classifyHeader, H_HOP, H_HOST } from '../../http1/index.ts';

const { NGHTTP2_CANCEL } = http2.constants;

/** What the relay needs of its HTTP/1.1 exchange. */
export interface Http2RelayOwner {
  onResponseHead(status: number, reason: string, headers: string[], versionMinor: number, keepAlive: boolean, upgrade: boolean): boolean;
  onResponseBody(chunk: Buffer): void;
  onResponseComplete(trailers: string[] | null): void;
  /**
   * The upstream failed: `beforeResponse` says whether its head had not arrived yet, `opened` whether
   * the stream had been opened (false: the connection failed and nothing was sent).
   */
  onRelayFailure(timedOut: boolean, beforeResponse: boolean, opened: boolean): void;
  /** The upstream stream can take more request body. */
  onUpstreamDrain(): void;
}

/** HTTP/2 fields (lower-case names, pseudo-headers dropped) as the proxy's flat list. */
function flatFields(fields: http2.IncomingHttpHeaders): string[] {
  const flat: string[] = [];
  for (const name of Object.keys(fields)) {
    if (name.charCodeAt(0) === 0x3a) continue;
    const value = fields[name];
    if (Array.isArray(value)) for (const v of value) flat.push(name, v);
    else if (value !== undefined) flat.push(name, String(value));
  }
  return flat;
}

export class Http1ToHttp2Relay {
  private readonly owner: Http2RelayOwner;
  private readonly stream: http2.ClientHttp2Stream;
  private responded = false;
  private finished = false;
  /** The stream was opened on a connected session (nothing is sent before). */
  private opened = false;

  /**
   * `headers`: the forwarded request headers as a flat list (hop-by-hop already removed, X-Forwarded-*
   * included); `bodyFollows`: the request has a body still to come.
   */
  constructor(owner: Http2RelayOwner, endpoint: EndpointRuntime, method: string, path: string, authority: string, headers: readonly string[], bodyFollows: boolean, timeouts: { connectMs: number; readMs: number }) {
    this.owner = owner;
    const pool = endpoint.http2!;
    const fields: http2.OutgoingHttpHeaders = { ':method': method, ':path': path, ':scheme': pool.secure ? 'https' : 'http', ':authority': authority || pool.key };
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!.toLowerCase();
      const kind = classifyHeader(name);
      if (kind !== 0 && (kind & (H_HOP | H_HOST)) !== 0) continue;
      const existing = fields[name];
      fields[name] = existing === undefined ? headers[i + 1]! : [...(Array.isArray(existing) ? existing : [String(existing)]), headers[i + 1]!];
    }
    this.stream = pool.request(fields, { endStream: !bodyFollows }, timeouts.connectMs);
    const stream = this.stream;
    if (stream.pending) stream.once('ready', () => (this.opened = true));
    else this.opened = true;
    stream.setTimeout(timeouts.readMs, () => this.fail(true));
    stream.on('response', (head) => this.onResponse(head));
    stream.on('data', (chunk: Buffer) => owner.onResponseBody(chunk));
    stream.on('trailers', (trailers) => (this.trailers = flatFields(trailers)));
    stream.on('end', () => this.onEnd());
    stream.on('drain', () => owner.onUpstreamDrain());
    stream.on('error', () => this.fail(false));
    stream.on('close', () => {
      if (!this.finished) this.fail(false);
    });
  }

  private trailers: string[] | null = null;

  /** Returns the backpressure signal (false: wait for onUpstreamDrain). */
  write(chunk: Buffer): boolean {
    return this.stream.write(chunk);
  }

  end(): void {
    this.stream.end();
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  abort(): void {
    this.finished = true;
    if (!this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
  }

  private onResponse(head: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
    const status = Number(head[':status']);
    if (status < 200) return;
    this.responded = true;
    const noBody = this.owner.onResponseHead(status, STATUS_CODES[status] ?? '', flatFields(head), 1, true, false);
    if (noBody) this.stream.resume();
  }

  private onEnd(): void {
    if (this.finished || !this.responded) return;
    this.finished = true;
    this.owner.onResponseComplete(this.trailers);
  }

  private fail(timedOut: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
    this.owner.onRelayFailure(timedOut, !this.responded, this.opened);
  }
}
