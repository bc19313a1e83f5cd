// HTTP/2 response fields read straight from the bytes of an HTTP/1.1 upstream head that the scanner
// took (http1/response-head-scan.ts), instead of from llhttp's strings: no parser pass, and no string at
// all for the name of a common field. HTTP/2 needs lower-case names; a common name is matched on its
// bytes (by length, then one comparison ignoring case) and given as a constant, and any other name is
// sliced and lower-cased. Values are sliced without the surrounding whitespace (RFC 9110 5.5), as llhttp
// hands them over. The hop-by-hop lines the scan found are skipped; it refuses every head where
// Connection lists other fields, so nothing else is hop-by-hop.
import { bytesAre, type ResponseHeadScan } from '../../http1/index.ts';
import type { ResponseFieldList } from './fields.ts';

/** Names common in responses, kept as constants (interned strings also make node:http2's lookups cheaper). */
const COMMON_NAMES = [
  'age', 'via', 'date', 'etag', 'link', 'vary', 'allow', 'pragma', 'server', 'alt-svc', 'expires',
  'location', 'x-powered-by', 'set-cookie', 'retry-after', 'content-type', 'x-request-id', 'cache-control',
  'accept-ranges', 'last-modified', 'content-range', 'content-encoding', 'content-language',
  'content-location', 'x-frame-options', 'referrer-policy', 'www-authenticate', 'x-xss-protection',
  'content-disposition', 'x-content-type-options', 'content-security-policy', 'strict-transport-security',
  'access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers',
  'access-control-expose-headers', 'access-control-allow-credentials',
] as const;

/** The common names by length. */
const NAMES_BY_LENGTH: string[][] = [];
for (const name of COMMON_NAMES) (NAMES_BY_LENGTH[name.length] ??= []).push(name);

function lowerCaseName(data: Buffer, start: number, end: number): string {
  const candidates = NAMES_BY_LENGTH[end - start];
  if (candidates !== undefined) {
    for (let i = 0; i < candidates.length; i++) if (bytesAre(data, start, candidates[i]!)) return candidates[i]!;
  }
  return data.toString('latin1', start, end).toLowerCase();
}

const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** Appends the fields of the header lines in data[from, to) (whole lines, each ending in CRLF). */
function addLines(list: ResponseFieldList, data: Buffer, from: number, to: number): void {
  let p = from;
  while (p < to) {
    const nameStart = p;
    while (data[p] !== COLON) p++;
    const name = lowerCaseName(data, nameStart, p);
    p++;
    while (data[p] === SP || data[p] === HTAB) p++;
    const valueStart = p;
    while (data[p] !== CR) p++;
    let valueEnd = p;
    while (valueEnd > valueStart && (data[valueEnd - 1] === SP || data[valueEnd - 1] === HTAB)) valueEnd--;
    list.push(name, data.toString('latin1', valueStart, valueEnd));
    p += 2;
  }
}

/** [':status', status, name, value, ...] for the head the scan took at the start of `data`. */
export function fieldListFromHead(head: ResponseHeadScan, data: Buffer): ResponseFieldList {
  const list: ResponseFieldList = [':status', String(head.status)];
  const dropped = head.dropped;
  let from = head.linesStart;
  for (let i = 0; i < head.droppedLines; i++) {
    addLines(list, data, from, dropped[i * 2]!);
    from = dropped[i * 2 + 1]!;
  }
  addLines(list, data, from, head.headEnd - 2);
  return list;
}
