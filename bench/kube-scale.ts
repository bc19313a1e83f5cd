// Cluster-mode scale: 5,000 Ingresses and 50,000 endpoints served through the Kubernetes API test
// server to a real gateway child process (`node src/cli/main.ts --kubeconfig ...`), measuring
//   - time to the first full sync (spawn -> /readyz 200),
//   - change-to-served latency: an EndpointSlice update moves one Service from backend A to backend B;
//     the time until the data plane answers from B (polled with real HTTP requests), over 50 changes,
//   - resident memory of the gateway process (VmRSS now, VmHWM peak),
//   - CPU time of a full resync: watches cut after a compaction, so every resume gets 410 and relists.
// Targets: change-to-served p99 < 1 s, RSS < 300 MiB.
//
//   node bench/kube-scale.ts
//   KUBE_SCALE_INGRESSES=1000 node bench/kube-scale.ts       # smaller
//   KUBE_SCALE_PROFILE=1 node bench/kube-scale.ts            # also a CPU profile of the gateway, top functions printed
//   KUBE_SCALE_NODE_FLAGS=--max-old-space-size=256 node bench/kube-scale.ts   # node flags for the gateway
//
// The API test server runs in this process: its own CPU (it clones and sorts every object for each
// list page) is not counted in the gateway's figures, but it shares the machine.
import http from 'node:http';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeApiServer } from '../test/support/kube-api/index.ts';
import { startEchoServer } from '../examples/backends/echo-server.ts';
import { installCleanupHandlers, makeTempDir, spawnTracked, stopAll, unlessExited, type Tracked } from './lifecycle.ts';
import { cpuSecondsByPid, readMemory } from './procfs.ts';
import { pollUntil } from './net.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INGRESSES = Number(process.env.KUBE_SCALE_INGRESSES ?? 5000);
const ENDPOINTS = Number(process.env.KUBE_SCALE_ENDPOINTS ?? INGRESSES * 10);
const NAMESPACES = 50;
const CHANGES = Number(process.env.KUBE_SCALE_CHANGES ?? 50);
const PROFILE = process.env.KUBE_SCALE_PROFILE === '1';
/** Extra node flags for the gateway, e.g. KUBE_SCALE_NODE_FLAGS=--max-old-space-size=256 */
const NODE_FLAGS = (process.env.KUBE_SCALE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const TARGET_P99_MS = 1000;
const TARGET_RSS_MIB = 300;

const namespaceOf = (i: number) => `ns-${i % NAMESPACES}`;
const hostOf = (i: number) => `app-${i}.bench.example`;

/** Endpoints per Service so that the total is ENDPOINTS: probes (the first CHANGES) have one, loopback. */
function endpointCounts(): number[] {
  const others = INGRESSES - CHANGES;
  const remaining = ENDPOINTS - CHANGES;
  const base = Math.floor(remaining / others);
  const extra = remaining - base * others;
  return Array.from({ length: INGRESSES }, (_, i) => (i < CHANGES ? 1 : base + (i - CHANGES < extra ? 1 : 0)));
}

function slice(i: number, port: number, count: number): Record<string, any> {
  const addresses = i < CHANGES
    ? ['127.0.0.1']
    : Array.from({ length: count }, (_, j) => `10.${(i >> 8) & 255}.${i & 255}.${j + 1}`); // never requested
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `svc-${i}-abcde`, namespace: namespaceOf(i), labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: addresses.map((address) => ({ addresses: [address], conditions: { ready: true } })),
  };
}

function seed(api: KubeApiServer, portA: number): void {
  api.create({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'tideway' }, spec: { controller: 'tideway.dev/ingress-controller' } });
  const counts = endpointCounts();
  for (let i = 0; i < INGRESSES; i++) {
    const namespace = namespaceOf(i);
    api.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace }, spec: { ports: [{ name: 'http', port: 80 }] } });
    api.create(slice(i, i < CHANGES ? portA : 8080, counts[i]!));
    api.create({
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: `app-${i}`, namespace },
      spec: {
        ingressClassName: 'tideway',
        rules: [{ host: hostOf(i), http: { paths: [
          { path: '/', pathType: 'Prefix', backend: { service: { name: `svc-${i}`, port: { number: 80 } } } },
          { path: '/api', pathType: 'Prefix', backend: { service: { name: `svc-${i}`, port: { number: 80 } } } },
        ] } }],
      },
    });
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function backendOf(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.headers['x-backend'] ?? res.statusCode)));
    });
    req.on('error', (e) => resolve(`error ${e.message}`));
  });
}

