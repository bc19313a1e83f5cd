// The incremental translator's door: the same result as translate(), kept up to date change by change.
export { IncrementalTranslator, type ObjectChange, type TableDelta } from './engine.ts';
export { ingressFragment, type Fragment } from './fragment.ts';
export { RecordingLookups, EVERY_INGRESS_CLASS } from './recording-lookups.ts';
