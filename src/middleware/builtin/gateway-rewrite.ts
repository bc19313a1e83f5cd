// gateway-rewrite: the Gateway API's URLRewrite filter: the Host sent upstream and the path (full
// replacement, or the matched prefix replaced), the query string kept.
import { parseGatewayRewriteConfig } from '../config/gateway.ts';
import type { MiddlewareFactory } from '../types.ts';
import { modifyPath, splitTarget } from './gateway-path.ts';

export const gatewayRewriteFactory: MiddlewareFactory = {
  type: 'gateway-rewrite',
  create(config) {
    const { hostname, path } = parseGatewayRewriteConfig(config);
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
