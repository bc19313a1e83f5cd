// ip-filter: 403 for client addresses outside the allow list or inside the deny list. The address is
// the one the proxy resolved through --trusted-proxies, so X-Forwarded-For cannot be spoofed past it.
import { parseIpFilterConfig } from '../config/ip-filter.ts';
import type { MiddlewareFactory } from '../types.ts';
import { answer } from './answer.ts';

export const ipFilterFactory: MiddlewareFactory = {
  type: 'ip-filter',
  create(config) {
    const { allow, deny } = parseIpFilterConfig(config);
    return (ctx, next) => {
      const address = ctx.request.clientAddress;
      if ((deny !== null && deny.contains(address)) || (allow !== null && !allow.contains(address))) {
        ctx.logFields.denied = 'ip-filter';
        answer(ctx, 403);
        return;
      }
      return next();
    };
  },
};
