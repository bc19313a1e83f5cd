// A byte scanner for the common upstream response head, so that it can be forwarded without a JS string
// per header (llhttp's node binding makes one of every name and value). It accepts only a strict,
// simple subset of what llhttp accepts, with the same framing, and says "no" to everything else: the
// caller then hands the head to llhttp from its first byte, which judges it exactly as before. So the
// gateway's strictness cannot loosen here; test/http1/response-head-scan.test.ts runs both over a corpus
// and generated heads and compares verdicts and framing.
//
// The subset: `HTTP/1.1 ` + a status 200-599 + SP + a reason of VCHAR/SP/HTAB + CRLF; header lines of a
// token name, `:`, optional SP/HTAB, a value of VCHAR/SP/HTAB/obs-text, CRLF; the whole head inside the
// buffer given and at most MAX_SCANNED_HEAD bytes; at most one Content-Length of digits only (none on
// 204 and 304, and one is required otherwise, so the body's end is known); no Transfer-Encoding,
// Upgrade or Proxy-Connection; Connection only as `keep-alive` or `close`.

/** Longest head taken here; a longer one (well under the parser's own limit) goes to llhttp. */
export const MAX_SCANNED_HEAD = 8 * 1024;
/** Hop-by-hop lines a head may carry and still be taken here (each is dropped when forwarding). */
const MAX_DROPPED_LINES = 8;

const TOKEN = 1;
const VALUE = 2;
const REASON = 4;
const DIGIT = 8;

/** Byte classes, built once: RFC 9110 tchar, field-value bytes, reason-phrase bytes, digits. */
const CLASS = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) CLASS[c] = VALUE | REASON;
for (let c = 0x80; c <= 0xff; c++) CLASS[c] = VALUE;
CLASS[0x20] = VALUE | REASON;
CLASS[0x09] = VALUE | REASON;
for (const c of "!#$%&'*+-.^_`|~") CLASS[c.charCodeAt(0)]! |= TOKEN;
for (let c = 0x30; c <= 0x39; c++) CLASS[c]! |= TOKEN | DIGIT;
for (let c = 0x41; c <= 0x5a; c++) CLASS[c]! |= TOKEN;
for (let c = 0x61; c <= 0x7a; c++) CLASS[c]! |= TOKEN;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

// What a header name means to the scanner.
const OTHER = 0;
const CONTENT_LENGTH = 1;
const CONNECTION = 2;
/** Hop-by-hop and dropped, with no effect on framing: Keep-Alive, TE, Trailer. */
const DROPPED = 3;
/** Outside the subset: Transfer-Encoding, Upgrade, Proxy-Connection (llhttp reads it as Connection). */
const REFUSED = 4;

/**
 * True when buf[start, start + lower.length) equals `lower` (lower-case ASCII letters, digits and '-')
 * ignoring case. Only for token bytes: `| 0x20` maps no other token byte onto a letter, digit or '-'.
 */
