// From run records to the summary: medians per proxy, the Tideway/nginx ratios, the printed table.
import type { RunRecord } from './measure.ts';
import type { ProxyName, Scenario } from './scenarios.ts';

export interface ProxySummary {
  /** measured runs that count (disturbed runs that were repeated are left out) */
  runs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** median CPU time of the proxy's processes per request, microseconds */
  cpuUsPerRequest: number;
  /** kept runs that were still disturbed by other processes after the retries */
  disturbedRuns: number;
  /** failed requests over all kept runs */
  failures: number;
  /** median of the connections the upstream accepted per run: a pooling proxy opens few */
  upstreamConnections: number;
  /** largest coefficient of variation of the half-second throughput within a kept run */
  worstIntervalCv: number;
  /** largest CPU time stolen by the hypervisor during a kept run, in CPUs */
  worstSteal: number;
  memory?: { rssMaxKiB: number; hwmKiB: number; byRole: RoleMemory[] };
}

/** The largest RSS (and private memory) of any process of one role over the kept runs, and how many processes had it. */
export interface RoleMemory {
  role: string;
  processes: number;
  rssMaxKiB: number;
  privateMaxKiB: number;
}

export interface Ratios {
  /** Tideway req/s divided by nginx req/s: above 1 Tideway serves more */
  throughput: number;
  /** Tideway p99 divided by nginx p99: below 1 Tideway's tail is shorter */
  p99: number;
  /** nginx CPU per request divided by Tideway's: requests per core relative to nginx, like `throughput` */
  cpu: number;
}

