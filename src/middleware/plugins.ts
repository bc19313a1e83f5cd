// --plugin <module>: users' middleware types. A plugin is a JavaScript or TypeScript module (Node strips
// the types) whose default export is a function receiving the plugin API:
//
//   export default function plugin(api) {
//     api.register({ type: 'add-header', create(config, env) { ...; return async (ctx, next) => { ... } } });
//   }
//
// The function may be async. Types it registers are used by Middleware objects as
// `spec: { plugin: { name: 'add-header', config: {...} } }`. See docs/middleware.md.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultRegistry, type MiddlewareRegistry } from './registry.ts';
import { MiddlewareConfigError, type MiddlewareFactory } from './types.ts';

/** What a plugin's default export receives. */
export interface PluginApi {
  /** Version of this API; grows only with additions. */
  readonly version: 1;
  register(factory: MiddlewareFactory): void;
  /** The error to throw from create() for a bad configuration field, so that the route fails closed with a clear message. */
  readonly MiddlewareConfigError: typeof MiddlewareConfigError;
}

export type PluginEntry = (api: PluginApi) => void | Promise<void>;

export class PluginLoadError extends Error {
  readonly plugin: string;
  constructor(plugin: string, message: string, options?: { cause?: unknown }) {
    super(`plugin ${plugin}: ${message}`, options);
    this.name = 'PluginLoadError';
    this.plugin = plugin;
  }
}

/**
 * Registers what an imported plugin module provides; `name` is for messages. Returns the types it
 * registered. Throws PluginLoadError.
 */
export async function registerPlugin(module: unknown, name = 'plugin', registry: MiddlewareRegistry = defaultRegistry): Promise<string[]> {
  const entry = (module as { default?: unknown } | null)?.default;
  if (typeof entry !== 'function') throw new PluginLoadError(name, 'the module has no default export function (api) => void');
  const registered: string[] = [];
  const api: PluginApi = {
    version: 1,
    MiddlewareConfigError,
    register(factory) {
      registry.register(factory);
      registered.push(factory.type);
    },
  };
  try {
    await (entry as PluginEntry)(api);
  } catch (err) {
    throw new PluginLoadError(name, (err as Error)?.message ?? String(err), { cause: err });
  }
  if (registered.length === 0) throw new PluginLoadError(name, 'registered no middleware type');
  return registered;
}

/** Imports each module (paths relative to the working directory) and registers its types, in order. */
export async function loadPlugins(paths: readonly string[], registry: MiddlewareRegistry = defaultRegistry): Promise<string[]> {
  const types: string[] = [];
  for (const file of paths) {
    const url = pathToFileURL(path.resolve(file)).href;
    let module: unknown;
    try {
      module = await import(url);
    } catch (err) {
      throw new PluginLoadError(file, `could not be imported: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    types.push(...(await registerPlugin(module, file, registry)));
  }
  return types;
}
