// The reference for upstream responses: how a strict llhttp response parser, set up as the gateway's
// upstream connections set it up, judges some bytes (accepted or not, status, keep-alive, fields, body).
import { RESPONSE, createParser, isLlhttpError } from '../../src/http1/index.ts';

export interface LlhttpVerdict {
  ok: boolean;
  status: number;
  keepAlive: boolean;
  headers: string[];
  /** Body bytes llhttp delivered before completing the message; -1 when it did not complete. */
  bodyBytes: number;
}

/** Runs `data` (a head and a body) through a fresh strict llhttp response parser. */
export function llhttp(data: Buffer): LlhttpVerdict {
  const verdict: LlhttpVerdict = { ok: false, status: 0, keepAlive: false, headers: [], bodyBytes: -1 };
  let body = 0;
  let pending: string[] = [];
  const parser = createParser(RESPONSE, 32 * 1024, verdict, {
    headers(headers) { pending.push(...headers); },
    headersComplete(_major, _minor, headers, _method, _url, status, _reason, _upgrade, keepAlive) {
      this.conn.headers = headers ?? pending;
      pending = [];
      this.conn.status = status;
      this.conn.keepAlive = keepAlive;
      return 0;
    },
    body(chunk) { body += chunk.length; },
    messageComplete() { if (this.conn.bodyBytes === -1) this.conn.bodyBytes = body; },
  });
  const result = parser.execute(data);
  parser.free();
  verdict.ok = !isLlhttpError(result) && verdict.status !== 0;
  return verdict;
}

