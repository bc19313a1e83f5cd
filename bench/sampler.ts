// Watches one measured run from the side, every half second: throughput seen at the upstream (every
// proxied request reaches it, whichever proxy is under test), CPU used by processes outside the
// benchmark, and the proxy's resident memory.
import { watchMachineLoad, type LoadWatch } from './machine-load.ts';
import { upstreamCounters, type UpstreamCounters } from './nginx.ts';
import { readMemory } from './procfs.ts';

export const SAMPLE_INTERVAL_MS = 500;

export interface Interval {
  /** requests per second reaching the upstream in this interval */
  rps: number;
  /** CPUs used by processes outside the benchmark */
  otherCpu: number;
  /** the busiest of them, "name:percent" */
  others: string[];
}

export interface MemorySample {
  /** largest VmRSS seen, summed over the proxy's processes, KiB */
  rssMaxKiB: number;
  /** VmHWM at the end of the run, summed over the proxy's processes, KiB */
  hwmKiB: number;
}

export interface SideView {
  intervals: Interval[];
  /** mean of the intervals' otherCpu */
  otherCpu: number;
  /** connections the upstream accepted during the run (the sampler's own excluded) */
  upstreamConnections: number;
  /** busy share of each CPU over the whole run, 0..1 */
  cpuBusy: Record<string, number>;
  /** CPU time the hypervisor stole during the run, in CPUs: the host was busy */
  steal: number;
  memory?: MemorySample;
}

export interface SamplerOptions {
  upstreamPort: number;
  /** processes whose memory to sample; none: no memory sampling */
  memoryPids?: () => readonly number[];
}

export interface Sampler {
  stop(): Promise<SideView>;
}

export async function startSampler(opts: SamplerOptions): Promise<Sampler> {
  const intervals: Interval[] = [];
  let samples = 0;
  const first: UpstreamCounters = await upstreamCounters(opts.upstreamPort);
  samples++;
  let last = first;
  let lastAt = performance.now();
  const whole: LoadWatch = watchMachineLoad();
  let watch: LoadWatch = watchMachineLoad();
  let rssMax = 0;
  let busy: Promise<void> = Promise.resolve();
  let failure: unknown;

  const sampleMemory = (): void => {
    if (!opts.memoryPids) return;
    let rss = 0;
    for (const pid of opts.memoryPids()) rss += readMemory(pid)?.rss ?? 0;
    rssMax = Math.max(rssMax, rss);
  };

  const tick = async (): Promise<void> => {
    const load = watch.stop();
    watch = watchMachineLoad();
    const now = await upstreamCounters(opts.upstreamPort);
    samples++;
    const at = performance.now();
    intervals.push({
      rps: ((now.requests - last.requests) * 1000) / (at - lastAt),
      otherCpu: load.otherCpu,
      others: load.topOthers.map((o) => `${o.comm}:${Math.round(o.cpu * 100)}%`),
    });
    last = now;
    lastAt = at;
    sampleMemory();
  };
  sampleMemory();
  // ticks run one after the other; the first failure is kept and reported by stop()
  const timer = setInterval(() => {
    busy = busy.then(() => (failure === undefined ? tick() : undefined)).catch((e: unknown) => {
      failure ??= e;
    });
  }, SAMPLE_INTERVAL_MS);

  return {
    async stop(): Promise<SideView> {
      clearInterval(timer);
      await busy;
      if (failure !== undefined) throw failure;
      const { cpuBusy, steal } = whole.stop();
      const end = await upstreamCounters(opts.upstreamPort);
      samples++;
      let memory: MemorySample | undefined;
      if (opts.memoryPids) {
        sampleMemory();
        let hwm = 0;
        for (const pid of opts.memoryPids()) hwm += readMemory(pid)?.hwm ?? 0;
        memory = { rssMaxKiB: rssMax, hwmKiB: hwm };
      }
      const otherCpu = intervals.length ? intervals.reduce((s, i) => s + i.otherCpu, 0) / intervals.length : 0;
      // each counters request is one connection of its own (Connection: close)
      return { intervals, otherCpu, upstreamConnections: end.accepts - first.accepts - (samples - 1), cpuBusy, steal, memory };
    },
  };
}
