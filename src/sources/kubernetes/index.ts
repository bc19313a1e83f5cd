// The Kubernetes source's door: list/watch the API server into the object store.
export { startKubernetesSource, KUBERNETES_ORIGIN } from './source.ts';
export type { KubernetesSource, KubernetesSourceOptions, ObjectSink } from './source.ts';
export type { SourceLog, LogLevel, WatchTiming } from './list-watch.ts';
export { DEFAULT_TIMING } from './list-watch.ts';
