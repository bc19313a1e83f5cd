// Short plain-text error answers (DESIGN.md: 404 no route, 503 no endpoint, 502 upstream failed,
// 504 upstream timed out, 413 body too large, 429 rate limited). Built once per status and connection
// disposition, so answering an error allocates nothing.
import { STATUS_CODES } from '../lib/node-http.ts';

const cache = new Map<number, Buffer>();

function build(status: number, close: boolean): Buffer {
  const reason = STATUS_CODES[status] ?? 'Error';
  const body = `${status} ${reason}\n`;
  return Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nConnection: ${close ? 'close' : 'keep-alive'}\r\n\r\n${body}`,
    'latin1',
  );
}

/** The complete HTTP/1.1 response for an error status; `close` adds Connection: close. */
export function errorResponse(status: number, close: boolean): Buffer {
  const key = close ? -status : status;
  let response = cache.get(key);
  if (response === undefined) {
    response = build(status, close);
    cache.set(key, response);
  }
  return response;
}

/** The same response without its body, for HEAD requests. */
export function errorResponseHead(status: number, close: boolean): Buffer {
  const full = errorResponse(status, close);
  return full.subarray(0, full.indexOf('\r\n\r\n') + 4);
}

export function errorBody(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Error'}\n`;
}

/** A redirect answer (308 for HTTP-to-HTTPS, as ingress-nginx sends) with its Location. */
export function redirectResponse(status: number, location: string, close: boolean, head: boolean): string {
  const reason = STATUS_CODES[status] ?? 'Redirect';
  const text = `${status} ${reason}\n`;
  return `HTTP/1.1 ${status} ${reason}\r\nLocation: ${location}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${text.length}\r\nConnection: ${close ? 'close' : 'keep-alive'}\r\n\r\n${head ? '' : text}`;
}
