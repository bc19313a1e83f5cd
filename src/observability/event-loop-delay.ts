// How long the event loop was held up, from perf_hooks.monitorEventLoopDelay (a libuv timer sampled
// every 10 ms). In the control plane a blocked loop delays everything at once: watch events, Lease
// renewals, status writes, admin requests. The gauge reports the delay since the previous scrape, so
// a single long task shows up as its own max, not diluted over the process's life.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

const RESOLUTION_MS = 10;
const QUANTILES = [0.5, 0.99] as const;

export function registerEventLoopDelay(registry: Registry): Gauge {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  return new Gauge({
    name: 'tideway_control_plane_event_loop_delay_seconds',
    help: 'Event loop delay of the control plane since the previous scrape: median, p99 and max (quantile="1")',
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      // The histogram holds nanoseconds; it is empty when no sample was taken since the last reset.
      const seconds = (ns: number): number => (Number.isFinite(ns) && histogram.count > 0 ? ns / 1e9 : 0);
      for (const q of QUANTILES) this.set({ quantile: String(q) }, seconds(histogram.percentile(q * 100)));
      this.set({ quantile: '1' }, seconds(histogram.max));
      histogram.reset();
    },
  });
}