export function bytesAre(buf: Uint8Array, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((buf[start + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** A header name's meaning, by its length, then one comparison (token bytes only: `| 0x20` is safe). */
function nameKind(buf: Uint8Array, start: number, length: number): number {
  switch (length) {
    case 2:
      return bytesAre(buf, start, 'te') ? DROPPED : OTHER;
    case 7:
      if (bytesAre(buf, start, 'upgrade')) return REFUSED;
      return bytesAre(buf, start, 'trailer') ? DROPPED : OTHER;
    case 10:
      if (bytesAre(buf, start, 'connection')) return CONNECTION;
      return bytesAre(buf, start, 'keep-alive') ? DROPPED : OTHER;
    case 14:
      return bytesAre(buf, start, 'content-length') ? CONTENT_LENGTH : OTHER;
    case 16:
      return bytesAre(buf, start, 'proxy-connection') ? REFUSED : OTHER;
    case 17:
      return bytesAre(buf, start, 'transfer-encoding') ? REFUSED : OTHER;
    default:
      return OTHER;
  }
}

/**
 * The result of scanning one head, kept in one reusable object per upstream connection (no objects per
 * response). Offsets are into the buffer last scanned.
 */
export class ResponseHeadScan {
  status = 0;
  /** The body length; -1 for a 204 or 304 (no body, no Content-Length). */
  contentLength = -1;
  keepAlive = true;
  /** Offset just past the status line's CRLF: the header lines start here. */
  linesStart = 0;
  /** Offset just past the empty line that ends the head. */
  headEnd = 0;
  /** Bytes of the hop-by-hop lines to drop, summed. */
  droppedBytes = 0;
  /** Number of hop-by-hop lines to drop. */
  droppedLines = 0;
  /** [start, end) of each line to drop (CRLF included), in order. */
  readonly dropped = new Int32Array(MAX_DROPPED_LINES * 2);

  /**
   * Scans the head at the start of `buf`. True when it is inside the subset, with the fields above set;
   * false for anything else (the fields then mean nothing).
   */
  scan(buf: Uint8Array): boolean {
    const end = buf.length;
    // "HTTP/1.1 200 \r\n\r\n" is the shortest head of the subset.
    if (end < 17) return false;
    if (buf[0] !== 0x48 || buf[1] !== 0x54 || buf[2] !== 0x54 || buf[3] !== 0x50 || buf[4] !== 0x2f ||
      buf[5] !== 0x31 || buf[6] !== 0x2e || buf[7] !== 0x31 || buf[8] !== SP || buf[12] !== SP) return false;
    const d0 = buf[9]! - 0x30;
    const d1 = buf[10]! - 0x30;
    const d2 = buf[11]! - 0x30;
    if (d0 < 2 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return false;
    const status = d0 * 100 + d1 * 10 + d2;
    const limit = end < MAX_SCANNED_HEAD ? end : MAX_SCANNED_HEAD;
    let p = 13;
    while (p < limit && (CLASS[buf[p]!]! & REASON) !== 0) p++;
    if (p + 1 >= limit || buf[p] !== CR || buf[p + 1] !== LF) return false;
    p += 2;
    this.linesStart = p;
    let contentLength = -1;
    let keepAlive = true;
    let droppedLines = 0;
    let droppedBytes = 0;
    for (;;) {
      if (p + 1 >= limit) return false;
      if (buf[p] === CR) {
        if (buf[p + 1] !== LF) return false;
        p += 2;
        break;
      }
      const lineStart = p;
      while (p < limit && (CLASS[buf[p]!]! & TOKEN) !== 0) p++;
      const nameLength = p - lineStart;
      if (nameLength === 0 || p >= limit || buf[p] !== COLON) return false;
      const kind = nameKind(buf, lineStart, nameLength);
      p++;
      while (p < limit && (buf[p] === SP || buf[p] === HTAB)) p++;
      const valueStart = p;
      while (p < limit && (CLASS[buf[p]!]! & VALUE) !== 0) p++;
      if (p + 1 >= limit || buf[p] !== CR || buf[p + 1] !== LF) return false;
      const valueEnd = p;
      p += 2;
      if (kind === OTHER) continue;
      if (kind === REFUSED) return false;
      if (kind === CONTENT_LENGTH) {
        const length = valueEnd - valueStart;
        // Digits only (no sign, no list, no trailing space), and short enough to be exact in a double.
        if (contentLength !== -1 || length === 0 || length > 15) return false;
        let n = 0;
        for (let i = valueStart; i < valueEnd; i++) {
          const c = buf[i]!;
          if ((CLASS[c]! & DIGIT) === 0) return false;
          n = n * 10 + (c - 0x30);
        }
        contentLength = n;
        continue;
      }
      if (kind === CONNECTION) {
        const length = valueEnd - valueStart;
        if (length === 5 && bytesAre(buf, valueStart, 'close')) keepAlive = false;
        else if (length !== 10 || !bytesAre(buf, valueStart, 'keep-alive')) return false;
      }
      // CONNECTION and DROPPED: hop-by-hop, not forwarded.
      if (droppedLines === MAX_DROPPED_LINES) return false;
      this.dropped[droppedLines * 2] = lineStart;
      this.dropped[droppedLines * 2 + 1] = p;
      droppedLines++;
      droppedBytes += p - lineStart;
    }
    // A 204 or 304 has no body, and a Content-Length on one is left to llhttp; every other status needs
    // one here, so that the body's end is known without reading to the connection's end.
    if (status === 204 || status === 304 ? contentLength !== -1 : contentLength === -1) return false;
    this.status = status;
    this.contentLength = contentLength;
    this.keepAlive = keepAlive;
    this.headEnd = p;
    this.droppedLines = droppedLines;
    this.droppedBytes = droppedBytes;
    return true;
  }
}
