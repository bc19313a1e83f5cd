// Helpers for middleware tests: an environment whose shared services live in a plain map and whose logs
// are collected for assertions, and one-middleware chains built through the default registry.
import type { Chain } from '../../src/middleware/compose.ts';
import { buildChain, formatChainError } from '../../src/middleware/registry.ts';
import type { MiddlewareEnvironment } from '../../src/middleware/types.ts';

export interface RecordingEnv extends MiddlewareEnvironment {
  readonly logs: { level: string; message: string; fields?: Record<string, unknown> }[];
  readonly services: Map<string, unknown>;
  /** Closes shared services that have a close() (Redis clients, agents). */
  close(): Promise<void>;
}

export function recordingEnv(): RecordingEnv {
  const services = new Map<string, unknown>();
  const logs: RecordingEnv['logs'] = [];
  return {
    logs,
    services,
    shared<T>(key: string, create: () => T): T {
      if (!services.has(key)) services.set(key, create());
      return services.get(key) as T;
    },
    log(level, message, fields) {
      logs.push(fields === undefined ? { level, message } : { level, message, fields });
    },
    async close() {
      for (const value of services.values()) await (value as { close?: () => unknown }).close?.();
      services.clear();
    },
  };
}

export const silentEnv = recordingEnv;

/** The chain of one built-in middleware; fails the test when the configuration is rejected. */
export function chainOf(type: string, config: Record<string, unknown>, env: MiddlewareEnvironment = recordingEnv()): Chain {
  const { chain, errors } = buildChain([{ type, source: 'test/mw', config }], env);
  if (errors.length > 0) throw new Error(`configuration rejected: ${errors.map(formatChainError).join('; ')}`);
  return chain!;
}

/** The error a configuration is rejected with ("field: message"), or null when it is accepted. */
export function configError(type: string, config: Record<string, unknown>): string | null {
  const env = recordingEnv();
  const { errors } = buildChain([{ type, source: 'test/mw', config }], env);
  void env.close();
  return errors.length === 0 ? null : `${errors[0]!.field}: ${errors[0]!.message}`;
}
