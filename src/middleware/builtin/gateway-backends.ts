// gateway-backends: the weighted backendRefs of an HTTPRoute or GRPCRoute rule. Each request goes to one
// backend, chosen in proportion to the weights; a share whose backendRef could not be resolved (null) is
// answered 500, as the Gateway API asks, so the valid backends keep their own share.
import { parseGatewayBackendsConfig } from '../config/gateway.ts';
import type { MiddlewareFactory } from '../types.ts';
import { answer } from './answer.ts';

export const gatewayBackendsFactory: MiddlewareFactory = {
  type: 'gateway-backends',
  create(config) {
    const choices = parseGatewayBackendsConfig(config);
    // Cumulative weights: choice i serves random points below upTo[i].
    const upTo: number[] = [];
    let total = 0;
    for (const choice of choices) upTo.push((total += choice.weight));
    const random = Math.random;
    return (ctx, next) => {
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
      return next();
    };
  },
};
