// cors: answers preflight requests (OPTIONS with Access-Control-Request-Method) at the gateway with
// 204 (or 200), and adds the CORS headers to actual responses, including answers of later middlewares (a 401
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

/** The names of a response's own headers, for exposeHeaders ["*"] with credentials (where "*" is not honoured). */
function ownHeaderNames(headers: HeaderMap): string {
  const names = new Set<string>();
  for (const [name] of headers.entries()) {
    const lower = name.toLowerCase();
    if (!lower.startsWith('access-control-')) names.add(lower);
  }
  return [...names].join(', ');
}

export const corsFactory: MiddlewareFactory = {
  type: 'cors',
  create(config) {
    const c = parseCorsConfig(config);
    // With "*" and no credentials the answer does not depend on the Origin; otherwise caches must key on it.
    const reflect = !c.anyOrigin || c.allowCredentials;
    // Browsers do not honour the "*" wildcards on credentialed requests: then the preflight's own
    // request is echoed instead (the Gateway API's HTTPCORSFilter asks for exactly this).
    // allowMethods ["*"] always echoes the requested method: the spec allows that without credentials
    // too, and the conformance suite expects exactly the requested method there.
    const echoMethod = c.anyMethod;
    const echoHeaders = c.anyHeader && c.allowCredentials;
    const methods = c.allowMethods.join(', ');
    const allowHeaders = c.allowHeaders.join(', ');
    const exposeOwnHeaders = c.exposeAll && c.allowCredentials;
    const exposeHeaders = exposeOwnHeaders ? '' : c.exposeHeaders.join(', ');
    const echoed = [echoMethod ? 'Access-Control-Request-Method' : '', echoHeaders ? 'Access-Control-Request-Headers' : ''].filter(Boolean).join(', ');
    const preflightVary = reflect ? (echoed ? `Origin, ${echoed}` : 'Origin') : echoed;
    const maxAge = String(c.maxAgeSeconds);

    function allowOrigin(headers: HeaderMap, origin: string): void {
      headers.set('access-control-allow-origin', reflect ? origin : '*');
      if (c.allowCredentials) headers.set('access-control-allow-credentials', 'true');
    }

    return async (ctx, next) => {
      const request = ctx.request;
      const origin = request.headers.get('origin');
      const allowed = origin !== undefined && originAllowed(c, origin);
      const requestMethod = request.method === 'OPTIONS' ? request.headers.get('access-control-request-method') : undefined;
      if (origin !== undefined && requestMethod !== undefined) {
        const headers: Record<string, string> = {};
        if (allowed) {
          headers['access-control-allow-origin'] = reflect ? origin : '*';
          if (c.allowCredentials) headers['access-control-allow-credentials'] = 'true';
          headers['access-control-allow-methods'] = echoMethod ? requestMethod : methods;
          const requested = echoHeaders ? request.headers.get('access-control-request-headers') : allowHeaders;
          if (requested) headers['access-control-allow-headers'] = requested;
          if (exposeHeaders) headers['access-control-expose-headers'] = exposeHeaders;
          headers['access-control-max-age'] = maxAge;
        }
        if (preflightVary) headers.vary = preflightVary;
        ctx.respond(c.preflightStatus, '', headers);
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
      const expose = exposeOwnHeaders ? ownHeaderNames(response.headers) : exposeHeaders;
      if (expose) response.headers.set('access-control-expose-headers', expose);
    };
  },
};
