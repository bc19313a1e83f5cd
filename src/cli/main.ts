// `tideway` command line: run the gateway (default) or `check` manifests offline.
import { parseSettings, helpText, SettingsError } from '../settings/settings.ts';
import { createLogger } from '../observability/logger.ts';
import { createLineLogger } from '../observability/line-logger.ts';
import cluster from 'node:cluster';

/** Time after the drain timeout by which a stopping process exits, whatever still runs. */
const SHUTDOWN_GRACE_MS = 1500;

async function run(argv: string[]): Promise<number> {
  let settings;
  try {
    settings = parseSettings(argv);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`tideway: ${error.message}\n\n${helpText()}\n`);
      return 2;
    }
    throw error;
  }
  if (settings.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  // Each role imports only its own modules: a worker process never loads the control plane (Kubernetes
  // client, YAML, translation, status), which would cost it tens of MiB of memory it never uses, nor
  // pino for its few log lines.
  if (cluster.isWorker) {
    const { runWorker } = await import('../runtime/worker.ts');
    await runWorker(settings, createLineLogger(settings.logLevel));
    return new Promise<number>(() => {}); // lives until the primary drains it
  }
  const logger = createLogger(settings.logLevel);
  if (settings.workers === 1) (await import('../runtime/v8-flags.ts')).applyDataPlaneV8Flags();
  const gateway = settings.workers > 1
    ? new (await import('../runtime/primary.ts')).Primary(settings, logger)
    : new (await import('../runtime/gateway.ts')).Gateway({ settings, logger });
  try {
    const ports = await gateway.start();
    logger.info({ ...ports, workers: settings.workers }, 'tideway listening');
  } catch (error) {
    process.stderr.write(`tideway: ${(error as Error).message}\n`);
    await gateway.stop(0).catch(() => {});
    return 1;
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal, drainTimeoutMs: settings.drainTimeoutMs }, 'draining');
      // Whatever still runs (a slow API server, a stuck connection), the process is gone shortly after
      // the drain timeout: Kubernetes would SIGKILL it at terminationGracePeriodSeconds anyway.
      setTimeout(() => {
        logger.warn({ afterMs: settings.drainTimeoutMs + SHUTDOWN_GRACE_MS }, 'shutdown is taking too long; exiting now');
        process.exit(0);
      }, settings.drainTimeoutMs + SHUTDOWN_GRACE_MS).unref();
      void gateway.stop().then(resolve);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  logger.info('stopped');
  return 0;
}

const [command, ...rest] = process.argv.slice(2);
let exitCode: number;
if (command === 'check') {
  const { runCheck } = await import('./check.ts');
  exitCode = await runCheck(rest);
} else {
  exitCode = await run(process.argv.slice(2));
}
process.exitCode = exitCode;
