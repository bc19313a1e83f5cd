// A package loaded on first use instead of at import time. The data plane's worker processes import
// every built-in middleware, but most gateways configure none of the ones that need jose, bcryptjs,
// ioredis or undici; loading those eagerly cost each worker about 40 MiB of memory it never used.
// Loading is synchronous (require, which also loads ES modules on Node 22.12+), because middleware
// chains are built synchronously when a route table arrives; the first build pays the load once.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Returns a function that loads `specifier` the first time it is called and the same module after. */
export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(specifier) as T);
}
