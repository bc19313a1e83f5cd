// The W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header):
//   version "-" trace-id "-" parent-id "-" trace-flags      e.g. 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
// Parsed by hand: it is four fixed-width lower-case hex fields, and a parse per traced request should
// not cost a regex or a propagator round trip.

export interface TraceParent {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string;
  /** 16 lower-case hex digits, not all zero: the caller's span. */
  spanId: string;
  /** Bit 0 is "sampled". */
  traceFlags: number;
}

const VERSION_00_LENGTH = 55;

function isLowerHex(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function isAllZero(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) !== 48) return false;
  return true;
}

/**
 * The parent of a request, or null when the header is absent or invalid (the spec says to start a new
 * trace then). Versions above 00 are read as 00 when the 00 fields are well-formed and what follows
 * them starts with "-", as the spec asks of a parser that knows only version 00.
 */
export function parseTraceparent(header: string | undefined): TraceParent | null {
  if (header === undefined) return null;
  const text = header.trim();
  if (text.length < VERSION_00_LENGTH) return null;
  if (text.charCodeAt(2) !== 45 || text.charCodeAt(35) !== 45 || text.charCodeAt(52) !== 45) return null;
  if (!isLowerHex(text, 0, 2) || !isLowerHex(text, 3, 35) || !isLowerHex(text, 36, 52) || !isLowerHex(text, 53, 55)) return null;
  const version = text.slice(0, 2);
  if (version === 'ff') return null;
  if (version === '00' ? text.length !== VERSION_00_LENGTH : text.length > VERSION_00_LENGTH && text.charCodeAt(VERSION_00_LENGTH) !== 45) return null;
  if (isAllZero(text, 3, 35) || isAllZero(text, 36, 52)) return null;
  return { traceId: text.slice(3, 35), spanId: text.slice(36, 52), traceFlags: parseInt(text.slice(53, 55), 16) };
}

/** The header value for a span (always version 00). */
export function formatTraceparent(parent: TraceParent): string {
  const flags = parent.traceFlags & 0xff;
  return `00-${parent.traceId}-${parent.spanId}-${flags < 16 ? '0' : ''}${flags.toString(16)}`;
}
