// What a compiled route carries at run time in a worker, beside its RouteSpec: the backend with its
// connection pools resolved. Built once per snapshot (see runtime/), read by every request.
import type { RouteOptions } from '../routing/spec.ts';
import type { BackendRuntime } from '../upstream/registry.ts';

export interface RouteRuntime {
  readonly backend: BackendRuntime | null;
  readonly options: RouteOptions;
}
