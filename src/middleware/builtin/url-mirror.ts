// url-mirror: sends a copy of each request (method and headers, no body) to another URL and goes on
// without waiting; the copy's answer is read and dropped, its failures logged at most every 10 s.
// The client's request is never slowed or changed by the mirror.
import { lazyModule } from '../../lib/lazy-module.ts';
import { expandNginxVariables } from '../config/nginx-variables.ts';
import { parseUrlMirrorConfig } from '../config/url-mirror.ts';
import type { Context, MiddlewareFactory } from '../types.ts';

const undici = lazyModule<typeof import('undici')>('undici');
const FAILURE_LOG_INTERVAL_MS = 10_000;
/** Framing and hop-by-hop headers belong to each connection; the copy has no body. */
const SKIPPED = new Set(['host', 'content-length', 'transfer-encoding', 'expect', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection']);

function copyHeaders(ctx: Context, host: string | null): string[] {
  const headers: string[] = [];
  for (const [name, value] of ctx.request.headers.entries()) if (!SKIPPED.has(name.toLowerCase())) headers.push(name, value);
  headers.push('host', host ?? ctx.request.authority, 'x-original-uri', ctx.request.path);
  return headers;
}

export const urlMirrorFactory: MiddlewareFactory = {
  type: 'url-mirror',
  create(config, env) {
    const c = parseUrlMirrorConfig(config);
    const { Agent, request } = undici();
    const agent = env.shared('url-mirror:agent', () => new Agent({ keepAliveTimeout: 10_000 }));
    let lastFailureLogMs = -Infinity;
    const failed = (err: unknown): void => {
      const now = performance.now();
      if (now - lastFailureLogMs < FAILURE_LOG_INTERVAL_MS) return;
      lastFailureLogMs = now;
      env.log('warn', 'url-mirror: the copy of a request failed', { url: c.url, error: (err as Error).message });
    };
    return (ctx, next) => {
      const req = ctx.request;
      const url = expandNginxVariables(c.url, req);
      request(url, { method: req.method as 'GET', headers: copyHeaders(ctx, c.host), dispatcher: agent, headersTimeout: c.timeoutMs, bodyTimeout: c.timeoutMs })
        .then((response) => response.body.dump(), failed);
      return next();
    };
  },
};
