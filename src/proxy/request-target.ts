// Request targets and Host values as RFC 9112 section 3.2 and RFC 9113 section 8.3.1 define them, checked
// before routing so that no request routes by one host and reaches a backend under another:
// - origin-form ("/x?q") is the common case and costs one character test;
// - absolute-form ("http://a.example/x") names the host itself: its authority replaces the Host field
//   for routing and upstream, and the request goes upstream in origin-form ("/x");
// - asterisk-form ("*") is only meaningful for OPTIONS, and then asks about the server, which here is
//   the gateway: it answers itself (200 with Allow), nothing is forwarded. Other methods get 400;
// - authority-form ("a.example:443") belongs to CONNECT, which a reverse proxy does not serve (405);
// - anything else is 400, as is a Host value that is not `uri-host [":" port]` (RFC 3986 3.2.2).

import { isIPv6 } from 'node:net';

/** What a request target is, once classified. */
export const TARGET = { ORIGIN: 0, ABSOLUTE: 1, ASTERISK: 2, AUTHORITY: 3, INVALID: 4 } as const;
export type TargetForm = (typeof TARGET)[keyof typeof TARGET];

const SLASH = 0x2f;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const PERCENT = 0x25;

/** reg-name characters: unreserved and sub-delims (RFC 3986 2.2, 2.3); '%' is checked apart. */
const REG_NAME = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()*+,;=') REG_NAME[c.charCodeAt(0)] = 1;
/** IPvFuture's tail: unreserved, sub-delims and ':'. */
const IP_FUTURE = REG_NAME.slice();
IP_FUTURE[COLON] = 1;

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

function isDigits(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isIpLiteral(text: string, start: number, end: number): boolean {
  // IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
  if ((text.charCodeAt(start) | 0x20) === 0x76) {
    let i = start + 1;
    while (i < end && isHexDigit(text.charCodeAt(i))) i++;
    if (i === start + 1 || i >= end - 1 || text.charCodeAt(i) !== 0x2e) return false;
    for (i++; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128 || IP_FUTURE[c] === 0) return false;
    }
    return true;
  }
  // Rare enough to afford a slice; zone identifiers ("%eth0") are not part of a URI's host.
  const inner = text.slice(start, end);
  return inner.indexOf('%') < 0 && isIPv6(inner);
}

function isRegName(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === PERCENT) {
      if (i + 2 >= end || !isHexDigit(text.charCodeAt(i + 1)) || !isHexDigit(text.charCodeAt(i + 2))) return false;
      i += 2;
    } else if (c >= 128 || REG_NAME[c] === 0) return false;
  }
  return true;
}

/**
 * True when `value` is a valid Host field value or authority: `uri-host [":" port]` with uri-host a
 * reg-name (possibly empty, as RFC 9112 allows for targets without authority), an IPv4 address or an
 * IP-literal in brackets, and port digits only. No userinfo, no spaces, nothing else.
 */
export function isValidHost(value: string): boolean {
  const length = value.length;
  let hostEnd: number;
  if (length > 0 && value.charCodeAt(0) === OPEN_BRACKET) {
    const close = value.indexOf(']');
    if (close < 0 || !isIpLiteral(value, 1, close)) return false;
    hostEnd = close + 1;
    if (hostEnd === length) return true;
    if (value.charCodeAt(hostEnd) !== COLON) return false;
  } else {
    hostEnd = value.indexOf(':');
    if (hostEnd < 0) hostEnd = length;
    if (!isRegName(value, 0, hostEnd)) return false; // IPv4 addresses are reg-names too
    if (hostEnd === length) return true;
  }
  return isDigits(value, hostEnd + 1, length);
}

/** What kind of request target `target` is (see the top of this file). */
export function targetForm(target: string, method: string): TargetForm {
  const first = target.charCodeAt(0);
  if (first === SLASH) return TARGET.ORIGIN;
  if (method === 'CONNECT') return TARGET.AUTHORITY;
  if (target === '*') return TARGET.ASTERISK;
  return absoluteAuthorityEnd(target) > 0 ? TARGET.ABSOLUTE : TARGET.INVALID;
}

/** Length of the "http://" or "https://" prefix of an absolute-form target, or 0 if it has none. */
function schemeLength(target: string): number {
  if (target.length < 7) return 0;
  const h = target.charCodeAt(0) | 0x20;
  const t1 = target.charCodeAt(1) | 0x20;
  const t2 = target.charCodeAt(2) | 0x20;
  const p = target.charCodeAt(3) | 0x20;
  if (h !== 0x68 || t1 !== 0x74 || t2 !== 0x74 || p !== 0x70) return 0;
  let i = 4;
  if ((target.charCodeAt(4) | 0x20) === 0x73) i++;
  return target.startsWith('://', i) ? i + 3 : 0;
}

/** Where the authority of an http(s) absolute-form target ends, or -1 (not one, or an empty host). */
function absoluteAuthorityEnd(target: string): number {
  const start = schemeLength(target);
  if (start === 0) return -1;
  let end = start;
  while (end < target.length) {
    const c = target.charCodeAt(end);
    if (c === SLASH || c === 0x3f /* ? */ || c === 0x23 /* # */) break;
    end++;
  }
  // RFC 9110 4.2.1: an http URI with an empty host is invalid.
  return end === start || target.charCodeAt(start) === COLON ? -1 : end;
}

/** The authority of an absolute-form target (validate it with isValidHost: userinfo makes it invalid). */
export function absoluteAuthority(target: string): string {
  return target.slice(schemeLength(target), absoluteAuthorityEnd(target));
}

/** The origin-form of an absolute-form target: its path and query, "/" when the path is empty. */
export function absoluteOriginForm(target: string): string {
  const end = absoluteAuthorityEnd(target);
  const rest = target.slice(end);
  return rest.charCodeAt(0) === SLASH ? rest : '/' + rest;
}

/**
 * True when two authorities name the same host and port (RFC 9113 8.3.1 compares :authority with
 * Host after normalising): case-insensitive, one trailing dot of the name ignored.
 */
export function sameAuthority(a: string, b: string): boolean {
  return normalizedAuthority(a) === normalizedAuthority(b);
}

function normalizedAuthority(value: string): string {
  const lower = value.toLowerCase();
  const colon = lower.charCodeAt(0) === OPEN_BRACKET ? lower.indexOf(':', lower.indexOf(']')) : lower.indexOf(':');
  const name = colon < 0 ? lower : lower.slice(0, colon);
  const port = colon < 0 ? '' : lower.slice(colon);
  return (name.endsWith('.') ? name.slice(0, -1) : name) + port;
}

/** Methods an `OPTIONS *` answer lists: what the gateway forwards. */
export const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS';

/** The gateway's own HTTP/1.1 answer to `OPTIONS *`. */
export function optionsAsteriskResponse(close: boolean): string {
  return `HTTP/1.1 200 OK\r\nAllow: ${ALLOWED_METHODS}\r\nContent-Length: 0\r\nConnection: ${close ? 'close' : 'keep-alive'}\r\n\r\n`;
}
