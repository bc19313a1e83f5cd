// Options for one API call of the status room: a deadline (the library has none), the leadership
// term's signal (a leader that steps down aborts what it has in flight at once), and a content type
// for patches (the library sends application/json-patch+json unless told otherwise).
import type { ConfigurationOptions, ObservableMiddleware } from '@kubernetes/client-node';
import { callTimeout, type ClientNode } from '../kube/client.ts';
import { classifyKubeError, type KubeErrorInfo } from '../kube/errors.ts';

export type CallOptions = ConfigurationOptions<ObservableMiddleware>;

export interface ApiCallOptions {
  timeoutMs: number;
  /** Aborts the call when it fires (end of a leadership term, shutdown). */
  signal?: AbortSignal;
  /** 'merge' for application/merge-patch+json; JSON patches keep the library's default. */
  patch?: 'merge';
}

export function apiCallOptions(k8s: ClientNode, options: ApiCallOptions): CallOptions {
  let result = callTimeout(k8s, options.timeoutMs);
  const { signal } = options;
  if (signal) {
    result = {
      ...result,
      middleware: [...(result.middleware ?? []), {
        // Runs after callTimeout's middleware: keeps its deadline and adds the term's signal.
        pre: (ctx) => {
          const deadline = ctx.getSignal();
          ctx.setSignal(deadline ? AbortSignal.any([deadline, signal]) : signal);
          return new k8s.Observable(Promise.resolve(ctx));
        },
        post: (res) => new k8s.Observable(Promise.resolve(res)),
      }],
    };
  }
  if (options.patch === 'merge') result = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch, result);
  return result;
}

/** The outcome of a call that may fail: the value, or the classified error. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: KubeErrorInfo };

/** Runs one API call; failures become values, so no caller forgets a catch. */
export async function attempt<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    return { ok: false, error: classifyKubeError(err) };
  }
}
