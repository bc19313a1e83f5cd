// Middleware factories by type, and buildChain(): a route's MiddlewareSpec[] -> one composed chain.
// A chain is built once per route per snapshot. Building fails closed: when a spec names an unknown type
// or its factory rejects the configuration, the route's chain answers 500 and never calls the upstream,
// so that a broken auth configuration can never mean "no auth".
import type { MiddlewareSpec } from '../routing/spec.ts';
import { BUILTIN_FACTORIES } from './builtin/index.ts';
import { denyMiddleware } from './builtin/deny.ts';
import { compose, type Chain } from './compose.ts';
import { MiddlewareConfigError, type Middleware, type MiddlewareEnvironment, type MiddlewareFactory, type NestedChains } from './types.ts';

export class MiddlewareRegistrationError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(`cannot register middleware type ${JSON.stringify(type)}: ${message}`);
    this.name = 'MiddlewareRegistrationError';
    this.type = type;
  }
}

/** Why one spec of a route could not be built. */
export interface ChainBuildError {
  /** "namespace/name" of the Middleware object, or "annotations". */
  source: string;
  type: string;
  /** Configuration field at fault, "" when it is the type itself. */
  field: string;
  message: string;
}

export interface BuiltChain {
  /** null when the route has no middleware: the proxy then calls the upstream directly. */
  chain: Chain | null;
  /** Non-empty means the chain is the fail-closed one (500). */
  errors: ChainBuildError[];
}

/** Type names: lower-case words joined by dashes ("add-header"), as used in Middleware objects. */
export const TYPE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export function formatChainError(e: ChainBuildError): string {
  return `middleware ${e.type} from ${e.source}${e.field ? `: ${e.field}` : ''}: ${e.message}`;
}

const FAIL_CLOSED_REASON = 'middleware configuration rejected';

export class MiddlewareRegistry {
  private readonly factories = new Map<string, MiddlewareFactory>();
  private readonly builtins = new Set<string>();

  constructor(builtins: readonly MiddlewareFactory[] = BUILTIN_FACTORIES) {
    for (const factory of builtins) {
      this.register(factory);
      this.builtins.add(factory.type);
    }
  }

  /** Adds a factory; a type may be registered once, and built-in types cannot be replaced. */
  register(factory: MiddlewareFactory): void {
    const type: unknown = factory?.type;
    if (typeof type !== 'string' || !TYPE_NAME.test(type)) throw new MiddlewareRegistrationError(String(type), 'type must be lower-case words joined by dashes, e.g. "add-header"');
    if (typeof factory.create !== 'function') throw new MiddlewareRegistrationError(type, 'the factory has no create(config, env) function');
    if (this.builtins.has(type)) throw new MiddlewareRegistrationError(type, 'a built-in middleware has this type');
    if (this.factories.has(type)) throw new MiddlewareRegistrationError(type, 'this type is already registered');
    this.factories.set(type, factory);
  }

  get(type: string): MiddlewareFactory | undefined {
    return this.factories.get(type);
  }

  isBuiltin(type: string): boolean {
    return this.builtins.has(type);
  }

  types(): string[] {
    return [...this.factories.keys()].sort();
  }

  private nested(env: MiddlewareEnvironment): NestedChains {
    return {
      build: (specs, field) => {
        if (specs.length === 0) return null;
        const built = this.buildChain(specs, env, false);
        const first = built.errors[0];
        if (first !== undefined) throw new MiddlewareConfigError(field, `${first.type}${first.field ? ` ${first.field}` : ''}: ${first.message}`);
        return built.chain;
      },
    };
  }

  /**
   * Builds one route's chain. Errors are returned (and logged through env.log unless `logErrors` is
   * false); with any error the chain is the fail-closed one.
   */
  buildChain(specs: readonly MiddlewareSpec[], env: MiddlewareEnvironment, logErrors = true): BuiltChain {
    if (specs.length === 0) return { chain: null, errors: [] };
    const middlewares: Middleware[] = [];
    const errors: ChainBuildError[] = [];
    for (const spec of specs) {
      const factory = this.factories.get(spec.type);
      if (factory === undefined) {
        errors.push({ source: spec.source, type: spec.type, field: '', message: `unknown middleware type (built-in types and loaded plugins: ${this.types().join(', ')})` });
        continue;
      }
      try {
        const middleware = factory.create(spec.config, env, this.nested(env));
        if (typeof middleware !== 'function') throw new Error('create() did not return a function');
        middlewares.push(middleware);
      } catch (err) {
        const field = err instanceof MiddlewareConfigError ? err.field : '';
        const message = err instanceof MiddlewareConfigError ? err.message.slice(err.field.length + 2) : `could not be created: ${(err as Error)?.message ?? String(err)}`;
        errors.push({ source: spec.source, type: spec.type, field, message });
      }
    }
    if (errors.length > 0) {
      if (logErrors) for (const e of errors) env.log('error', `${formatChainError(e)}; the route answers 500 until this is fixed`, { source: e.source, type: e.type });
      return { chain: compose([denyMiddleware(500, FAIL_CLOSED_REASON)]), errors };
    }
    return { chain: compose(middlewares), errors };
  }
}

/** The process's registry: built-ins, plus what --plugin modules register. */
export const defaultRegistry = new MiddlewareRegistry();

export function buildChain(specs: readonly MiddlewareSpec[], env: MiddlewareEnvironment, registry: MiddlewareRegistry = defaultRegistry): BuiltChain {
  return registry.buildChain(specs, env);
}
