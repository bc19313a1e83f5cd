// Leveled application logs as JSON lines on stderr (stdout carries the access log), with pino. pino is
// loaded by the first logger made: worker processes log through createLineLogger (line-logger.ts) and
// never load it unless the access log is on.
import type { Logger } from 'pino';
import { lazyModule } from '../lib/lazy-module.ts';

export type { Logger };

const pinoModule = lazyModule<typeof import('pino')>('pino');

export function createLogger(level: string): Logger {
  const { pino } = pinoModule();
  return pino({ level, base: { component: 'tideway' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pinoModule().pino({ level: 'silent' });
}
