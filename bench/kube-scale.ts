// Cluster-mode scale, as an operator runs it: 5,000 Ingresses and 50,000 endpoints served through the
// Kubernetes API test server to a real gateway, the built one the container runs (`node bin/tideway.js
// --kubeconfig ...`, that is dist/; run "npm run build" first: sources run through Node's type
// stripping cost every process ~35 MiB more, which is not what a pod uses) with status
// writing on (--publish-address), two workers and the Deployment's heap flag (NODE_OPTIONS
// --max-old-space-size=256, as deploy/ sets it). It reports every target of the control plane:
//   - first full sync (spawn -> /readyz 200),
//   - status: time until every Ingress has its status after the first sync, the highest rate of writes
//     in any second (never above the configured 20 per second plus its burst), and how many snapshots
//     the status events caused (none: they change nothing Tideway reads),
//   - change to served, measured with real HTTP requests through the workers (fresh connections, so
//     both workers answer; served = three answers in a row from the new backend): an EndpointSlice
//     update moving a Service from backend A to B, and a new Ingress,
//   - the control plane's longest event-loop delay (tideway_control_plane_event_loop_delay_seconds),
//   - resident memory of the primary and of each worker over 500 changes,
//   - /api/explain latency at 5,000 hosts (on the primary's admin port, HTTP included),
//   - a full relist (watches cut after a compaction: every resume gets 410) and its CPU,
//   - SIGTERM: time until the process exits (drain timeout 1 s).
//
//   node bench/kube-scale.ts
//   KUBE_SCALE_INGRESSES=1000 node bench/kube-scale.ts       # smaller
//   KUBE_SCALE_WORKERS=1 node bench/kube-scale.ts            # one process
//   KUBE_SCALE_PROFILE=1 node bench/kube-scale.ts            # also a CPU profile of the primary: top functions, longest busy runs
//
// The API test server runs in this process: its CPU (it clones every object it lists and fans every
// status write out to the watches) is not counted in the gateway's figures, but it shares the machine.
import http from 'node:http';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeApiServer } from '../test/support/kube-api/index.ts';
import { explain, type ExplainTable } from '../src/admin/index.ts';
import { normalizeObject } from '../src/store/index.ts';
import { IncrementalTranslator, type ObjectChange } from '../src/translate/incremental/index.ts';
import { startEchoServer } from '../examples/backends/echo-server.ts';
import { installCleanupHandlers, makeTempDir, spawnTracked, stopAll, unlessExited, type Tracked } from './lifecycle.ts';
import { childPids, cpuSecondsByPid, readMemory } from './procfs.ts';
import { freePort, pollUntil } from './net.ts';
import { DEFAULT_ENTRY, staleBuildWarning } from './tideway.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INGRESSES = Number(process.env.KUBE_SCALE_INGRESSES ?? 5000);
const ENDPOINTS = Number(process.env.KUBE_SCALE_ENDPOINTS ?? INGRESSES * 10);
const NAMESPACES = 50;
const CHANGES = Number(process.env.KUBE_SCALE_CHANGES ?? 50);
const PROFILE = process.env.KUBE_SCALE_PROFILE === '1';
const WORKERS = Number(process.env.KUBE_SCALE_WORKERS ?? 2);
/** As deploy/deployment.yaml sets it for every process of the pod. */
const NODE_OPTIONS = process.env.KUBE_SCALE_NODE_OPTIONS ?? '--max-old-space-size=256';
const INGRESS_CHANGES = Number(process.env.KUBE_SCALE_INGRESS_CHANGES ?? 30);
const MEMORY_CHANGES = 500;
/** Enough calls that the p99 is not just the second slowest (the first call also compiles the code). */
const EXPLAINS = 1000;
const PUBLISHED = '203.0.113.7';
const STATUS_QPS = 20;
const STATUS_BURST = 50;
const TARGETS = {
  endpointChangeP99Ms: 250, ingressChangeP99Ms: 500, statusWithinS: 300, eventLoopDelayMaxMs: 50,
  primaryRssMiB: 300, workerRssMiB: 150, explainP99Ms: 2, sigtermExitMs: 1000 + 2000,
};

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

