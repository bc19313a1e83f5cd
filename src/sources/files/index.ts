// The files source's door: standalone mode reads Kubernetes objects from manifest files.
export { ManifestPathError, startFileSource } from './file-source.ts';
export type { FileSource, FileSourceOptions } from './file-source.ts';
export type { LogLevel, SourceLogger } from './logger.ts';
export { ManifestSyntaxError, parseManifests } from './parse-manifests.ts';
export type { ParsedManifests } from './parse-manifests.ts';
