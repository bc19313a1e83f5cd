// gateway-redirect: the Gateway API's RequestRedirect filter. Unlike redirect (which answers only when
// the target differs from the request), it always answers, with the scheme, hostname, port and path the
// filter sets and the request's own otherwise. A port left out follows the spec: the scheme's well-known
// port when the filter sets a scheme, else the listener's port as written in the Gateway (80 for plain
// HTTP, 443 for HTTPS: the ports Gateway listeners are declared on), and a well-known port is omitted.
import type { MiddlewareFactory } from '../types.ts';
import { MiddlewareConfigError } from '../types.ts';
import { answer } from './answer.ts';
import { modifyPath, readPathModifier, splitTarget } from './gateway-path.ts';
import { splitAuthority } from './redirect.ts';

const WELL_KNOWN: Record<string, number> = { http: 80, https: 443 };
const CODES = [301, 302, 303, 307, 308];

export const gatewayRedirectFactory: MiddlewareFactory = {
  type: 'gateway-redirect',
  create(config) {
    const scheme = typeof config.scheme === 'string' ? config.scheme : null;
    const hostname = typeof config.hostname === 'string' ? config.hostname : null;
    const port = typeof config.port === 'number' ? config.port : null;
    const statusCode = typeof config.statusCode === 'number' ? config.statusCode : 302;
    if (!CODES.includes(statusCode)) throw new MiddlewareConfigError('statusCode', `must be one of ${CODES.join(', ')}`);
    const path = config.path === undefined ? null : readPathModifier(config.path);
    if (config.path !== undefined && path === null) throw new MiddlewareConfigError('path', 'must be a ReplaceFullPath or ReplacePrefixMatch modifier');
    return (ctx) => {
      const request = ctx.request;
      const targetScheme = scheme ?? request.scheme;
      const targetPort = port ?? (scheme !== null ? WELL_KNOWN[scheme]! : WELL_KNOWN[request.scheme] ?? 80);
      const host = hostname ?? splitAuthority(request.authority).host;
      const authority = targetPort === WELL_KNOWN[targetScheme] ? host : `${host}:${targetPort}`;
      const { pathname, query } = splitTarget(request.path);
      const location = `${targetScheme}://${authority}${path === null ? pathname : modifyPath(pathname, path)}${query}`;
      answer(ctx, statusCode, { location });
    };
  },
};
