// npm run bench -- [options]: Tideway and nginx as the same reverse proxy to the same upstream, on
// loopback, pinned to CPUs, measured alternately; prints req/s, p50, p99 and the Tideway/nginx ratios
// and writes bench/results/<timestamp>.json. See docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import { join } from 'node:path';
import { installCleanupHandlers, stopAll } from './lifecycle.ts';
import { toolsFor } from './load.ts';
import { checkScenario, measureScenario, type RunRecord } from './measure.ts';
import { freePort } from './net.ts';
import { startNginx } from './nginx.ts';
import { startProxy, type RunningProxy } from './proxies.ts';
import { formatMemory, formatRoles, formatTable, summarizeScenario, warningsFor, type RoleMemory, type ScenarioSummary } from './report.ts';
import { readMemory, readPrivateKiB } from './procfs.ts';
import { parseOptions, UsageError, USAGE, type Options } from './options.ts';
import { PLACEMENT, PROXY_NAMES, proxyCpus, type Scenario } from './scenarios.ts';
import { REPO_ROOT, staleBuildWarning } from './tideway.ts';
import { ensureTools, toolPath } from './tools.ts';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** First line a command prints, on stdout or stderr (nginx -v and wrk -v print to stderr; wrk -v exits 1). */
function firstLine(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0]!.trim();
}