function adminStatus(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', () => resolve(0));
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function cpuOf(pid: number): number {
  return cpuSecondsByPid().get(pid) ?? NaN;
}

/** Waits until `pid` used less than 10 ms of CPU in each of two 250 ms windows. */
async function cpuSettled(pid: number): Promise<void> {
  let quiet = 0;
  let last = cpuOf(pid);
  while (quiet < 2) {
    await new Promise((r) => setTimeout(r, 250));
    const now = cpuOf(pid);
    quiet = now - last < 0.01 ? quiet + 1 : 0;
    last = now;
  }
}

/** The gateway's "routing snapshot served" log lines so far. */
function snapshotLogs(lines: string[]): { version: number; translateMs: number; routes: number; backends: number }[] {
  return lines.filter((l) => l.includes('"routing snapshot served"')).map((l) => JSON.parse(l));
}

/** The functions with the most self time in a .cpuprofile. */
function topFunctions(file: string, count = 15): { ms: number; share: number; where: string }[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] };
  const byNode = new Map<number, number>();
  profile.samples.forEach((id, i) => byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = byNode.get(node.id) ?? 0;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    const where = `${functionName || '(anonymous)'} ${url.replace(`file://${ROOT}/`, '')}:${lineNumber + 1}`;
    byFunction.set(where, (byFunction.get(where) ?? 0) + us);
  }
  return [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([where, us]) => ({ ms: Math.round(us / 100) / 10, share: Math.round((us / total) * 1000) / 10, where }));
}

