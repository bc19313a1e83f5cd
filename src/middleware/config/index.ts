// The middleware room's pure door, for translate(): annotations and Middleware objects -> MiddlewareSpecs,
// validated with the very parsers the built-ins use. Nothing reachable from here does I/O.
export { annotationMiddlewares, MIDDLEWARE_ANNOTATIONS, type AnnotationMiddlewares } from './annotations.ts';
export { middlewareObjectSpec, middlewareSecretNames, SPEC_KEYS, type ObjectSite } from './middleware-object.ts';
export { BUILTIN_CONFIG_PARSERS, isBuiltinType } from './parsers.ts';
export { annotationField, OBJECT_NAME, objectReference, type BackendLookup, type SecretDataLookup, type SecretLookup, type SpecContext, type SpecProblem } from './sources.ts';
export { MiddlewareConfigError } from '../types.ts';
