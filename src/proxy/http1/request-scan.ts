// One pass over a request's raw header list to find what the proxy needs before routing: the Host,
// Connection tokens, framing, client-sent X-Forwarded-* and X-Request-Id. Values are kept as indexes
// into the header list, so scanning allocates only this small record (reused per connection).
import {
  classifyHeader, connectionTokens, nameIs,
  H_CONNECTION, H_CONTENT_LENGTH, H_EXPECT, H_HOST, H_TRACEPARENT, H_TRANSFER_ENCODING, H_UPGRADE, H_X_FORWARDED, H_X_REQUEST_ID,
} from '../../http1/index.ts';

export class RequestScan {
  host: string | undefined = undefined;
  /** More than one Host header: ambiguous routing, refused with 400 as nginx does. */
  duplicateHost = false;
  /** Extra header names listed in Connection (hop-by-hop for this message), or null. */
  connectionTokens: string[] | null = null;
  chunked = false;
  contentLength = -1;
  expectContinue = false;
  upgrade: string | undefined = undefined;
  forwardedFor: string | undefined = undefined;
  forwardedProto: string | undefined = undefined;
  forwardedHost: string | undefined = undefined;
  forwardedPort: string | undefined = undefined;
  requestId: string | undefined = undefined;
  traceparent: string | undefined = undefined;

  reset(): void {
    this.host = undefined;
    this.duplicateHost = false;
    this.connectionTokens = null;
    this.chunked = false;
    this.contentLength = -1;
    this.expectContinue = false;
    this.upgrade = undefined;
    this.forwardedFor = undefined;
    this.forwardedProto = undefined;
    this.forwardedHost = undefined;
    this.forwardedPort = undefined;
    this.requestId = undefined;
    this.traceparent = undefined;
  }

  scan(headers: readonly string[]): void {
    this.reset();
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const kind = classifyHeader(name);
      if (kind === 0) continue;
      const value = headers[i + 1]!;
      if (kind & H_HOST) {
        if (this.host !== undefined) this.duplicateHost = true;
        this.host = value;
      }
      else if (kind & H_CONNECTION) {
        // llhttp has already read keep-alive/close/upgrade; only other tokens matter here.
        this.connectionTokens = connectionTokens(value);
      } else if (kind & H_CONTENT_LENGTH) this.contentLength = Number(value);
      else if (kind & H_TRANSFER_ENCODING) this.chunked = true; // llhttp only accepts chunked last
      else if (kind & H_EXPECT) this.expectContinue = nameIs(value, '100-continue');
      else if (kind & H_UPGRADE) this.upgrade = value;
      else if (kind & H_X_REQUEST_ID) this.requestId = value;
      else if (kind & H_X_FORWARDED) this.noteForwarded(name, value);
      else if (kind & H_TRACEPARENT) this.traceparent = value;
    }
  }

  /**
   * An absolute-form target's authority replaces the Host (RFC 9112 3.2.2), for routing and in the
   * header list that goes upstream; a request without Host (HTTP/1.0) gets one.
   */
  replaceHost(headers: string[], authority: string): void {
    this.host = authority;
    for (let i = 0; i < headers.length; i += 2) {
      if (classifyHeader(headers[i]!) & H_HOST) {
        headers[i + 1] = authority;
        return;
      }
    }
    headers.push('Host', authority);
  }

  private noteForwarded(name: string, value: string): void {
    if (nameIs(name, 'x-forwarded-for')) this.forwardedFor = this.forwardedFor === undefined ? value : `${this.forwardedFor}, ${value}`;
    else if (nameIs(name, 'x-forwarded-proto')) this.forwardedProto = value;
    else if (nameIs(name, 'x-forwarded-host')) this.forwardedHost = value;
    else if (nameIs(name, 'x-forwarded-port')) this.forwardedPort = value;
  }
}

/** A client-sent X-Request-Id is kept when it is short and printable, so ids survive a proxy chain. */
export function isUsableRequestId(value: string): boolean {
  if (value.length === 0 || value.length > 200) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}