async function main(): Promise<void> {
  installCleanupHandlers();
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true, bookmarkIntervalMs: 60_000 });
  await api.start();
  const [a, b] = await Promise.all([startEchoServer({ name: 'A' }), startEchoServer({ name: 'B' })]);
  let started = performance.now();
  seed(api, a.port);
  console.log(`seeded ${INGRESSES} Ingresses, ${INGRESSES} Services, ${INGRESSES} EndpointSlices with ${ENDPOINTS} endpoints in ${NAMESPACES} namespaces (${Math.round(performance.now() - started)} ms)`);

  const dir = makeTempDir('kube-scale');
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, api.kubeconfig());
  const profileDir = path.join(dir, 'profile');
  const lines: string[] = [];
  started = performance.now();
  const gateway: Tracked = spawnTracked('gateway', process.execPath, [
    ...NODE_FLAGS,
    ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    path.join(ROOT, 'src/cli/main.ts'), '--kubeconfig', kubeconfig, '--http-port', '0', '--admin-port', '0',
    '--bind-address', '127.0.0.1', '--admin-address', '127.0.0.1', '--workers', '1', '--access-log', 'off', '--drain-timeout', '1s',
  ]);
  // Logs are pino JSON lines on stderr (stdout is left to the access log).
  let buffered = '';
  gateway.child.stderr!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  const listening = await unlessExited(gateway, (async () => {
    for (;;) {
      const line = lines.find((l) => l.includes('"tideway listening"'));
      if (line) return JSON.parse(line) as { http: number; admin: number };
      await new Promise((r) => setTimeout(r, 20));
    }
  })());
  await unlessExited(gateway, pollUntil('the first full sync (/readyz 200)', 120_000, async () => (await adminStatus(listening.admin, '/readyz')) === 200));
  const syncMs = performance.now() - started;
  // The log is written asynchronously: the line may follow /readyz by a moment.
  await pollUntil('the first snapshot log line', 10_000, async () => snapshotLogs(lines).length > 0);
  const first = snapshotLogs(lines).at(-1)!;
  await cpuSettled(gateway.pid);
  const afterSync = readMemory(gateway.pid)!;
  console.log(`first full sync: ${Math.round(syncMs)} ms; ${first.routes} routes, ${first.backends} backends, translate ${first.translateMs} ms; RSS ${Math.round(afterSync.rss / 1024)} MiB`);

  // Change-to-served: probe i's slice goes from A to B; poll the data plane until B answers.
  const latencies: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const host = hostOf(i);
    if ((await backendOf(listening.http, host)) !== 'A') throw new Error(`${host} is not served by A before its change`);
    const changed = performance.now();
    api.update(slice(i, b.port, 1));
    for (;;) {
      if ((await backendOf(listening.http, host)) === 'B') break;
      if (performance.now() - changed > 10_000) throw new Error(`${host}: change not served within 10 s`);
    }
    latencies.push(performance.now() - changed);
    await new Promise((r) => setTimeout(r, 50));
  }
  const sorted = [...latencies].sort((x, y) => x - y);
  const changeTranslates = snapshotLogs(lines).slice(-CHANGES).map((s) => s.translateMs).sort((x, y) => x - y);
  const afterChanges = readMemory(gateway.pid)!;

  // Full resync: a change elsewhere moves the global resourceVersion past every watch's last one,
  // compaction forgets it, and the cut watches resume into 410 Expired: every resource relists.
  await cpuSettled(gateway.pid);
  const listsBefore = new Map(['ingresses', 'ingressclasses', 'services', 'endpointslices', 'secrets', 'middlewares'].map((r) => [r, api.count({ verb: 'list', resource: r })]));
  const watchesBefore = api.openWatches();
  api.create({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'resync-marker', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'default' }, reason: 'Bench', message: 'resync' });
  const cpuBefore = cpuOf(gateway.pid);
  const resyncStarted = performance.now();
  api.compact();
  api.cutWatches();
  await pollUntil('every resource relisted and watched again', 120_000, async () =>
    [...listsBefore].every(([r, n]) => api.count({ verb: 'list', resource: r }) > n) && api.openWatches() >= watchesBefore);
  const relistMs = performance.now() - resyncStarted;
  await cpuSettled(gateway.pid);
  const resyncCpu = cpuOf(gateway.pid) - cpuBefore;
  const afterResync = readMemory(gateway.pid)!;
  if ((await backendOf(listening.http, hostOf(0))) !== 'B') throw new Error('after the resync, app-0 is not served by B');

  agent.destroy();
  await gateway.stop(5000);
  await Promise.all([a.close(), b.close()]);
  await api.close();

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    nodeFlags: NODE_FLAGS.join(' '),
    ingresses: INGRESSES, endpoints: ENDPOINTS, namespaces: NAMESPACES, routes: first.routes,
    firstSyncMs: Math.round(syncMs),
    firstTranslateMs: first.translateMs,
    changeToServedMs: { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)), max: Math.round(sorted.at(-1)!), changes: CHANGES },
    translateMsPerChange: { p50: percentile(changeTranslates, 50), max: changeTranslates.at(-1) },
    rssMiB: {
      afterSync: Math.round(afterSync.rss / 1024), afterChanges: Math.round(afterChanges.rss / 1024),
      afterResync: Math.round(afterResync.rss / 1024), peak: Math.round(afterResync.hwm / 1024),
    },
    resync: { relistMs: Math.round(relistMs), cpuSeconds: Math.round(resyncCpu * 100) / 100 },
    targets: {
      changeP99Under1s: percentile(sorted, 99) < TARGET_P99_MS,
      rssUnder300MiB: afterResync.hwm / 1024 < TARGET_RSS_MIB,
    },
  };
  console.log(JSON.stringify(results, null, 2));
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results', `kube-scale-${results.date.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(results, null, 2)}\n`);
  if (PROFILE) {
    const [profile] = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
    if (profile) {
      console.log('gateway CPU profile, top self time:');
      for (const f of topFunctions(path.join(profileDir, profile))) console.log(`  ${String(f.ms).padStart(8)} ms ${String(f.share).padStart(5)}%  ${f.where}`);
    } else {
      console.log('no CPU profile was written (the gateway did not exit cleanly)');
    }
  }
  await stopAll();
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  await stopAll();
  process.exit(1);
});
