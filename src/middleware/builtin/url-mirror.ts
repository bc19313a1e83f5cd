// url-mirror: sends a copy of each request (method, headers and, unless `body` is false, its body up
// to mirror-copy.ts's limit) to another URL and goes on without waiting; the copy's answer is read and
// dropped, its failures logged at most every 10 s. The client's request is never slowed or changed.
import { lazyModule } from '../../lib/lazy-module.ts';
import { expandNginxVariables, hasNginxVariables } from '../config/nginx-variables.ts';
import { parseUrlMirrorConfig } from '../config/url-mirror.ts';
import type { MiddlewareFactory } from '../types.ts';
import { MirrorSender, mirrorHeaders } from './mirror-copy.ts';

const undici = lazyModule<typeof import('undici')>('undici');

export const urlMirrorFactory: MiddlewareFactory = {
  type: 'url-mirror',
  create(config, env) {
    const c = parseUrlMirrorConfig(config);
    const agent = env.shared('url-mirror:agent', () => new (undici().Agent)({ keepAliveTimeout: 10_000 }));
    const sender = new MirrorSender(env, 'url-mirror', agent);
    // A URL without variables is the same for every request: expanded per request only when it has some.
    const templated = hasNginxVariables(c.url);
    return (ctx, next) => {
      sender.mirror(ctx, c.body, () => {
        const req = ctx.request;
        return [{ url: templated ? expandNginxVariables(c.url, req) : c.url, headers: mirrorHeaders(ctx, c.host ?? req.authority, ['x-original-uri', req.path]), timeoutMs: c.timeoutMs }];
      });
      return next();
    };
  },
};
