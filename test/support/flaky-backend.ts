// A backend request handler that fails the first tries of each request, for retry tests. The query says
// how: ?id=unique&fail=500|reset&succeedAfter=N&delay=ms: the first N tries of request `id` fail, with
// that status (late when delay is set) or by cutting the connection; later tries answer 200.
// Works for node:http and node:http2's compatibility API alike.

/** What the handler uses of node:http's and node:http2's response objects. */
interface Answer {
  writeHead(status: number, headers?: Record<string, string>): unknown;
  end(body: string): unknown;
  readonly destroyed: boolean;
}

export interface FlakyState {
  /** Tries seen per request id, with the time each arrived. */
  tries: Map<string, number[]>;
  /** Late answers not sent yet (cleared when the test ends). */
  timers: Set<NodeJS.Timeout>;
}

export function flakyHandler<Req extends { url?: string | undefined }>(state: FlakyState, cutConnection: (req: Req) => void) {
  return (req: Req, res: Answer): void => {
    const url = new URL(req.url!, 'http://x');
    const id = url.searchParams.get('id')!;
    const seen = state.tries.get(id) ?? [];
    seen.push(performance.now());
    state.tries.set(id, seen);
    if (seen.length > Number(url.searchParams.get('succeedAfter') ?? 0)) {
      res.writeHead(200, { 'x-tries': String(seen.length) });
      res.end('ok');
      return;
    }
    const fail = url.searchParams.get('fail') ?? '500';
    if (fail === 'reset') return cutConnection(req);
    const answer = () => {
      res.writeHead(Number(fail));
      res.end('failed');
    };
    const delay = Number(url.searchParams.get('delay') ?? 0);
    if (delay === 0) return answer();
    const timer = setTimeout(() => {
      state.timers.delete(timer);
      if (!res.destroyed) answer();
    }, delay);
    state.timers.add(timer);
  };
}
