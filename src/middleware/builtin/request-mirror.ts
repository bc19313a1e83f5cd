// request-mirror: the Gateway API's RequestMirror filter. A copy of the request (method, path, headers;
// requests with a body are not mirrored, see docs/gateway-api.md) goes to one endpoint of each target,
// for the target's share of requests. The copy is sent without waiting for it: its answer is read and
// thrown away, and its failure is ignored, so it never delays or fails the real request.
import { lazyModule } from '../../lib/lazy-module.ts';
import { parseMirrorConfig } from '../config/mirror.ts';
import type { Context, MiddlewareFactory } from '../types.ts';

const undici = lazyModule<typeof import('undici')>('undici');

const FAILURE_LOG_INTERVAL_MS = 10_000;
const SKIPPED = new Set(['host', 'content-length', 'transfer-encoding', 'expect', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection']);

function copyHeaders(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of ctx.request.headers.entries()) {
    const lower = name.toLowerCase();
    if (!SKIPPED.has(lower)) headers[lower] = headers[lower] === undefined ? value : `${headers[lower]}, ${value}`;
  }
  // The mirror sees the Host the client asked for, with "-shadow" appended as Envoy does.
  headers.host = `${ctx.request.authority}-shadow`;
  return headers;
}

export const requestMirrorFactory: MiddlewareFactory = {
  type: 'request-mirror',
  create(config, env) {
    const targets = parseMirrorConfig(config);
    const cursors = targets.map(() => 0);
    const random = Math.random;
    let lastLog = 0;
    return (ctx, next) => {
      const request = ctx.request;
      if (request.contentLength !== 0 && request.contentLength !== -1) return next();
      if (request.contentLength === -1 && request.method !== 'GET' && request.method !== 'HEAD') return next();
      for (let i = 0; i < targets.length; i++) {
        const target = targets[i]!;
        if (target.endpoints.length === 0 || (target.fraction < 1 && random() >= target.fraction)) continue;
        const endpoint = target.endpoints[cursors[i]! % target.endpoints.length]!;
        cursors[i] = cursors[i]! + 1;
        const url = `http://${endpoint}${request.path}`;
        const method = request.method;
        const headers = copyHeaders(ctx);
        undici().request(url, { method, headers, headersTimeout: 10_000, bodyTimeout: 10_000 })
          .then((res) => res.body.dump())
          .catch((error: unknown) => {
            const now = Date.now();
            if (now - lastLog < FAILURE_LOG_INTERVAL_MS) return;
            lastLog = now;
            env.log('warn', `request-mirror: a copy to ${endpoint} failed (the request itself was served): ${(error as Error).message}`);
          });
      }
      return next();
    };
  },
};
