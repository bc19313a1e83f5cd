// upstream-hash: computes the request's hash key (ingress-nginx's upstream-hash-by); the proxy then
// prefers the endpoint that key hashes to (upstream/hash-pick.ts), so that requests with the same key
// go to the same endpoint while it is usable.
import { nginxVariable } from '../config/nginx-variables.ts';
import { parseUpstreamHashConfig, type KeyPart } from '../config/upstream-hash.ts';
import type { Context, MiddlewareFactory } from '../types.ts';
import { cookieValue } from './cookies.ts';

/** The value of query parameter `name` (undecoded, as nginx's $arg_), or "". */
function argument(path: string, name: string): string {
  const query = path.indexOf('?');
  if (query < 0) return '';
  for (const pair of path.slice(query + 1).split('&')) {
    const eq = pair.indexOf('=');
    if ((eq < 0 ? pair : pair.slice(0, eq)) === name) return eq < 0 ? '' : pair.slice(eq + 1);
  }
  return '';
}

function partValue(part: KeyPart, ctx: Context): string {
  if ('text' in part) return part.text;
  const req = ctx.request;
  switch (part.variable) {
    case 'remote_addr': return req.clientAddress;
    case 'http': return req.headers.get(part.name) ?? '';
    case 'cookie': return cookieValue(req.headers, part.name) ?? '';
    case 'arg': return argument(req.path, part.name);
    default: return nginxVariable(part.variable, req);
  }
}

export const upstreamHashFactory: MiddlewareFactory = {
  type: 'upstream-hash',
  create(config) {
    const { parts } = parseUpstreamHashConfig(config);
    return (ctx, next) => {
      let key = '';
      for (const part of parts) key += partValue(part, ctx);
      ctx.upstream.hashKey = key;
      return next();
    };
  },
};