/** Which backend answers `host` ("A", "B", or the status code): a fresh connection, so either worker may take it. */
function backendOf(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.headers['x-backend'] ?? res.statusCode)));
    });
    req.on('error', (e) => resolve(`error ${e.message}`));
  });
}

/** Polls until `host` is answered by `backend` three times in a row; returns the ms since `since`. */
async function servedBy(port: number, host: string, backend: string, since: number): Promise<number> {
  let inARow = 0;
  let first = 0;
  while (inARow < 3) {
    if ((await backendOf(port, host)) === backend) {
      if (inARow++ === 0) first = performance.now();
    } else inARow = 0;
    if (performance.now() - since > 20_000) throw new Error(`${host}: not served by ${backend} within 20 s`);
  }
  return first - since;
}

function adminGet(port: number, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** The control plane's longest event-loop delay since the previous scrape, in ms (each scrape starts a new window). */
async function eventLoopDelayMaxMs(adminPort: number): Promise<number> {
  const text = await adminGet(adminPort, '/metrics');
  const line = text.split('\n').find((l) => l.startsWith('tideway_control_plane_event_loop_delay_seconds{quantile="1"}'));
  return line === undefined ? NaN : Math.round(Number(line.split(' ').at(-1)) * 1000 * 10) / 10;
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

function mib(kib: number | undefined): number {
  return kib === undefined ? NaN : Math.round(kib / 1024);
}

/** RSS in MiB of the primary and of each worker (its children). */
function memoryOf(primary: number): { primary: number; workers: number[] } {
  return { primary: mib(readMemory(primary)?.rss), workers: childPids(primary).map((pid) => mib(readMemory(pid)?.rss)) };
}

/** The gateway's "routing snapshot served" log lines so far. */
function snapshotLogs(lines: string[]): { version: number; translateMs: number; routes: number; backends: number }[] {
  return lines.filter((l) => l.includes('"routing snapshot served"')).map((l) => JSON.parse(l));
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

function frameName({ functionName, url, lineNumber }: CpuProfile['nodes'][number]['callFrame']): string {
  return `${functionName || '(anonymous)'} ${url.replace(`file://${ROOT}/`, '')}:${lineNumber + 1}`;
}

/**
 * The longest runs of samples in which the event loop was never idle (each one task, or tasks back to
 * back), with the functions that took most of each: what the event-loop delay metric cannot tell from
 * time spent waiting for a CPU. Wall time, so a run on a busy machine includes preemption too.
 */
function longestBusyRuns(profile: CpuProfile, count = 8): { ms: number; top: string[] }[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const runs: { ms: number; top: string[] }[] = [];
  let us = 0;
  let self = new Map<string, number>();
  const close = (): void => {
    if (us > 0) runs.push({ ms: Math.round(us / 100) / 10, top: [...self].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([where, t]) => `${where} ${Math.round(t / 1000)} ms`) });
    us = 0;
    self = new Map();
  };
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === '(idle)') return close();
    const delta = profile.timeDeltas[i] ?? 0;
    us += delta;
    const where = frameName(frame);
    self.set(where, (self.get(where) ?? 0) + delta);
  });
  close();
  return runs.sort((a, b) => b.ms - a.ms).slice(0, count);
}

/** The functions with the most self time in a .cpuprofile. */
function topFunctions(profile: CpuProfile, count = 15): { ms: number; share: number; where: string }[] {
  const byNode = new Map<number, number>();
  profile.samples.forEach((id, i) => byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = byNode.get(node.id) ?? 0;
    total += us;
    const { functionName } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    const where = frameName(node.callFrame);
    byFunction.set(where, (byFunction.get(where) ?? 0) + us);
  }
  return [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([where, us]) => ({ ms: Math.round(us / 100) / 10, share: Math.round((us / total) * 1000) / 10, where }));
}

