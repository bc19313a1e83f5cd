// redirect: answers with a Location instead of calling the upstream (ingress-nginx permanent-redirect,
// temporal-redirect and app-root; Traefik redirectScheme and redirectRegex).
import { parseRedirectConfig, type RedirectTarget } from '../config/redirect.ts';
import type { Context, MiddlewareFactory } from '../types.ts';
import { answer } from './answer.ts';

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/** Splits an authority into host and port ("" when absent); IPv6 hosts keep their brackets. */
export function splitAuthority(authority: string): { host: string; port: string } {
  const close = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon > close) return { host: authority.slice(0, colon), port: authority.slice(colon + 1) };
  return { host: authority, port: '' };
}

function requestUrl(ctx: Context): string {
  return `${ctx.request.scheme}://${ctx.request.authority}${ctx.request.path}`;
}

/** The Location for this request, or null when the request is already where the target points. */
function location(ctx: Context, target: RedirectTarget): string | null {
  switch (target.kind) {
    case 'url':
      return target.url;
    case 'regex': {
      const current = requestUrl(ctx);
      if (!target.regex.test(current)) return null;
      const next = current.replace(target.regex, target.replacement);
      return next === current ? null : next;
    }
    case 'parts': {
      const { request } = ctx;
      const current = splitAuthority(request.authority);
      const scheme = target.scheme ?? request.scheme;
      const host = target.host ?? current.host;
      // A scheme change drops the old port unless a port is given (Traefik's redirectScheme does the same).
      let port = target.port ?? (scheme === request.scheme ? current.port : '');
      if (port === DEFAULT_PORTS[scheme]) port = '';
      const query = request.path.indexOf('?');
      const path = target.path === null ? request.path : query < 0 ? target.path : target.path + request.path.slice(query);
      const next = `${scheme}://${host}${port ? `:${port}` : ''}${path}`;
      return next === requestUrl(ctx) ? null : next;
    }
  }
}

export const redirectFactory: MiddlewareFactory = {
  type: 'redirect',
  create(config) {
    const { statusCode, target } = parseRedirectConfig(config);
    return (ctx, next) => {
      const to = location(ctx, target);
      if (to === null) return next();
      answer(ctx, statusCode, { location: to });
    };
  },
};
