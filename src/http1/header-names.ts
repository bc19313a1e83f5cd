// Case-insensitive header-name tests that allocate nothing: header names arrive from llhttp in the
// client's case, and lower-casing each one would cost a string per header per request.

/** True when `name` equals `lower` (an all-lower-case ASCII name) ignoring ASCII case. */
export function nameIs(name: string, lower: string): boolean {
  const length = lower.length;
  if (name.length !== length) return false;
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i);
    if (c !== lower.charCodeAt(i) && (c | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Bit flags for the headers a proxy treats specially; 0 for every other header. */
export const H_HOST = 1;
export const H_CONNECTION = 2;
export const H_HOP = 4; // hop-by-hop (RFC 9110 7.6.1): never forwarded
export const H_CONTENT_LENGTH = 8;
export const H_TRANSFER_ENCODING = 16;
export const H_X_FORWARDED = 32; // X-Forwarded-For/-Proto/-Host/-Port, X-Real-IP: rewritten by us
export const H_X_REQUEST_ID = 64;
export const H_UPGRADE = 128;
export const H_EXPECT = 256;
export const H_TRACEPARENT = 512;

/**
 * Classifies a header name with a switch on its length, then one comparison: no allocation, no
 * regex, no map lookup of a lower-cased copy.
 */
export function classifyHeader(name: string): number {
  switch (name.length) {
    case 2:
      return nameIs(name, 'te') ? H_HOP : 0;
    case 4:
      return nameIs(name, 'host') ? H_HOST : 0;
    case 6:
      return nameIs(name, 'expect') ? H_EXPECT : 0;
    case 7:
      if (nameIs(name, 'upgrade')) return H_UPGRADE | H_HOP;
      return nameIs(name, 'trailer') ? H_HOP : 0;
    case 9:
      return nameIs(name, 'x-real-ip') ? H_X_FORWARDED : 0;
    case 11:
      return nameIs(name, 'traceparent') ? H_TRACEPARENT : 0;
    case 10:
      if (nameIs(name, 'connection')) return H_CONNECTION | H_HOP;
      return nameIs(name, 'keep-alive') ? H_HOP : 0;
    case 12:
      return nameIs(name, 'x-request-id') ? H_X_REQUEST_ID : 0;
    case 14:
      return nameIs(name, 'content-length') ? H_CONTENT_LENGTH : 0;
    case 15:
      return nameIs(name, 'x-forwarded-for') ? H_X_FORWARDED : 0;
    case 16:
      if (nameIs(name, 'x-forwarded-host') || nameIs(name, 'x-forwarded-port')) return H_X_FORWARDED;
      return nameIs(name, 'proxy-connection') ? H_HOP : 0;
    case 17:
      if (nameIs(name, 'transfer-encoding')) return H_TRANSFER_ENCODING | H_HOP;
      return nameIs(name, 'x-forwarded-proto') ? H_X_FORWARDED : 0;
    default:
      return 0;
  }
}

/**
 * Header names listed in a Connection header value, lower-cased, excluding the ones classifyHeader
 * already drops. The usual values (keep-alive, close, upgrade) return null without allocating; a
 * Connection header naming other headers is rare, so allocating then is fine.
 */
export function connectionTokens(value: string): string[] | null {
  if (nameIs(value, 'keep-alive') || nameIs(value, 'close') || nameIs(value, 'upgrade')) return null;
  let tokens: string[] | null = null;
  for (const raw of value.split(',')) {
    const token = raw.trim().toLowerCase();
    if (!token || token === 'close' || token === 'keep-alive' || token === 'upgrade') continue;
    (tokens ??= []).push(token);
  }
  return tokens;
}

export function isListedIn(name: string, tokens: readonly string[]): boolean {
  for (const t of tokens) if (nameIs(name, t)) return true;
  return false;
}

/** The names a header list's Connection header lists (connectionTokens of its value), or null. */
export function listedInConnection(headers: readonly string[]): string[] | null {
  let tokens: string[] | null = null;
  for (let i = 0; i < headers.length; i += 2) if (classifyHeader(headers[i]!) & H_CONNECTION) tokens = connectionTokens(headers[i + 1]!);
  return tokens;
}

/** Whether a field (`kind` from classifyHeader) is hop-by-hop: always so, or named by the Connection header. */
export function isHopByHop(name: string, kind: number, tokens: readonly string[] | null): boolean {
  return (kind & H_HOP) !== 0 || (kind === 0 && tokens !== null && isListedIn(name, tokens));
}
