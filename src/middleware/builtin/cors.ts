// cors: answers preflight requests (OPTIONS with Access-Control-Request-Method) at the gateway with
// 204, and adds the CORS headers to actual responses, including answers of later middlewares (a 401
// must carry them too, or the browser hides it from the page). Upstream CORS headers are replaced so
// that the gateway's policy is the one browsers see.
import { parseCorsConfig, type CorsConfig } from '../config/cors.ts';
import type { HeaderMap, MiddlewareFactory } from '../types.ts';
import { addVary } from './vary.ts';

const CORS_RESPONSE_HEADERS = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers'];

function originAllowed(config: CorsConfig, origin: string): boolean {
  if (config.anyOrigin) return true;
  const lower = origin.toLowerCase();
  if (config.origins.has(lower)) return true;
  for (const w of config.wildcards) {
    if (!lower.startsWith(`${w.scheme}//`)) continue;
    const authority = lower.slice(w.scheme.length + 2);
    const host = w.port ? (authority.endsWith(w.port) ? authority.slice(0, -w.port.length) : null) : authority;
    if (host !== null && !host.includes(':') && host.endsWith(w.suffix) && host.length > w.suffix.length) return true;
  }
  return false;
}

export const corsFactory: MiddlewareFactory = {
  type: 'cors',
  create(config) {
    const c = parseCorsConfig(config);
    // With "*" and no credentials the answer does not depend on the Origin; otherwise caches must key on it.
    const reflect = !c.anyOrigin || c.allowCredentials;
    const methods = c.allowMethods.join(', ');
    const allowHeaders = c.allowHeaders.join(', ');
    const exposeHeaders = c.exposeHeaders.join(', ');
    const maxAge = String(c.maxAgeSeconds);

    function allowOrigin(headers: HeaderMap, origin: string): void {
      headers.set('access-control-allow-origin', reflect ? origin : '*');
      if (c.allowCredentials) headers.set('access-control-allow-credentials', 'true');
    }

    return async (ctx, next) => {
      const origin = ctx.request.headers.get('origin');
      const allowed = origin !== undefined && originAllowed(c, origin);
      if (ctx.request.method === 'OPTIONS' && origin !== undefined && ctx.request.headers.has('access-control-request-method')) {
        const headers: Record<string, string> = {};
        if (allowed) {
          headers['access-control-allow-origin'] = reflect ? origin : '*';
          if (c.allowCredentials) headers['access-control-allow-credentials'] = 'true';
          headers['access-control-allow-methods'] = methods;
          if (allowHeaders) headers['access-control-allow-headers'] = allowHeaders;
          headers['access-control-max-age'] = maxAge;
        }
        if (reflect) headers.vary = 'Origin';
        ctx.respond(204, '', headers);
        return;
      }
      await next();
      const response = ctx.response;
      if (response === null) return;
      if (reflect) addVary(response.headers, 'Origin');
      if (!allowed) {
        for (const name of CORS_RESPONSE_HEADERS) response.headers.delete(name);
        return;
      }
      allowOrigin(response.headers, origin);
      if (exposeHeaders) response.headers.set('access-control-expose-headers', exposeHeaders);
    };
  },
};
