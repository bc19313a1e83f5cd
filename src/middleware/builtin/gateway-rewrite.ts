// gateway-rewrite: the Gateway API's URLRewrite filter: the Host sent upstream and the path (full
// replacement, or the matched prefix replaced), the query string kept.
import type { MiddlewareFactory } from '../types.ts';
import { MiddlewareConfigError } from '../types.ts';
import { modifyPath, readPathModifier, splitTarget } from './gateway-path.ts';

export const gatewayRewriteFactory: MiddlewareFactory = {
  type: 'gateway-rewrite',
  create(config) {
    const hostname = typeof config.hostname === 'string' ? config.hostname : null;
    const path = config.path === undefined ? null : readPathModifier(config.path);
    if (config.path !== undefined && path === null) throw new MiddlewareConfigError('path', 'must be a ReplaceFullPath or ReplacePrefixMatch modifier');
    return (ctx, next) => {
      if (hostname !== null) ctx.request.headers.set('host', hostname);
      if (path !== null) {
        const { pathname, query } = splitTarget(ctx.request.path);
        ctx.request.path = modifyPath(pathname, path) + query;
      }
      return next();
    };
  },
};
