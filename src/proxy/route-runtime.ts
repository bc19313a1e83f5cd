// What a compiled route carries at run time in a worker, beside its RouteSpec: the backend with its
// connection pools resolved. Built once per snapshot (see runtime/), read by every request.
import type { RouteOptions } from '../routing/spec.ts';
import type { BackendRuntime } from '../upstream/registry.ts';
import type { Chain } from '../middleware/compose.ts';
import type { CompiledRoute } from '../routing/index.ts';

export interface RouteRuntime {
  readonly backend: BackendRuntime | null;
  readonly options: RouteOptions;
  /** The route's composed middleware chain; null (the common case) costs nothing per request. */
  readonly chain: Chain | null;
  /** Every backend of the snapshot, for middlewares that switch backend (canary). */
  readonly backends: ReadonlyMap<string, BackendRuntime>;
}

/** The backend a middleware chain settled on (ctx.upstream.backend): the route's own, or another one. */
export function chosenBackend(route: CompiledRoute<RouteRuntime>, key: string | null): BackendRuntime | null {
  if (key === null) return null;
  return key === route.spec.backend ? route.ext.backend : route.ext.backends.get(key) ?? null;
}
