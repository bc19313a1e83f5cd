// Watches one measured run from the side, every half second: throughput seen at the upstream (every
// proxied request reaches it, whichever proxy is under test), CPU used by processes outside the
// benchmark, and the proxy's resident memory.
import { watchMachineLoad, type LoadWatch } from './machine-load.ts';
import { upstreamCounters, type UpstreamCounters } from './nginx.ts';
import { readMemory, readPrivateKiB } from './procfs.ts';

export const SAMPLE_INTERVAL_MS = 500;

export interface Interval {
  /** requests per second reaching the upstream in this interval */
  rps: number;
  /** CPUs used by processes outside the benchmark */
  otherCpu: number;
  /** the busiest of them, "name:percent" */
  others: string[];
}

export interface ProcessRole {
  pid: number;
  /** "primary", "worker" (of several), or "process" (one process does everything) */
  role: string;
}

export interface ProcessMemory {
  role: string;
  /** largest VmRSS seen, KiB */
  rssMaxKiB: number;
  /** largest private memory seen (not shared with other processes), KiB */
  privateMaxKiB: number;
}

export interface MemorySample {
  /** largest VmRSS seen, summed over the proxy's processes, KiB */
  rssMaxKiB: number;
  /** VmHWM at the end of the run, summed over the proxy's processes, KiB */
  hwmKiB: number;
  /** each process on its own */
  processes: ProcessMemory[];
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
  memoryProcesses?: () => readonly ProcessRole[];
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
  const perProcess = new Map<number, ProcessMemory>();
  let busy: Promise<void> = Promise.resolve();
  let failure: unknown;

  const sampleMemory = (): void => {
    if (!opts.memoryProcesses) return;
    let rss = 0;
    for (const { pid, role } of opts.memoryProcesses()) {
      const own = readMemory(pid)?.rss ?? 0;
      const ownPrivate = readPrivateKiB(pid) ?? 0;
      rss += own;
      const seen = perProcess.get(pid);
      if (seen === undefined) perProcess.set(pid, { role, rssMaxKiB: own, privateMaxKiB: ownPrivate });
      else {
        seen.rssMaxKiB = Math.max(seen.rssMaxKiB, own);
        seen.privateMaxKiB = Math.max(seen.privateMaxKiB, ownPrivate);
      }
    }
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
      if (opts.memoryProcesses) {
        sampleMemory();
        let hwm = 0;
        for (const { pid } of opts.memoryProcesses()) hwm += readMemory(pid)?.hwm ?? 0;
        memory = { rssMaxKiB: rssMax, hwmKiB: hwm, processes: [...perProcess.values()] };
      }
      const otherCpu = intervals.length ? intervals.reduce((s, i) => s + i.otherCpu, 0) / intervals.length : 0;
      // each counters request is one connection of its own (Connection: close)
      return { intervals, otherCpu, upstreamConnections: end.accepts - first.accepts - (samples - 1), cpuBusy, steal, memory };
    },
  };
}
