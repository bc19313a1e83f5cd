// rewrite: changes the request path before it goes upstream. See config/rewrite.ts for the operations
// and their order; `target` follows ingress-nginx's rewrite-target, using the route's own path regex.
import { compilePathRegex } from '../../routing/path-regex.ts';
import type { RouteSpec } from '../../routing/spec.ts';
import { parseRewriteConfig, type PathReplacement } from '../config/rewrite.ts';
import type { Context, MiddlewareFactory } from '../types.ts';

const ESCAPE = /[.*+?^${}()|[\]\\]/g;

/** The regex ingress-nginx would write for the route: its own for Regex paths, the literal otherwise. */
function routeRegex(route: RouteSpec): RegExp {
  if (route.kind === 'Regex') return compilePathRegex(route.path);
  const literal = route.path.replace(ESCAPE, '\\$&');
  return new RegExp(route.kind === 'Exact' ? `^${literal}$` : `^${literal}`, 'i');
}

function stripPrefix(path: string, prefixes: readonly string[]): { path: string; stripped: string } | null {
  for (const prefix of prefixes) {
    const bare = prefix.endsWith('/') && prefix.length > 1 ? prefix.slice(0, -1) : prefix;
    if (path === bare || path.startsWith(bare === '/' ? '/' : `${bare}/`)) {
      const rest = path.slice(bare.length);
      return { path: rest.startsWith('/') ? rest : `/${rest}`, stripped: bare };
    }
  }
  return null;
}

function expandTarget(target: string, match: RegExpExecArray): string {
  return target.replace(/\$(\d)/g, (_, n: string) => match[Number(n)] ?? '');
}

export const rewriteFactory: MiddlewareFactory = {
  type: 'rewrite',
  create(config) {
    const { stripPrefixes, replace, addPrefix } = parseRewriteConfig(config);
    // Chains are shared by the routes of an Ingress; each route's regex is compiled on first use.
    const routeRegexes = new WeakMap<RouteSpec, RegExp>();

    /** Applies the replacement; returns the new path (query included) or null when it does not apply. */
    function replacePath(ctx: Context, pathname: string, query: string, replacement: PathReplacement): string | null {
      switch (replacement.kind) {
        case 'path':
          return replacement.path + query;
        case 'regex': {
          const next = pathname.replace(replacement.regex, replacement.replacement);
          return next === pathname ? null : next + query;
        }
        case 'target': {
          let regex = routeRegexes.get(ctx.route);
          if (regex === undefined) {
            regex = routeRegex(ctx.route);
            routeRegexes.set(ctx.route, regex);
          }
          const match = regex.exec(pathname);
          if (match === null) return null;
          const expanded = expandTarget(replacement.target, match);
          const q = expanded.indexOf('?');
          if (q < 0) return expanded + query;
          // nginx: arguments in the target come first, the client's are appended after them.
          return query ? `${expanded}&${query.slice(1)}` : expanded;
        }
      }
    }

    return (ctx, next) => {
      const full = ctx.request.path;
      const q = full.indexOf('?');
      let pathname = q < 0 ? full : full.slice(0, q);
      const query = q < 0 ? '' : full.slice(q);
      const headers = ctx.request.headers;
      if (stripPrefixes.length > 0) {
        const result = stripPrefix(pathname, stripPrefixes);
        if (result !== null) {
          pathname = result.path;
          headers.set('x-forwarded-prefix', result.stripped);
        }
      }
      let path = pathname + query;
      if (replace !== null) {
        const replaced = replacePath(ctx, pathname, query, replace);
        if (replaced !== null) {
          if (replace.kind === 'path' || replace.kind === 'regex') headers.set('x-replaced-path', pathname);
          path = replaced.startsWith('/') ? replaced : `/${replaced}`;
        }
      }
      if (addPrefix !== null) path = (addPrefix.endsWith('/') ? addPrefix.slice(0, -1) : addPrefix) + (path.startsWith('/') ? path : `/${path}`);
      if (path !== full) ctx.request.path = path;
      return next();
    };
  },
};