/**
 * explain() timings (ms, sorted) on the API server's objects, read as the control plane reads them for
 * /api/explain: looked up host by host in its incremental translator (ControlPlane.explainTable).
 */
function explainInProcess(api: KubeApiServer): number[] {
  const changes: ObjectChange[] = [];
  for (const [apiVersion, kind] of [['networking.k8s.io/v1', 'Ingress'], ['networking.k8s.io/v1', 'IngressClass'], ['v1', 'Service'], ['discovery.k8s.io/v1', 'EndpointSlice']] as const) {
    for (const raw of api.list(apiVersion, kind)) {
      const object = normalizeObject(raw).object;
      if (object) changes.push({ kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name, object });
    }
  }
  const translator = new IncrementalTranslator();
  translator.apply(changes);
  const diagnostics = translator.diagnosticList([]);
  const table: ExplainTable = { version: 1, defaultRoute: translator.defaultRoute, routesOf: (host) => translator.routesOf(host), backend: (key) => translator.backend(key) };
  const times: number[] = [];
  for (let n = 0; n < EXPLAINS; n++) {
    const i = (n * 7919) % INGRESSES;
    const t = performance.now();
    explain(table, diagnostics, { host: hostOf(i), path: '/api/x', method: 'GET' });
    times.push(performance.now() - t);
  }
  return times.sort((x, y) => x - y);
}

