// Application logs of a worker process: the same JSON lines on stderr as the pino logger of the
// primary (level number, ISO time, component, fields, msg), without pino. A worker logs
// a handful of lines in its life (listener ports, certificates, middleware configuration errors), and
// loading pino with its thread-stream and worker_threads costs each worker about 3 MiB of resident
// memory (docs/benchmarks.md, "Memory per process"). The access log, when on, still uses pino's
// asynchronous destination (access-log.ts).
/** What the data plane logs through: pino's Logger fits it, and so does createLineLogger's. */
export interface AppLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** pino's level numbers, so that both loggers' lines read alike. */
const LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** A logger that writes lines at `level` and above (a level name that --log-level accepts) to `write`. */
export function createLineLogger(level: string, write: (line: string) => void = (line) => process.stderr.write(line)): AppLogger {
  const threshold = LEVELS[level] ?? LEVELS.info!;
  const at = (value: number) => (fields: object, message?: string): void => {
    if (value < threshold) return;
    const body = JSON.stringify({ ...fields, ...(message === undefined ? {} : { msg: message }) }, errorsAsObjects);
    write(`{"level":${value},"time":"${new Date().toISOString()}","component":"tideway"${body === '{}' ? '' : `,${body.slice(1, -1)}`}}\n`);
  };
  return { debug: at(LEVELS.debug!), info: at(LEVELS.info!), warn: at(LEVELS.warn!), error: at(LEVELS.error!) };
}

/** An Error field reads as pino's serializer writes it: type, message, stack. */
function errorsAsObjects(_key: string, value: unknown): unknown {
  return value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
}
