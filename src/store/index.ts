// The store room's door: the object cache the sources fill and the runtime subscribes to.
export type { ClusterState } from './cluster-state.ts';
export { ObjectStore } from './object-store.ts';
export type { StateListener, StoreChange } from './object-store.ts';
export type { BatchOptions } from './change-batcher.ts';
export { DEFAULT_DEBOUNCE_MS, DEFAULT_MAX_DELAY_MS } from './change-batcher.ts';
export { normalizeObject } from './normalize.ts';
export type { NormalizeResult, SourceLocation } from './normalize.ts';
