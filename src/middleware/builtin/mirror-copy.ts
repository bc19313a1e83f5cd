// mirror-copy: what url-mirror (ingress-nginx's mirror-target) and request-mirror (the Gateway API's
// RequestMirror) share. A copy carries the request's method and end-to-end headers and, up to
// MIRROR_BODY_LIMIT, its body: the body is copied as the proxy forwards it to the real backend (a tap,
// which never slows or pauses it), and the copy is sent once the body is complete. Copies are sent
// without waiting; their answers are read and thrown away, their failures logged at most every 10 s.
import { lazyModule } from '../../lib/lazy-module.ts';
import type { Context, MiddlewareEnvironment } from '../types.ts';

const undici = lazyModule<typeof import('undici')>('undici');

/**
 * Bodies up to this size are copied; a request with a larger body is not mirrored at all (a truncated
 * copy would mislead the mirror). Bounds the memory a copy holds while the body streams.
 */
export const MIRROR_BODY_LIMIT = 64 * 1024;
const LOG_INTERVAL_MS = 10_000;
/** Framing and hop-by-hop headers belong to each connection; the copy is framed by its own client. */
const SKIPPED = new Set(['host', 'content-length', 'transfer-encoding', 'expect', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection']);

/** The copy's headers in flat [name, value, ...] form, with its own Host and any extra pairs. */
export function mirrorHeaders(ctx: Context, host: string, extra: readonly string[] = []): string[] {
  const headers: string[] = [];
  for (const [name, value] of ctx.request.headers.entries()) if (!SKIPPED.has(name.toLowerCase())) headers.push(name, value);
  headers.push('host', host, ...extra);
  return headers;
}

export interface MirrorCopy {
  url: string;
  headers: string[];
  timeoutMs: number;
}

/** Sends copies for one middleware instance, and reports failures and skipped bodies, throttled. */
export class MirrorSender {
  private readonly env: MiddlewareEnvironment;
  private readonly what: string;
  private readonly dispatcher: import('undici').Dispatcher | undefined;
  private lastFailureLog = -Infinity;
  private lastSkipLog = -Infinity;
  private skippedSinceLog = 0;

  constructor(env: MiddlewareEnvironment, what: string, dispatcher?: import('undici').Dispatcher) {
    this.env = env;
    this.what = what;
    this.dispatcher = dispatcher;
  }

  send(copy: MirrorCopy, method: string, body: Buffer | null): void {
    const options = { method: method as 'GET', headers: copy.headers, body, dispatcher: this.dispatcher, headersTimeout: copy.timeoutMs, bodyTimeout: copy.timeoutMs };
    undici().request(copy.url, options).then((response) => response.body.dump(), (error: unknown) => this.failed(copy.url, error));
  }

  /**
   * Calls `copies` and sends what it returns: at once for a request without a body (or with `withBody`
   * false, a copy without it), after the body is complete for one with a body up to the limit; a
   * larger body is not mirrored and counted. `copies` runs before the request goes on, so a target's
   * share is decided per request whatever happens to the body.
   */
  mirror(ctx: Context, withBody: boolean, copies: () => MirrorCopy[]): void {
    const request = ctx.request;
    const method = request.method;
    const bodiless = request.contentLength === 0 || (request.contentLength === -1 && (method === 'GET' || method === 'HEAD'));
    if (bodiless || !withBody) {
      for (const copy of copies()) this.send(copy, method, null);
      return;
    }
    if (request.contentLength > MIRROR_BODY_LIMIT) return this.skipped();
    const chosen = copies();
    if (chosen.length === 0) return;
    const chunks: Buffer[] = [];
    let size = 0;
    ctx.tapRequestBody({
      data: (chunk) => {
        if (size > MIRROR_BODY_LIMIT) return;
        size += chunk.length;
        if (size > MIRROR_BODY_LIMIT) {
          chunks.length = 0;
          this.skipped();
        } else chunks.push(Buffer.from(chunk)); // a copy: a chunk may be a slice of a larger read buffer
      },
      end: () => {
        if (size > MIRROR_BODY_LIMIT) return;
        const body = size === 0 ? null : Buffer.concat(chunks, size);
        for (const copy of chosen) this.send(copy, method, body);
      },
    });
  }

  private skipped(): void {
    this.skippedSinceLog++;
    const now = performance.now();
    if (now - this.lastSkipLog < LOG_INTERVAL_MS) return;
    this.lastSkipLog = now;
    this.env.log('info', `${this.what}: requests with a body over ${MIRROR_BODY_LIMIT} bytes are not mirrored (the requests themselves are served)`, { skipped: this.skippedSinceLog });
    this.skippedSinceLog = 0;
  }

  private failed(url: string, error: unknown): void {
    const now = performance.now();
    if (now - this.lastFailureLog < LOG_INTERVAL_MS) return;
    this.lastFailureLog = now;
    this.env.log('warn', `${this.what}: a copy of a request failed (the request itself was served)`, { url, error: (error as Error).message });
  }
}
