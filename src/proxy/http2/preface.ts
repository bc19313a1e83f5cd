// Recognising HTTP/2 with prior knowledge (RFC 9113 3.3) on the plain-HTTP port: the connection
// opens with the fixed client preface instead of an HTTP/1.1 request line.

export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export type PrefaceVerdict = 'http2' | 'http1' | 'more';

/** Classifies the first bytes of a connection; 'more' while they are a strict prefix of the preface. */
export function classifyPreface(head: Buffer): PrefaceVerdict {
  const n = Math.min(head.length, HTTP2_PREFACE.length);
  if (n === 0) return 'more';
  // The first byte decides nearly every HTTP/1.1 connection: only PRI, POST, PUT and PATCH start with "P".
  for (let i = 0; i < n; i++) if (head[i] !== HTTP2_PREFACE[i]) return 'http1';
  return n === HTTP2_PREFACE.length ? 'http2' : 'more';
}
