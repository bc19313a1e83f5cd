// The response head an HTTP/1.1 client receives: the upstream's header fields without the hop-by-hop
// ones, then the fields the gateway adds (framing, HSTS, Connection). Built from llhttp's header list in
// general, or copied from the upstream head's own bytes when the scanner took it (http1/response-head-scan.ts),
// so that the common response makes no JS string per header.
import { classifyHeader, connectionTokens, isHopByHop, listedInConnection, H_CONNECTION, H_CONTENT_LENGTH, H_HOP, type ResponseHeadScan } from '../../http1/index.ts';

const CRLF = '\r\n';

/**
 * The header block (each field and its CRLF) without hop-by-hop headers and those a Connection header
 * lists. `reframe` also drops Content-Length (a body transform changes the length; chunked follows).
 */
export function forwardedBlock(headers: readonly string[], reframe: boolean): string {
  // One pass builds the block; a Connection header naming other headers (rare) needs a second.
  let tokens: string[] | null = null;
  let block = '';
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const kind = classifyHeader(name);
    if (kind !== 0) {
      if (kind & H_CONNECTION) tokens = connectionTokens(headers[i + 1]!);
      if (kind & H_HOP || (reframe && kind & H_CONTENT_LENGTH)) continue;
    }
    block += name + ': ' + headers[i + 1] + CRLF;
  }
  return tokens === null ? block : withoutListed(headers, tokens, reframe);
}

function withoutListed(headers: readonly string[], tokens: readonly string[], reframe: boolean): string {
  let block = '';
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const kind = classifyHeader(name);
    if (isHopByHop(name, kind, tokens) || (reframe && kind & H_CONTENT_LENGTH)) continue;
    block += name + ': ' + headers[i + 1] + CRLF;
  }
  return block;
}

/** Response headers as a middleware sees them: hop-by-hop ones (and those named in Connection) removed. */
export function filterResponseHeaders(headers: readonly string[]): string[] {
  const tokens = listedInConnection(headers);
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (!isHopByHop(name, classifyHeader(name), tokens)) out.push(name, headers[i + 1]!);
  }
  return out;
}

const END_KEEP = CRLF;
const END_CLOSE = 'Connection: close\r\n' + CRLF;
const END_KEEP_HTTP10 = 'Connection: keep-alive\r\n' + CRLF;

/**
 * The fields the gateway adds after the upstream's, and the empty line ending the head. `hsts` is the
 * route's Strict-Transport-Security value on HTTPS, else null. Constant strings in the usual cases.
 */
export function gatewayFields(chunked: boolean, hsts: string | null, close: boolean, http10Client: boolean): string {
  const end = close ? END_CLOSE : http10Client ? END_KEEP_HTTP10 : END_KEEP;
  if (!chunked && hsts === null) return end;
  return (chunked ? 'Transfer-Encoding: chunked\r\n' : '') + (hsts === null ? '' : 'Strict-Transport-Security: ' + hsts + CRLF) + end;
}

/**
 * The client's head copied from the upstream head at the start of `data`: its status line and header
 * lines minus the hop-by-hop ones the scan found, then `added` (gatewayFields). `room` spare bytes
 * follow the head in the Buffer, for body bytes that should leave in the same write.
 */
export function headFromBytes(head: ResponseHeadScan, data: Buffer, added: string, room: number): Buffer {
  const linesEnd = head.headEnd - 2;
  const out = Buffer.allocUnsafe(linesEnd - head.droppedBytes + added.length + room);
  const dropped = head.dropped;
  let at = 0;
  let from = 0;
  for (let i = 0; i < head.droppedLines; i++) {
    at += data.copy(out, at, from, dropped[i * 2]);
    from = dropped[i * 2 + 1]!;
  }
  at += data.copy(out, at, from, linesEnd);
  out.write(added, at, 'latin1');
  return out;
}
