// Short plain-text answers from the gateway (DESIGN.md: bodies are short plain text), in the same form
// as the proxy's own error responses. The bodies and base headers are built once per status.
import { STATUS_CODES } from '../../lib/node-http.ts';
import type { Context } from '../types.ts';

const bodies = new Map<number, string>();
const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });

export function statusBody(status: number): string {
  let body = bodies.get(status);
  if (body === undefined) {
    body = `${status} ${STATUS_CODES[status] ?? 'Error'}\n`;
    bodies.set(status, body);
  }
  return body;
}

/** Answers with "<status> <reason>\n"; `headers` are added to the plain-text ones. */
export function answer(ctx: Context, status: number, headers?: Record<string, string>): void {
  ctx.respond(status, statusBody(status), headers === undefined ? BASE_HEADERS : { ...BASE_HEADERS, ...headers });
}
