// deny: what a route answers when its middleware configuration could not be built (fail closed): the
// upstream is never called. translate() emits it for missing objects and invalid configuration, and
// buildChain() falls back to it when a factory rejects its configuration.
import { parseDenyConfig } from '../config/deny.ts';
import type { Middleware, MiddlewareFactory } from '../types.ts';
import { answer } from './answer.ts';

export function denyMiddleware(status: number, reason: string): Middleware {
  return (ctx) => {
    ctx.logFields.denied = reason;
    answer(ctx, status);
  };
}

export const denyFactory: MiddlewareFactory = {
  type: 'deny',
  create(config) {
    const { status, reason } = parseDenyConfig(config);
    return denyMiddleware(status, reason);
  },
};
