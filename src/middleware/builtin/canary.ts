// canary: sends some requests to another backend of the snapshot (ctx.upstream.backend), by header,
// cookie or weight, with ingress-nginx's precedence: header, then cookie, then weight.
import { parseCanaryConfig, type CanaryConfig } from '../config/canary.ts';
import type { Context, MiddlewareFactory } from '../types.ts';
import { cookieValue } from './cookies.ts';

/** true: canary, false: main backend, null: this rule does not decide. */
function byHeader(ctx: Context, config: CanaryConfig): boolean | null {
  if (config.header === null) return null;
  const value = ctx.request.headers.get(config.header);
  if (value === undefined) return null;
  if (config.headerValue !== null) return value === config.headerValue ? true : null;
  if (config.headerPattern !== null) return config.headerPattern.test(value) ? true : null;
  return value === 'always' ? true : value === 'never' ? false : null;
}

function byCookie(ctx: Context, config: CanaryConfig): boolean | null {
  if (config.cookie === null) return null;
  const value = cookieValue(ctx.request.headers, config.cookie);
  return value === 'always' ? true : value === 'never' ? false : null;
}

export const canaryFactory: MiddlewareFactory = {
  type: 'canary',
  create(config) {
    const parsed = parseCanaryConfig(config);
    const random = Math.random;
    return (ctx, next) => {
      const decided = byHeader(ctx, parsed) ?? byCookie(ctx, parsed) ?? random() * parsed.weightTotal < parsed.weight;
      if (decided) {
        ctx.upstream.backend = parsed.backend;
        ctx.logFields.canary = 1;
      }
      return next();
    };
  },
};
