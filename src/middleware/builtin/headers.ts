// headers: set, add and remove request headers before the upstream and response headers before the
// client. Only the phases that have edits get code, so a request-only configuration adds no await.
import { parseHeadersConfig, type HeaderEdits } from '../config/headers.ts';
import type { HeaderMap, MiddlewareFactory } from '../types.ts';

function apply(headers: HeaderMap, edits: HeaderEdits): void {
  for (const name of edits.remove) headers.delete(name);
  for (const [name, value] of edits.set) headers.set(name, value);
  for (const [name, value] of edits.add) headers.append(name, value);
}

export const headersFactory: MiddlewareFactory = {
  type: 'headers',
  create(config) {
    const { request, response } = parseHeadersConfig(config);
    if (response === null) {
      return (ctx, next) => {
        apply(ctx.request.headers, request!);
        return next();
      };
    }
    return async (ctx, next) => {
      if (request !== null) apply(ctx.request.headers, request);
      await next();
      if (ctx.response !== null) apply(ctx.response.headers, response);
    };
  },
};
