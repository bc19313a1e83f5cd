// request-mirror: the Gateway API's RequestMirror filter. A copy of the request (method, path, headers,
// and its body up to mirror-copy.ts's limit: larger bodies are not mirrored, see docs/gateway-api.md)
// goes to one endpoint of each target, for the target's share of requests. The copy is sent without
// waiting: its answer is read and thrown away, and its failure is ignored, so it never delays or fails
// the real request.
import { parseMirrorConfig } from '../config/mirror.ts';
import type { MiddlewareFactory } from '../types.ts';
import { MirrorSender, mirrorHeaders, type MirrorCopy } from './mirror-copy.ts';

const TIMEOUT_MS = 10_000;

export const requestMirrorFactory: MiddlewareFactory = {
  type: 'request-mirror',
  create(config, env) {
    const targets = parseMirrorConfig(config);
    const cursors = targets.map(() => 0);
    const random = Math.random;
    const sender = new MirrorSender(env, 'request-mirror');
    return (ctx, next) => {
      sender.mirror(ctx, true, () => {
        const copies: MirrorCopy[] = [];
        // Every target gets the same headers: built once, for the first target chosen.
        let headers: string[] | null = null;
        for (let i = 0; i < targets.length; i++) {
          const target = targets[i]!;
          if (target.endpoints.length === 0 || (target.fraction < 1 && random() >= target.fraction)) continue;
          const endpoint = target.endpoints[cursors[i]! % target.endpoints.length]!;
          cursors[i] = cursors[i]! + 1;
          // The mirror sees the Host the client asked for, with "-shadow" appended as Envoy does.
          copies.push({ url: `http://${endpoint}${ctx.request.path}`, headers: (headers ??= mirrorHeaders(ctx, `${ctx.request.authority}-shadow`)), timeoutMs: TIMEOUT_MS });
        }
        return copies;
      });
      return next();
    };
  },
};
