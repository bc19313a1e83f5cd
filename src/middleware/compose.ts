// The onion, composed once per route (at snapshot time) and called once per request. Semantics are
// koa-compose's: middleware i receives a next() that runs middleware i+1, the last next() runs the
// terminal (the upstream call); calling next() twice rejects; a throw or rejection anywhere propagates
// to the caller. Per request it allocates what Koa does: one dispatch closure and one bound next() per
// middleware that is reached.
import type { Context, Middleware } from './types.ts';

/** What the last next() runs: the proxy's upstream call. A plain `() => Promise<void>` fits too. */
export type Terminal = (ctx: Context) => Promise<void> | void;

/** A route's composed chain. It resolves once the response (upstream's or a middleware's) is final. */
export type Chain = (ctx: Context, terminal: Terminal) => Promise<void>;

export class NextCalledTwiceError extends Error {
  constructor(index: number) {
    super(`next() called multiple times (middleware #${index} of the chain)`);
    this.name = 'NextCalledTwiceError';
  }
}

export function compose(middlewares: readonly Middleware[]): Chain {
  const list = [...middlewares];
  for (const [i, m] of list.entries()) {
    if (typeof m !== 'function') throw new TypeError(`middleware #${i} is not a function`);
  }
  const count = list.length;
  return function chain(ctx: Context, terminal: Terminal): Promise<void> {
    let last = -1;
    function dispatch(i: number): Promise<void> {
      if (i <= last) return Promise.reject(new NextCalledTwiceError(i - 1));
      last = i;
      try {
        if (i < count) return Promise.resolve(list[i]!(ctx, dispatch.bind(null, i + 1)));
        // A middleware that answered with ctx.respond() and still called next() must not reach the
        // upstream: the answer stands (this is what keeps a rejecting middleware fail-closed).
        if (ctx.response !== null) return Promise.resolve();
        return Promise.resolve(terminal(ctx));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return dispatch(0);
  };
}