async function main(): Promise<void> {
  const stale = staleBuildWarning(DEFAULT_ENTRY);
  if (stale !== undefined) throw new Error(stale);
  installCleanupHandlers();
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
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
  // A fixed port: every worker binds it (SO_REUSEPORT) and the kernel spreads connections over them.
  const httpPort = await freePort();
  started = performance.now();
  const gateway: Tracked = spawnTracked('gateway', process.execPath, [
    ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    DEFAULT_ENTRY, '--kubeconfig', kubeconfig, '--http-port', String(httpPort), '--admin-port', '0',
    '--bind-address', '127.0.0.1', '--admin-address', '127.0.0.1', '--workers', String(WORKERS), '--access-log', 'off', '--drain-timeout', '1s',
    '--publish-address', PUBLISHED,
  ], { ...process.env, NODE_OPTIONS });
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
      if (line) return JSON.parse(line) as { admin: number };
      await new Promise((r) => setTimeout(r, 20));
    }
  })());
  await unlessExited(gateway, pollUntil('the first full sync (/readyz 200)', 180_000, async () => (await adminStatus(listening.admin, '/readyz')) === 200));
  const syncMs = performance.now() - started;
  const synced = performance.now();
  // Wall-clock marks of the phases, to tell when a Lease loss happened (log lines carry epoch ms).
  const phases: { name: string; from: number }[] = [{ name: 'first sync', from: 0 }, { name: 'status writing', from: Date.now() }];
  const phaseAt = (time: number): string => phases.filter((p) => p.from <= time).at(-1)!.name;
  await pollUntil('the first snapshot log line', 10_000, async () => snapshotLogs(lines).length > 0);
  const first = snapshotLogs(lines)[0]!;
  console.log(`first full sync: ${Math.round(syncMs)} ms; ${first.routes} routes, ${first.backends} backends, translate ${first.translateMs} ms`);

  // Status: every Ingress gets the published address, at 20 writes per second (burst 50) at most.
  const statusWrites = (): number => api.count({ verb: 'patch', resource: 'ingresses', subresource: 'status' });
  const written = (): number => new Set(api.requestsMatching({ verb: 'patch', resource: 'ingresses', subresource: 'status' }).filter((r) => r.code === 200).map((r) => `${r.namespace}/${r.name}`)).size;
  const snapshotsBefore = snapshotLogs(lines).length;
  // Samples of (time, writes so far); the window before is the start-up's, dropped.
  await eventLoopDelayMaxMs(listening.admin);
  let eventLoopStatus = 0;
  const samples: { t: number; writes: number }[] = [{ t: synced, writes: statusWrites() }];
  let statusDoneS = NaN;
  let writtenAtEnd = 0;
  for (let second = 1; second <= 420; second++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push({ t: performance.now(), writes: statusWrites() });
    if (second % 5 === 0) eventLoopStatus = Math.max(eventLoopStatus, await eventLoopDelayMaxMs(listening.admin));
    writtenAtEnd = written();
    if (writtenAtEnd >= INGRESSES) {
      statusDoneS = Math.round((performance.now() - synced) / 100) / 10;
      break;
    }
  }
  eventLoopStatus = Math.max(eventLoopStatus, await eventLoopDelayMaxMs(listening.admin));
  const snapshotsFromStatus = snapshotLogs(lines).length - snapshotsBefore;
  // The token bucket allows at most burst + rate x time in any window: the largest excess over rate x time
  // must stay within the burst, and the rate over 10 s windows after the first burst within the rate.
  let excess = 0;
  let steadyRate = 0;
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      const seconds = (samples[j]!.t - samples[i]!.t) / 1000;
      const writes = samples[j]!.writes - samples[i]!.writes;
      excess = Math.max(excess, writes - STATUS_QPS * seconds);
      if (seconds >= 10 && samples[i]!.t - synced > (STATUS_BURST / STATUS_QPS) * 1000) steadyRate = Math.max(steadyRate, writes / seconds);
    }
  }
  excess = Math.round(excess * 10) / 10;
  steadyRate = Math.round(steadyRate * 10) / 10;
  console.log(`status: ${writtenAtEnd} of ${INGRESSES} Ingresses written ${Number.isNaN(statusDoneS) ? 'NOT within 7 min' : `${statusDoneS} s after the first sync`}; steady ${steadyRate} writes/s, largest excess over ${STATUS_QPS}/s x time ${excess} (burst ${STATUS_BURST}); ${snapshotsFromStatus} snapshots meanwhile`);
  const afterSync = memoryOf(gateway.pid);

  phases.push({ name: 'EndpointSlice changes', from: Date.now() });
  // Change to served, EndpointSlice: probe i's slice goes from A to B.
  await eventLoopDelayMaxMs(listening.admin);
  const endpointLatencies: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const host = hostOf(i);
    if ((await backendOf(httpPort, host)) !== 'A') throw new Error(`${host} is not served by A before its change`);
    const changed = performance.now();
    api.update(slice(i, b.port, 1));
    endpointLatencies.push(await servedBy(httpPort, host, 'B', changed));
    await new Promise((r) => setTimeout(r, 50));
  }
  const eventLoopEndpoints = await eventLoopDelayMaxMs(listening.admin);

  phases.push({ name: 'Ingress changes', from: Date.now() });
  // Change to served, Ingress: a new Ingress for Service i (now on B) under a new host.
  const ingressLatencies: number[] = [];
  for (let i = 0; i < INGRESS_CHANGES; i++) {
    const host = `new-${i}.bench.example`;
    const changed = performance.now();
    api.create({
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: `new-${i}`, namespace: namespaceOf(i) },
      spec: { ingressClassName: 'tideway', rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `svc-${i}`, port: { number: 80 } } } }] } }] },
    });
    ingressLatencies.push(await servedBy(httpPort, host, 'B', changed));
    await new Promise((r) => setTimeout(r, 50));
  }
  const eventLoopIngresses = await eventLoopDelayMaxMs(listening.admin);

  phases.push({ name: '500 changes', from: Date.now() });
  // Memory over 500 changes: the probes' slices flip between A and B, one change every 20 ms.
  const memory: { changes: number; primary: number; workers: number[] }[] = [{ changes: 0, ...memoryOf(gateway.pid) }];
  for (let n = 1; n <= MEMORY_CHANGES; n++) {
    const i = n % CHANGES;
    api.update(slice(i, n % 2 === 0 ? b.port : a.port, 1));
    await new Promise((r) => setTimeout(r, 20));
    if (n % 50 === 0) memory.push({ changes: n, ...memoryOf(gateway.pid) });
  }
  await cpuSettled(gateway.pid);
  memory.push({ changes: MEMORY_CHANGES, ...memoryOf(gateway.pid) });
  const eventLoopMemory = await eventLoopDelayMaxMs(listening.admin);
  console.log('RSS MiB over changes (primary | workers):');
  for (const m of memory) console.log(`  ${String(m.changes).padStart(4)}: ${m.primary} | ${m.workers.join(', ')}`);

  // /api/explain at 5,000 hosts: over HTTP on the primary's admin port (keep-alive; the event loop's
  // other work included), and the explain() call itself on the same objects' table, in this process.
  const explainHttpMs: number[] = [];
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let n = 0; n < EXPLAINS; n++) {
    const i = (n * 7919) % INGRESSES;
    const t = performance.now();
    await new Promise<void>((resolve, reject) => http.get({ host: '127.0.0.1', port: listening.admin, path: `/api/explain?host=${hostOf(i)}&path=/api/x`, agent: keepAlive }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    }).on('error', reject));
    explainHttpMs.push(performance.now() - t);
  }
  keepAlive.destroy();
  explainHttpMs.sort((x, y) => x - y);
  const explainMs = explainInProcess(api);

  phases.push({ name: 'explain', from: Date.now() });
  // Full relist: every resumed watch gets 410 after the compaction.
  await cpuSettled(gateway.pid);
  const listsBefore = new Map(['ingresses', 'ingressclasses', 'services', 'endpointslices', 'secrets'].map((r) => [r, api.count({ verb: 'list', resource: r })]));
  const watchesBefore = api.openWatches();
  api.create({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'resync-marker', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'default' }, reason: 'Bench', message: 'resync' });
  const cpuBefore = cpuOf(gateway.pid);
  phases.push({ name: 'relist', from: Date.now() });
  const resyncStarted = performance.now();
  await eventLoopDelayMaxMs(listening.admin);
  api.compact();
  api.cutWatches();
  await pollUntil('every resource relisted and watched again', 120_000, async () =>
    [...listsBefore].every(([r, n]) => api.count({ verb: 'list', resource: r }) > n) && api.openWatches() >= watchesBefore);
  const relistMs = performance.now() - resyncStarted;
  await cpuSettled(gateway.pid);
  const eventLoopRelist = await eventLoopDelayMaxMs(listening.admin);
  const resyncCpu = cpuOf(gateway.pid) - cpuBefore;
  const leaseLost = lines.filter((l) => l.includes('no longer leading')).map((l) => phaseAt(Date.parse(JSON.parse(l).time as string)));
  // The gateway's warnings and errors, with the phase they came in (what went wrong, if anything did).
  const warnings = lines.flatMap((l) => {
    try {
      const entry = JSON.parse(l) as { level: number; time: string; msg: string };
      return entry.level >= 40 ? [`${phaseAt(Date.parse(entry.time))}: ${entry.msg}`] : [];
    } catch {
      return [];
    }
  });
  for (const w of warnings.slice(0, 30)) console.log(`gateway warning: ${w}`);

  // SIGTERM: the primary drains its workers (drain timeout 1 s) and exits.
  const sigterm = performance.now();
  process.kill(gateway.pid, 'SIGTERM');
  await Promise.race([gateway.exited, new Promise((r) => setTimeout(r, 20_000))]);
  const sigtermMs = Math.round(performance.now() - sigterm);
  await gateway.stop(1000);
  await Promise.all([a.close(), b.close()]);
  await api.close();

  const sortedEndpoints = [...endpointLatencies].sort((x, y) => x - y);
  const sortedIngresses = [...ingressLatencies].sort((x, y) => x - y);
  const primaryRss = memory.map((m) => m.primary);
  const workerRss = memory.flatMap((m) => m.workers);
  const eventLoopMaxMs = Math.max(eventLoopStatus, eventLoopEndpoints, eventLoopIngresses, eventLoopMemory, eventLoopRelist);
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    nodeOptions: NODE_OPTIONS,
    workers: WORKERS,
    ingresses: INGRESSES, endpoints: ENDPOINTS, namespaces: NAMESPACES, routes: first.routes,
    firstSyncMs: Math.round(syncMs),
    firstTranslateMs: first.translateMs,
    status: {
      allWrittenAfterS: statusDoneS, written: writtenAtEnd, steadyWritesPerSecond: steadyRate, largestExcessOverRate: excess,
      configured: `${STATUS_QPS}/s, burst ${STATUS_BURST}`, snapshotsCausedByStatusEvents: snapshotsFromStatus,
    },
    endpointChangeToServedMs: { p50: Math.round(percentile(sortedEndpoints, 50)), p99: Math.round(percentile(sortedEndpoints, 99)), max: Math.round(sortedEndpoints.at(-1)!), changes: CHANGES },
    ingressChangeToServedMs: { p50: Math.round(percentile(sortedIngresses, 50)), p99: Math.round(percentile(sortedIngresses, 99)), max: Math.round(sortedIngresses.at(-1)!), changes: INGRESS_CHANGES },
    eventLoopDelayMaxMs: { statusPhase: eventLoopStatus, endpointChanges: eventLoopEndpoints, ingressChanges: eventLoopIngresses, memoryChanges: eventLoopMemory, relist: eventLoopRelist },
    rssMiB: { afterSync, overChanges: memory, primaryMax: Math.max(...primaryRss), workerMax: Math.max(...workerRss) },
    explainMs: {
      call: { p50: Math.round(percentile(explainMs, 50) * 1000) / 1000, p99: Math.round(percentile(explainMs, 99) * 1000) / 1000, max: Math.round(explainMs.at(-1)! * 1000) / 1000 },
      http: { p50: Math.round(percentile(explainHttpMs, 50) * 100) / 100, p99: Math.round(percentile(explainHttpMs, 99) * 100) / 100 },
      calls: EXPLAINS,
    },
    relist: { ms: Math.round(relistMs), cpuSeconds: Math.round(resyncCpu * 100) / 100 },
    leaseLost,
    warnings: warnings.length,
    sigtermExitMs: sigtermMs,
    targets: {
      endpointChangeP99: percentile(sortedEndpoints, 99) <= TARGETS.endpointChangeP99Ms,
      ingressChangeP99: percentile(sortedIngresses, 99) <= TARGETS.ingressChangeP99Ms,
      statusWithin5Min: statusDoneS <= TARGETS.statusWithinS,
      statusRateNeverAbove: excess <= STATUS_BURST + 1,
      noSnapshotFromStatus: snapshotsFromStatus === 0,
      eventLoopUnder50ms: eventLoopMaxMs <= TARGETS.eventLoopDelayMaxMs,
      primaryRss: Math.max(...primaryRss) <= TARGETS.primaryRssMiB,
      workerRss: Math.max(...workerRss) <= TARGETS.workerRssMiB,
      explainP99: percentile(explainMs, 99) <= TARGETS.explainP99Ms,
      leaseKept: leaseLost.length === 0,
      sigterm: sigtermMs <= TARGETS.sigtermExitMs,
    },
  };
  console.log(JSON.stringify(results, null, 2));
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results', `kube-scale-${results.date.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(results, null, 2)}\n`);
  if (PROFILE) {
    const [profile] = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
    if (profile) {
      const cpu = readProfile(path.join(profileDir, profile));
      console.log('primary CPU profile, top self time:');
      for (const f of topFunctions(cpu)) console.log(`  ${String(f.ms).padStart(8)} ms ${String(f.share).padStart(5)}%  ${f.where}`);
      console.log('primary CPU profile, longest runs without an idle event loop:');
      for (const run of longestBusyRuns(cpu)) console.log(`  ${String(run.ms).padStart(8)} ms  ${run.top.join('; ')}`);
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