export interface ScenarioSummary {
  scenario: string;
  description: string;
  proxies: Partial<Record<ProxyName, ProxySummary>>;
  ratios?: Ratios;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function coefficientOfVariation(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  if (mean === 0) return 0;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return Math.sqrt(variance) / mean;
}

export function summarizeProxy(records: readonly RunRecord[]): ProxySummary | undefined {
  const kept = records.filter((r) => r.kept);
  if (kept.length === 0) return undefined;
  const memories = kept.flatMap((r) => (r.side.memory ? [r.side.memory] : []));
  return {
    runs: kept.length,
    rps: median(kept.map((r) => r.load.requestsPerSec)),
    p50Ms: median(kept.map((r) => r.load.latencyMs.p50)),
    p99Ms: median(kept.map((r) => r.load.latencyMs.p99)),
    cpuUsPerRequest: median(kept.map((r) => r.cpuUsPerRequest)),
    disturbedRuns: kept.filter((r) => r.disturbed).length,
    failures: kept.reduce((s, r) => s + r.load.failures, 0),
    upstreamConnections: median(kept.map((r) => r.side.upstreamConnections)),
    // the first and last half-second hold wrk's start and stop; the steady part is in between
    worstIntervalCv: Math.max(...kept.map((r) => coefficientOfVariation(r.side.intervals.slice(1, -1).map((i) => i.rps)))),
    worstSteal: Math.max(...kept.map((r) => r.side.steal)),
    memory: memories.length
      ? { rssMaxKiB: Math.max(...memories.map((m) => m.rssMaxKiB)), hwmKiB: Math.max(...memories.map((m) => m.hwmKiB)), byRole: byRole(memories.map((m) => m.processes ?? [])) }
      : undefined,
  };
}

export function byRole(runs: readonly (readonly { role: string; rssMaxKiB: number; privateMaxKiB: number }[])[]): RoleMemory[] {
  const roles = new Map<string, RoleMemory>();
  for (const processes of runs) {
    const counts = new Map<string, number>();
    for (const p of processes) {
      counts.set(p.role, (counts.get(p.role) ?? 0) + 1);
      const r = roles.get(p.role);
      if (r === undefined) roles.set(p.role, { role: p.role, processes: 0, rssMaxKiB: p.rssMaxKiB, privateMaxKiB: p.privateMaxKiB });
      else {
        r.rssMaxKiB = Math.max(r.rssMaxKiB, p.rssMaxKiB);
        r.privateMaxKiB = Math.max(r.privateMaxKiB, p.privateMaxKiB);
      }
    }
    for (const [role, n] of counts) roles.get(role)!.processes = Math.max(roles.get(role)!.processes, n);
  }
  return [...roles.values()];
}

/** "primary 80.1 MiB (27.5 private), worker 74.2 MiB (22.0 private; largest of 2)" */
export function formatRoles(roles: readonly RoleMemory[]): string {
  return roles.map((r) => `${r.role} ${mib(r.rssMaxKiB)} (${(r.privateMaxKiB / 1024).toFixed(1)} private${r.processes > 1 ? `; largest of ${r.processes}` : ''})`).join(', ');
}

export function ratios(tideway: ProxySummary, nginx: ProxySummary): Ratios {
  return { throughput: tideway.rps / nginx.rps, p99: tideway.p99Ms / nginx.p99Ms, cpu: nginx.cpuUsPerRequest / tideway.cpuUsPerRequest };
}

export function summarizeScenario(scenario: Scenario, records: readonly RunRecord[]): ScenarioSummary {
  const proxies: Partial<Record<ProxyName, ProxySummary>> = {};
  for (const proxy of scenario.proxies) {
    const summary = summarizeProxy(records.filter((r) => r.proxy === proxy));
    if (summary) proxies[proxy] = summary;
  }
  const t = proxies.tideway;
  const n = proxies.nginx;
  return { scenario: scenario.name, description: scenario.description, proxies, ratios: t && n ? ratios(t, n) : undefined };
}

/** Worth a line under the table: numbers that should not be trusted as they are. */
export function warningsFor(summary: ScenarioSummary, connectionsPerRun: number): string[] {
  const out: string[] = [];
  for (const [proxy, s] of Object.entries(summary.proxies)) {
    const who = `${summary.scenario}/${proxy}`;
    if (s.failures > 0) out.push(`${who}: ${s.failures} requests failed (socket errors or non-2xx/3xx answers)`);
    if (s.disturbedRuns > 0) out.push(`${who}: ${s.disturbedRuns} run(s) still disturbed by other processes after the retries`);
    if (s.worstIntervalCv > 0.15) out.push(`${who}: throughput varied within a run (CV ${s.worstIntervalCv.toFixed(2)} over half-second intervals)`);
    if (s.worstSteal > 0.05) out.push(`${who}: the hypervisor stole ${Math.round(s.worstSteal * 100)}% of a CPU during a run (busy host)`);
    if (s.upstreamConnections > 2 * connectionsPerRun) {
      out.push(`${who}: opened ${s.upstreamConnections} upstream connections in a run: connections are not reused`);
    }
  }
  return out;
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number): string => n.toFixed(2);
const fmtRatio = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(2));
const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

export function formatTable(summaries: readonly ScenarioSummary[]): string {
  const header = ['scenario', 'proxy', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'runs', 'req/s ratio', 'p99 ratio', 'CPU ratio'];
  const rows: string[][] = [];
  for (const s of summaries) {
    let first = true;
    for (const [proxy, p] of Object.entries(s.proxies)) {
      rows.push([
        first ? s.scenario : '',
        proxy,
        fmtInt(p.rps),
        fmtMs(p.p50Ms),
        fmtMs(p.p99Ms),
        p.cpuUsPerRequest.toFixed(1),
        String(p.runs),
        first ? fmtRatio(s.ratios?.throughput) : '',
        first ? fmtRatio(s.ratios?.p99) : '',
        first ? fmtRatio(s.ratios?.cpu) : '',
      ]);
      first = false;
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // text columns left-aligned, numbers right-aligned
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatMemory(summaries: readonly ScenarioSummary[]): string[] {
  const out: string[] = [];
  for (const s of summaries) {
    for (const [proxy, p] of Object.entries(s.proxies)) {
      if (!p.memory) continue;
      out.push(`${s.scenario}: ${proxy} RSS per process under load: ${formatRoles(p.memory.byRole)}; all processes together up to ${mib(p.memory.rssMaxKiB)}, peak (VmHWM) ${mib(p.memory.hwmKiB)}`);
    }
  }
  return out;
}
