// proxy-rewrite: rewrites the upstream's Location header and the Path and Domain attributes of its
// Set-Cookie headers before they reach the client, as nginx's proxy_redirect and proxy_cookie_path /
// proxy_cookie_domain do. Only answers that carry those headers are touched.
import { parseProxyRewriteConfig, type Replacement } from '../config/proxy-rewrite.ts';
import type { MiddlewareFactory } from '../types.ts';

const ATTRIBUTE = /;\s*(path|domain)\s*=\s*([^;]*)/gi;

function normalDomain(domain: string): string {
  return (domain.startsWith('.') ? domain.slice(1) : domain).toLowerCase();
}

function rewriteCookie(cookie: string, path: Replacement | null, domain: Replacement | null): string {
  return cookie.replace(ATTRIBUTE, (whole, name: string, value: string) => {
    const v = value.trim();
    if (name.toLowerCase() === 'path') return path !== null && v.startsWith(path.from) ? `; ${name}=${path.to}${v.slice(path.from.length)}` : whole;
    return domain !== null && normalDomain(v) === normalDomain(domain.from) ? `; ${name}=${domain.to}` : whole;
  });
}

export const proxyRewriteFactory: MiddlewareFactory = {
  type: 'proxy-rewrite',
  create(config) {
    const { location, cookiePath, cookieDomain } = parseProxyRewriteConfig(config);
    const cookies = cookiePath !== null || cookieDomain !== null;
    return async (ctx, next) => {
      await next();
      const headers = ctx.response?.headers;
      if (headers === undefined) return;
      const target = location === null ? undefined : headers.get('location');
      if (target !== undefined && target.startsWith(location!.from)) headers.set('location', location!.to + target.slice(location!.from.length));
      if (!cookies || !headers.has('set-cookie')) return;
      const rewritten = headers.getAll('set-cookie').map((c) => rewriteCookie(c, cookiePath, cookieDomain));
      headers.delete('set-cookie');
      for (const c of rewritten) headers.append('set-cookie', c);
    };
  },
};
