// gateway-backends: the weighted backendRefs of an HTTPRoute or GRPCRoute rule. Each request goes to one
// backend, chosen in proportion to the weights; a share whose backendRef could not be resolved (null) is
// answered 500, as the Gateway API asks, so the valid backends keep their own share.
import type { MiddlewareFactory } from '../types.ts';
import { MiddlewareConfigError } from '../types.ts';
import { answer } from './answer.ts';

interface Choice {
  backend: string | null;
  /** Cumulative weight: the choice serves random values below it. */
  upTo: number;
}

export const gatewayBackendsFactory: MiddlewareFactory = {
  type: 'gateway-backends',
  create(config) {
    const raw = Array.isArray(config.choices) ? (config.choices as unknown[]) : [];
    const choices: Choice[] = [];
    let total = 0;
    for (const entry of raw) {
      const { backend, weight } = (entry ?? {}) as Record<string, unknown>;
      if ((backend !== null && typeof backend !== 'string') || typeof weight !== 'number' || weight <= 0) {
        throw new MiddlewareConfigError('choices', 'each choice needs a backend (or null) and a positive weight');
      }
      total += weight;
      choices.push({ backend, upTo: total });
    }
    if (choices.length === 0) throw new MiddlewareConfigError('choices', 'at least one choice is required');
    const random = Math.random;
    return (ctx, next) => {
      let choice = choices[0]!;
      if (choices.length > 1) {
        const point = random() * total;
        for (let i = 0; i < choices.length; i++) {
          if (point < choices[i]!.upTo) {
            choice = choices[i]!;
            break;
          }
        }
      }
      if (choice.backend === null) {
        answer(ctx, 500);
        return;
      }
      ctx.upstream.backend = choice.backend;
      return next();
    };
  },
};
