// Reading /proc: children of a process (to find nginx's workers) and memory of a process.
import { readdirSync, readFileSync } from 'node:fs';

/** Direct children of `pid`, found by scanning /proc/<n>/stat for the parent pid. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so cut at the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === pid) out.push(Number(entry));
  }
  return out;
}

export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...childPids(out[i]!));
  return out;
}

export interface MemoryKiB {
  /** resident set now (VmRSS) */
  rss: number;
  /** peak resident set since start (VmHWM) */
  hwm: number;
}

export function readMemory(pid: number): MemoryKiB | undefined {
  const field = kibFields(`/proc/${pid}/status`);
  return field && { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** The "Name:  1234 kB" fields of a /proc file, by name; undefined when the process is gone. */
function kibFields(path: string): ((name: string) => number) | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
}

/**
 * Memory of `pid` that no other process shares, KiB (Private_Clean + Private_Dirty of smaps_rollup):
 * its heap and other anonymous memory. The rest of its RSS is mostly pages of the node executable,
 * which every node process maps and the container's memory accounting counts once.
 */
export function readPrivateKiB(pid: number): number | undefined {
  const field = kibFields(`/proc/${pid}/smaps_rollup`);
  return field && field('Private_Clean') + field('Private_Dirty');
}

/** Clock ticks per second of /proc's CPU times (USER_HZ); 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

/** CPU seconds (user + system) used so far by every live process, by pid. */
/** CPU seconds (user + system) used so far by the given processes together (exited ones count 0). */
export function cpuSecondsOf(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / USER_HZ;
    } catch {
      // exited
    }
  }
  return total;
}

export function cpuSecondsByPid(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is the state (stat field 3), so utime (field 14) and stime (field 15) are at 11 and 12
      out.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / USER_HZ);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Per-CPU time counters from /proc/stat, in seconds. */
export interface CpuCounters {
  busy: number;
  idle: number;
  steal: number;
}

export function cpuCounters(): Map<string, CpuCounters> {
  const out = new Map<string, CpuCounters>();
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    // user nice system idle iowait irq softirq steal
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2]!.split(' ').map(Number) as number[];
    out.set(m[1]!, {
      busy: (user! + nice! + system! + irq! + softirq!) / USER_HZ,
      idle: (idle! + iowait!) / USER_HZ,
      steal: (steal ?? 0) / USER_HZ,
    });
  }
  return out;
}
