// concurrency-limit: a client address may have at most `max` requests in the upstream at once (from
// the request phase until the upstream's answer head); beyond, the answer is `statusCode`. Counters
// live in this process and outlive configuration reloads (shared by scope and limit).
import { parseConcurrencyLimitConfig } from '../config/concurrency-limit.ts';
import type { MiddlewareFactory } from '../types.ts';
import { answer } from './answer.ts';

export const concurrencyLimitFactory: MiddlewareFactory = {
  type: 'concurrency-limit',
  create(config, env) {
    const { scope, max, statusCode, exempt } = parseConcurrencyLimitConfig(config);
    const inFlight = env.shared(`concurrency-limit:${scope}|${max}`, () => new Map<string, number>());
    return async (ctx, next) => {
      const client = ctx.request.clientAddress;
      if (exempt !== null && exempt.contains(client)) return next();
      const count = inFlight.get(client) ?? 0;
      if (count >= max) {
        ctx.logFields.denied = 'concurrency-limit';
        return answer(ctx, statusCode);
      }
      inFlight.set(client, count + 1);
      try {
        await next();
      } finally {
        const left = inFlight.get(client)! - 1;
        if (left === 0) inFlight.delete(client);
        else inFlight.set(client, left);
      }
    };
  },
};
