// A worker process of a multi-process gateway: one data plane bound with SO_REUSEPORT, fed route
// tables by the primary over IPC, drained on the primary's word.
import type { AppLogger } from '../observability/line-logger.ts';
import type { Settings } from '../settings/settings.ts';
import type { RequestObserver } from '../proxy/observer.ts';
import { DataPlane } from './data-plane.ts';
import { serveWorkerMetrics } from '../observability/index.ts';
import { createObservability } from './observability.ts';
import { LeasedBudget, loadPlugins } from '../middleware/index.ts';
import { isPrimaryMessage, type WorkerMessage } from './messages.ts';
import { SnapshotAssembler } from './snapshot-parts.ts';
import { takeStartupCollector } from './startup-garbage.ts';

function send(message: WorkerMessage): void {
  process.send?.(message);
}

export async function runWorker(settings: Settings, logger: AppLogger, observer?: RequestObserver): Promise<void> {
  let collectStartupGarbage = takeStartupCollector();
  // Plugins register middleware types before the first snapshot builds its chains.
  await loadPlugins(settings.plugins);
  const observability = createObservability(settings, observer, true, false);
  serveWorkerMetrics(observability.metrics);
  await observability.startTracing();
  // Rate limits hold per instance: tokens come from the primary's buckets.
  const rateBudget = new LeasedBudget((lease) => send({ type: 'rate-lease', ...lease }), settings.workers);
  const data = new DataPlane({ settings, reusePort: true, logger, observer: observability.observer, counters: observability.metrics, tableCounters: observability.metrics, rateBudget });
  data.setTracer(observability.tracer);
  const exit = async (): Promise<never> => {
    await observability.close();
    process.exit(0);
  };
  let draining = false;
  const parts = new SnapshotAssembler();
  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    if (message.type === 'rate-grant') rateBudget.onGrant(message);
    else if (message.type === 'snapshot-part') {
      const spec = parts.add(message.part);
      if (spec === null) return;
      data.serve(spec);
      if (collectStartupGarbage !== null) {
        logger.debug({ pid: process.pid, ...collectStartupGarbage() }, 'worker returned its start-up garbage');
        collectStartupGarbage = null;
      }
      send({ type: 'served', version: spec.version });
    } else if (message.type === 'delta') {
      if (data.apply(message.delta)) send({ type: 'served', version: message.delta.version });
      else send({ type: 'resync' });
    } else if (message.type === 'drain' && !draining) {
      draining = true;
      void data.drain(message.timeoutMs).then(exit);
    }
  });
  // The primary owns shutdown: signals sent to the whole process group must not cut requests here.
  process.on('SIGTERM', () => {});
  process.on('SIGINT', () => {});
  // A worker whose primary died must not linger.
  process.on('disconnect', () => {
    rateBudget.close();
    if (!draining) void data.drain(settings.drainTimeoutMs).then(exit);
  });
  const { http } = await data.listen();
  logger.debug({ pid: process.pid, http }, 'worker listening');
  send({ type: 'listening', http });
}
