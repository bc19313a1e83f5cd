// Watches the machine during a measured run: how busy each CPU was, how much CPU went to processes
// that are not part of the benchmark (other people's builds and tests on a shared machine), and how
// much the hypervisor stole. A run disturbed by others is flagged instead of silently trusted.
import { cpuCounters, cpuSecondsByPid, processName, processTree, type CpuCounters } from './procfs.ts';

export interface MachineLoad {
  /** busy share of each CPU during the window, 0..1 */
  cpuBusy: Record<string, number>;
  /** CPU used by live processes outside the benchmark, in CPUs (1 = one full core) */
  otherCpu: number;
  /** time stolen by the hypervisor, in CPUs */
  steal: number;
  /** the busiest outside processes, for the warning */
  topOthers: { pid: number; comm: string; cpu: number }[];
}

export interface LoadWatch {
  stop(): MachineLoad;
}

/** Starts a window. The benchmark's processes are this process and everything it started. */
export function watchMachineLoad(): LoadWatch {
  const startedAt = performance.now();
  const cpusBefore = cpuCounters();
  const procsBefore = cpuSecondsByPid();
  return {
    stop(): MachineLoad {
      const seconds = (performance.now() - startedAt) / 1000;
      const cpusAfter = cpuCounters();
      const procsAfter = cpuSecondsByPid();
      const own = new Set<number>(processTree(process.pid));
      const others: { pid: number; comm: string; cpu: number }[] = [];
      for (const [pid, after] of procsAfter) {
        if (own.has(pid)) continue;
        const used = after - (procsBefore.get(pid) ?? 0);
        if (used > 0) others.push({ pid, comm: processName(pid), cpu: used / seconds });
      }
      others.sort((a, b) => b.cpu - a.cpu);
      const cpuBusy: Record<string, number> = {};
      let steal = 0;
      for (const [cpu, after] of cpusAfter) {
        const before: CpuCounters | undefined = cpusBefore.get(cpu);
        if (!before) continue;
        const busy = after.busy - before.busy;
        const total = busy + (after.idle - before.idle) + (after.steal - before.steal);
        cpuBusy[cpu] = total > 0 ? busy / total : 0;
        steal += (after.steal - before.steal) / seconds;
      }
      return { cpuBusy, otherCpu: others.reduce((sum, o) => sum + o.cpu, 0), steal, topOthers: others.slice(0, 3) };
    },
  };
}
