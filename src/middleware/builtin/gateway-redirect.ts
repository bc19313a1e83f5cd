// gateway-redirect: the Gateway API's RequestRedirect filter. Unlike redirect (which answers only when
// the target differs from the request), it always answers, with the scheme, hostname, port and path the
// filter sets and the request's own otherwise. A port left out follows the spec: the scheme's well-known
// port when the filter sets a scheme, else the listener's port as written in the Gateway (80 for
// --http-port, 443 for --https-port, whatever port Tideway binds them on), and a well-known port is left
// out of the Location.
import { parseGatewayRedirectConfig } from '../config/gateway.ts';
import type { MiddlewareFactory } from '../types.ts';
import { answer } from './answer.ts';
import { modifyPath, splitTarget } from './gateway-path.ts';
import { splitAuthority } from './redirect.ts';

const WELL_KNOWN: Record<string, number> = { http: 80, https: 443 };

export const gatewayRedirectFactory: MiddlewareFactory = {
  type: 'gateway-redirect',
  create(config) {
    const { scheme, hostname, port, statusCode, path } = parseGatewayRedirectConfig(config);
    return (ctx) => {
      const request = ctx.request;
      const targetScheme = scheme ?? request.scheme;
      const targetPort = port ?? (scheme !== null ? WELL_KNOWN[scheme]! : (request.listenerPort ?? WELL_KNOWN[request.scheme] ?? 80));
      const host = hostname ?? splitAuthority(request.authority).host;
      const authority = targetPort === WELL_KNOWN[targetScheme] ? host : `${host}:${targetPort}`;
      const { pathname, query } = splitTarget(request.path);
      answer(ctx, statusCode, { location: `${targetScheme}://${authority}${path === null ? pathname : modifyPath(pathname, path)}${query}` });
    };
  },
};
