// affinity: cookie-based session affinity. The cookie holds the endpoint that served the client
// ("ip:port", base64url-encoded, as Envoy's stateful-session cookie does); the proxy prefers that
// endpoint while it is still among the backend's usable endpoints and otherwise balances as usual,
// after which the cookie is set again to the endpoint actually used. A forged cookie can therefore only
// pick one of the route's own endpoints.
import { isIP } from 'node:net';
import { parseAffinityConfig, type AffinityConfig } from '../config/affinity.ts';
import type { MiddlewareFactory } from '../types.ts';
import { cookieValue } from './cookies.ts';

export function encodeEndpoint(endpoint: string): string {
  return Buffer.from(endpoint, 'utf8').toString('base64url');
}

/** The "ip:port" in a cookie value, or null when it is not one. */
export function decodeEndpoint(value: string): string | null {
  if (value.length === 0 || value.length > 80 || !/^[A-Za-z0-9_-]+$/.test(value)) return null;
  const endpoint = Buffer.from(value, 'base64url').toString('utf8');
  const colon = endpoint.lastIndexOf(':');
  if (colon <= 0) return null;
  const host = endpoint.startsWith('[') && endpoint[colon - 1] === ']' ? endpoint.slice(1, colon - 1) : endpoint.slice(0, colon);
  const port = endpoint.slice(colon + 1);
  if (isIP(host) === 0 || !/^\d{1,5}$/.test(port) || Number(port) > 65535) return null;
  return endpoint;
}

function cookieAttributes(config: AffinityConfig, https: boolean): string {
  let attributes = `; Path=${config.path}`;
  if (config.domain !== null) attributes += `; Domain=${config.domain}`;
  if (config.maxAgeSeconds !== null) attributes += `; Max-Age=${config.maxAgeSeconds}`;
  if (config.secure ?? https) attributes += '; Secure';
  if (config.httpOnly) attributes += '; HttpOnly';
  if (config.sameSite !== null) attributes += `; SameSite=${config.sameSite}`;
  return attributes;
}

export const affinityFactory: MiddlewareFactory = {
  type: 'affinity',
  create(config) {
    const parsed = parseAffinityConfig(config);
    const httpAttributes = cookieAttributes(parsed, false);
    const httpsAttributes = cookieAttributes(parsed, true);
    return async (ctx, next) => {
      const value = cookieValue(ctx.request.headers, parsed.cookieName);
      const preferred = value === undefined ? null : decodeEndpoint(value);
      if (preferred !== null) ctx.upstream.preferredEndpoint = preferred;
      await next();
      const used = ctx.upstream.endpoint;
      if (used !== null && used !== preferred && ctx.response !== null) {
        const attributes = ctx.request.scheme === 'https' ? httpsAttributes : httpAttributes;
        ctx.response.headers.append('set-cookie', `${parsed.cookieName}=${encodeEndpoint(used)}${attributes}`);
      }
    };
  },
};
