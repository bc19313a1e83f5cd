// gateway-backends: the weighted backendRefs of an HTTPRoute or GRPCRoute rule. Each request goes to one
// backend, chosen in proportion to the weights; a share whose backendRef could not be resolved (null) is
// answered 500, as the Gateway API asks, so the valid backends keep their own share. A backendRef's own
// filters run only for the requests sent to it: they are a chain of their own inside this middleware.
import { parseGatewayBackendsConfig } from '../config/gateway.ts';
import { MiddlewareConfigError, type Middleware, type MiddlewareFactory, type Next } from '../types.ts';
import { answer } from './answer.ts';

export const gatewayBackendsFactory: MiddlewareFactory = {
  type: 'gateway-backends',
  create(config, _env, nested) {
    const choices = parseGatewayBackendsConfig(config);
    const chains = choices.map((choice, i) => {
      if (choice.filters.length === 0) return null;
      if (nested === undefined) throw new MiddlewareConfigError(`choices[${i}].filters`, 'filters need the registry\'s nested chains');
      return nested.build(choice.filters, `choices[${i}].filters`);
    });
    // Cumulative weights: choice i serves random points below upTo[i].
    const upTo: number[] = [];
    let total = 0;
    for (const choice of choices) upTo.push((total += choice.weight));
    const random = Math.random;
    const toNext = (next: Next) => () => next();
    const middleware: Middleware = (ctx, next) => {
      let i = 0;
      if (choices.length > 1) {
        const point = random() * total;
        while (i < choices.length - 1 && point >= upTo[i]!) i++;
      }
      const backend = choices[i]!.backend;
      if (backend === null) {
        answer(ctx, 500);
        return;
      }
      ctx.upstream.backend = backend;
      const chain = chains[i];
      return chain == null ? next() : chain(ctx, toNext(next));
    };
    return middleware;
  },
};
