// An HTTP/2 request head read from the stream's raw header list: pseudo-headers apart, regular fields
// in order with names lower-case (HTTP/2 requires it), cookies folded back into one field
// (RFC 9113 8.2.3), and the same one-pass scan the HTTP/1.1 path uses for Host, X-Forwarded-* and
// X-Request-Id.
import { RequestScan } from '../http1/request-scan.ts';
import { isGrpcContentType, parseGrpcTimeout } from './grpc.ts';

export class Http2Request {
  method = '';
  /** :path, path and query ("" for CONNECT). */
  path = '';
  /** :authority, or the Host field when a client sent no :authority. */
  authority: string | undefined = undefined;
  /** :protocol of an extended CONNECT (RFC 8441), e.g. "websocket". */
  protocol: string | undefined = undefined;
  /** Regular fields as [name, value, ...]. */
  readonly headers: string[] = [];
  readonly scan = new RequestScan();
  readonly isGrpc: boolean;
  /** grpc-timeout in ms, or null. */
  readonly grpcTimeoutMs: number | null;
  /** False when the HEADERS frame ended the stream (no body follows). */
  readonly hasBody: boolean;

  constructor(rawHeaders: readonly string[], endAfterHeaders: boolean) {
    let cookie: string | null = null;
    let contentType: string | undefined;
    let grpcTimeout: string | undefined;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      const value = rawHeaders[i + 1]!;
      if (name.charCodeAt(0) === 0x3a /* ':' */) {
        if (name === ':method') this.method = value;
        else if (name === ':path') this.path = value;
        else if (name === ':authority') this.authority = value;
        else if (name === ':protocol') this.protocol = value;
        continue;
      }
      if (name === 'cookie') {
        cookie = cookie === null ? value : cookie + '; ' + value;
        continue;
      }
      if (name === 'content-type') contentType = value;
      else if (name === 'grpc-timeout') grpcTimeout = value;
      this.headers.push(name, value);
    }
    if (cookie !== null) this.headers.push('cookie', cookie);
    this.scan.scan(this.headers);
    if (this.authority === undefined) this.authority = this.scan.host;
    this.isGrpc = isGrpcContentType(contentType);
    this.grpcTimeoutMs = this.isGrpc ? parseGrpcTimeout(grpcTimeout) : null;
    this.hasBody = !endAfterHeaders;
  }

  /** The path without its query, for routing and logs. */
  get pathOnly(): string {
    const q = this.path.indexOf('?');
    return q < 0 ? this.path : this.path.slice(0, q);
  }
}
