// What a worker keeps for the middleware layer across snapshots: the registry, the shared services
// (Redis clients, JWKS caches, rate-limit buckets, HTTP agents) that chains of successive snapshots
// reuse, and which configuration errors were already logged. Each snapshot builds its chains through
// snapshot(); routes of one Ingress share one MiddlewareSpec[] (also after structured cloning, which
// keeps shared references), so they share one chain. When a snapshot is built, services that neither it
// nor the one before used are closed (the previous one may still be serving requests in flight). A
// snapshot patched from the previous one keeps the chains of the hosts it did not touch: keep() marks
// the services such a chain uses (recorded when it was built) as used by the new snapshot too.
import type { MiddlewareSpec } from '../routing/spec.ts';
import type { Chain } from './compose.ts';
import { defaultRegistry, formatChainError, type ChainBuildError, type MiddlewareRegistry } from './registry.ts';
import type { MiddlewareEnvironment } from './types.ts';
import type { RateBudget } from './rate-budget/index.ts';

export type LogFunction = MiddlewareEnvironment['log'];

export interface MiddlewareRuntimeOptions {
  log: LogFunction;
  registry?: MiddlewareRegistry;
  /** The instance's rate-limit budget (see rate-budget/): the primary's, leased, in a worker. */
  rateBudget?: RateBudget;
}

interface SharedEntry {
  value: unknown;
  lastUsed: number;
}

/** The chains of one snapshot. */
export interface SnapshotChains {
  /** The composed chain for a route's specs, or null when it has none (call the upstream directly). */
  chainFor(specs: readonly MiddlewareSpec[]): Chain | null;
  /** Errors met while building this snapshot's chains (their routes answer 500). */
  readonly errors: readonly ChainBuildError[];
  /** A chain built for an earlier snapshot that this one still serves: its services stay open. */
  keep(chain: Chain): void;
  /** Call once every route's chain is built: closes the services no recent snapshot uses. */
  finish(): Promise<void>;
}

const MAX_REMEMBERED_ERRORS = 1000;

async function dispose(value: unknown): Promise<void> {
  const close = (value as { close?: unknown } | null)?.close;
  if (typeof close === 'function') await close.call(value);
}

export class MiddlewareRuntime {
  readonly registry: MiddlewareRegistry;
  private readonly log: LogFunction;
  private readonly services = new Map<string, SharedEntry>();
  private readonly loggedErrors = new Set<string>();
  /** The keys of the services each chain asked for while it was built. */
  private readonly servicesOf = new WeakMap<Chain, readonly string[]>();
  /** Set while a chain is built: the service keys it asks for. */
  private asked: string[] | null = null;
  private generation = 0;
  readonly env: MiddlewareEnvironment;

  constructor(options: MiddlewareRuntimeOptions) {
    this.registry = options.registry ?? defaultRegistry;
    this.log = options.log;
    this.env = {
      shared: <T>(key: string, create: () => T): T => this.shared(key, create),
      log: (level, message, fields) => this.log(level, message, fields),
      ...(options.rateBudget === undefined ? {} : { rateBudget: options.rateBudget }),
    };
  }

  private shared<T>(key: string, create: () => T): T {
    let entry = this.services.get(key);
    if (entry === undefined) {
      entry = { value: create(), lastUsed: this.generation };
      this.services.set(key, entry);
    }
    entry.lastUsed = this.generation;
    this.asked?.push(key);
    return entry.value as T;
  }

  /** Whether any chain holds a shared service (else a patched snapshot need not keep() its chains). */
  get holdsServices(): boolean {
    return this.services.size > 0;
  }

  snapshot(): SnapshotChains {
    const generation = ++this.generation;
    const built = new WeakMap<readonly MiddlewareSpec[], Chain | null>();
    const errors: ChainBuildError[] = [];
    return {
      errors,
      chainFor: (specs) => {
        if (specs.length === 0) return null;
        const cached = built.get(specs);
        if (cached !== undefined) return cached;
        const asked: string[] = (this.asked = []);
        let result: ReturnType<MiddlewareRegistry['buildChain']>;
        try {
          result = this.registry.buildChain(specs, this.env, false);
        } finally {
          this.asked = null;
        }
        if (result.chain !== null && asked.length > 0) this.servicesOf.set(result.chain, asked);
        for (const e of result.errors) {
          errors.push(e);
          this.logOnce(e);
        }
        built.set(specs, result.chain);
        return result.chain;
      },
      keep: (chain) => {
        for (const key of this.servicesOf.get(chain) ?? []) {
          const entry = this.services.get(key);
          if (entry !== undefined) entry.lastUsed = generation;
        }
      },
      finish: async () => {
        const stale = [...this.services].filter(([, entry]) => entry.lastUsed < generation - 1);
        for (const [key] of stale) this.services.delete(key);
        await Promise.all(stale.map(([key, entry]) => dispose(entry.value).catch((err: Error) => this.log('warn', 'could not close a middleware service', { service: key.split(':')[0], error: err.message }))));
      },
    };
  }

  /** A configuration error is logged when first met, not again for every snapshot that still has it. */
  private logOnce(e: ChainBuildError): void {
    const line = formatChainError(e);
    if (this.loggedErrors.has(line)) return;
    if (this.loggedErrors.size >= MAX_REMEMBERED_ERRORS) this.loggedErrors.clear();
    this.loggedErrors.add(line);
    this.log('error', `${line}; the route answers 500 until this is fixed`, { source: e.source, type: e.type });
  }

  /** Closes every shared service (Redis connections, agents); call on shutdown. */
  async close(): Promise<void> {
    const entries = [...this.services.values()];
    this.services.clear();
    await Promise.all(entries.map((entry) => dispose(entry.value).catch(() => undefined)));
  }
}