function environment(): Record<string, string | number> {
  return {
    node: process.version,
    kernel: release(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: availableParallelism(),
    nginx: firstLine(toolPath('nginx'), ['-v']),
    wrk: firstLine(toolPath('wrk'), ['-v']),
    commit: firstLine('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
  };
}

/** Time a freshly started proxy gets to settle before its idle memory is read. */
const IDLE_SETTLE_MS = 2000;

function idleRoles(proxy: RunningProxy): RoleMemory[] {
  const roles = new Map<string, RoleMemory>();
  for (const { pid, role } of proxy.memoryProcesses()) {
    const rss = readMemory(pid)?.rss ?? 0;
    const own = readPrivateKiB(pid) ?? 0;
    const r = roles.get(role);
    if (r === undefined) roles.set(role, { role, processes: 1, rssMaxKiB: rss, privateMaxKiB: own });
    else {
      r.processes++;
      r.rssMaxKiB = Math.max(r.rssMaxKiB, rss);
      r.privateMaxKiB = Math.max(r.privateMaxKiB, own);
    }
  }
  return [...roles.values()];
}

async function main(options: Options): Promise<void> {
  if (availableParallelism() < 2) throw new Error('the benchmark pins the proxy to CPU 1 and needs at least 2 CPUs');
  const tools = new Set(['taskset', 'nginx', ...options.scenarios.flatMap(toolsFor)]);
  for (const pkg of ensureTools([...tools], log)) log(`installed ${pkg}`);
  const stale = options.proxies.includes('tideway') ? staleBuildWarning(options.tidewayEntry) : undefined;
  if (stale) log(`warning: ${stale}`);

  const startedAt = new Date();
  const upstreamPort = await freePort();
  const upstreamGrpcPort = await freePort();
  await startNginx({ name: 'upstream', role: 'upstream', port: upstreamPort, grpcPort: upstreamGrpcPort, cpus: PLACEMENT.upstream });
  log(`upstream: nginx on 127.0.0.1:${upstreamPort} (HTTP/1.1) and :${upstreamGrpcPort} (h2c gRPC), CPU ${PLACEMENT.upstream}`);

  const records: { scenario: Scenario; runs: RunRecord[] }[] = [];
  const commands: Record<string, string> = {};
  const idleMemory: Record<string, RoleMemory[]> = {};
  // proxies are started once per worker count (and gateway flags) and shared by the scenarios that use it
  const instanceKey = (s: Scenario): string => `${s.workers}|${(s.tidewayFlags ?? []).join(' ')}`;
  for (const key of [...new Set(options.scenarios.map(instanceKey))]) {
    const group = options.scenarios.filter((s) => instanceKey(s) === key);
    const { workers, tidewayFlags } = group[0]!;
    const wanted = PROXY_NAMES.filter((p) => options.proxies.includes(p) && group.some((s) => s.proxies.includes(p)));
    const running: RunningProxy[] = [];
    try {
      for (const name of wanted) {
        const proxy = await startProxy(name, { upstreamPort, upstreamGrpcPort, workers, tidewayEntry: options.tidewayEntry, ...(tidewayFlags ? { tidewayFlags } : {}) });
        running.push(proxy);
        commands[`${name} (${workers} worker${workers > 1 ? 's' : ''})`] = proxy.command;
        log(`${name}: 127.0.0.1:${proxy.port}, CPU ${proxyCpus(workers)}, ${workers} worker(s)`);
      }
      // Memory before any request: what each process costs just to be there.
      await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
      for (const proxy of running) {
        const label = `${proxy.name}, ${workers} worker${workers > 1 ? 's' : ''}${tidewayFlags && proxy.name === 'tideway' ? ` (${tidewayFlags.join(' ')})` : ''}`;
        idleMemory[label] ??= idleRoles(proxy);
      }
      for (const scenario of group) {
        const targets = running.filter((p) => scenario.proxies.includes(p.name));
        for (const target of targets) await checkScenario(scenario, target);
        log(`${scenario.name}: ${scenario.description}`);
        const runs = await measureScenario(scenario, targets, options, {
          upstreamPort,
          log,
        });
        records.push({ scenario, runs });
      }
    } finally {
      await Promise.all(running.map((p) => p.stop()));
    }
  }

  const summaries: ScenarioSummary[] = records.map(({ scenario, runs }) => summarizeScenario(scenario, runs));
  const warnings = records.flatMap(({ scenario }, i) => warningsFor(summaries[i]!, scenario.load.connections));
  const env = environment();
  const out: string[] = [
    '',
    `Reverse proxy to the same upstream (nginx, CPU ${PLACEMENT.upstream}); proxy on CPU ${PLACEMENT.proxy} (CPUs ${proxyCpus(2)} with 2 workers); ` +
      `load (wrk, h2load) on CPU ${PLACEMENT.load}; ${options.durationSec} s runs after ${options.warmupSec} s warm-up; median of ${options.rounds} round(s)`,
    '',
    formatTable(summaries),
    '',
    'req/s ratio = Tideway/nginx throughput (1.00 = parity, higher is better); p99 ratio = Tideway/nginx p99 latency (lower is better);',
    'CPU ratio = nginx/Tideway CPU time per request (requests per core relative to nginx; holds on a busy machine, where req/s does not)',
  ];
  const memory = [
    ...Object.entries(idleMemory).map(([label, roles]) => `idle, ${label}: RSS per process ${formatRoles(roles)}`),
    ...formatMemory(summaries),
  ];
  if (memory.length) out.push('', 'Memory:', ...memory.map((m) => `  ${m}`));
  if (warnings.length) out.push('', 'Warnings:', ...warnings.map((w) => `  ${w}`));
  out.push('', `node ${env.node}, ${env.nginx}, ${env.wrk}, kernel ${env.kernel}, ${env.cpus} CPUs (${env.cpu}), commit ${env.commit}`);

  mkdirSync(options.resultsDir, { recursive: true });
  const file = join(options.resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const { scenarios: _s, ...settings } = options;
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        settings: { ...settings, scenarios: options.scenarios.map((s) => s.name), placement: PLACEMENT },
        environment: env,
        commands,
        idleMemory,
        summaries,
        warnings,
        scenarios: records.map(({ scenario, runs }) => ({ scenario, runs })),
      },
      null,
      2,
    )}\n`,
  );
  out.push(`Results: ${file}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

installCleanupHandlers();
let options: Options | 'help';
try {
  options = parseOptions(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`${e.message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(`${USAGE}\n`);
} else {
  try {
    await main(options);
  } catch (e) {
    process.exitCode = 1;
    log(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await stopAll();
  }
}
