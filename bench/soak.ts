// Soak: a bounded mix of HTTP/1.1, HTTP/2, gRPC and WebSocket traffic through a real gateway process
// while its routing changes every second and its endpoints every 5 seconds. Reports unexpected errors
// (target: none), the gateway's RSS, open handles and file descriptors at start, middle and end
// (target: flat), and the event-loop delay p99. Not part of `npm test`.
//
//   npm run soak                  10 minutes
//   SOAK_SECONDS=120 npm run soak a short run
import http from 'node:http';
import http2 from 'node:http2';
import { mkdtemp, rm, writeFile, readdir, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { WebSocket, WebSocketServer } from 'ws';
import { startBackend, type TestBackend } from '../test/support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../test/support/manifests.ts';
import { closedPort } from '../test/support/ports.ts';
import { adminStatus, startCli, waitFor } from '../test/support/cli-process.ts';
import { EchoClient, startEchoServer, type EchoServer } from '../test/protocols/support/grpc.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const ROUTE_CHANGE_MS = 1000;
const ENDPOINT_CHANGE_MS = 5000;
/** Requests in flight per protocol: a steady load that leaves the shared CPU to the gateway. */
const HTTP1_CLIENTS = 4;
const HTTP2_STREAMS = 4;
const GRPC_CALLS = 2;
const WEBSOCKETS = 4;

interface Sample {
  at: string;
  rssMiB: number;
  heapMiB: number;
  /** The heap V8 has committed, and of it the young generation: RSS that is V8's sizing rather than live objects. */
  heapCommittedMiB: number;
  youngMiB: number;
  externalMiB: number;
  handles: number;
  fds: number;
  loopP99Ms: number;
}

const counts = { http1: 0, http2: 0, grpc: 0, websocket: 0, routeChanges: 0, endpointChanges: 0 };
const errors = new Map<string, number>();
function unexpected(what: string): void {
  errors.set(what, (errors.get(what) ?? 0) + 1);
}

// ---- Backends: two of each kind, so that endpoint changes move traffic between live pods -------
const webs: TestBackend[] = [await startBackend('web-a'), await startBackend('web-b')];
for (const web of webs) {
  web.handler = (_req, res) => res.end('ok');
  web.received.length = 0;
}
// The backends keep no record of requests during a soak (they would grow by design).
setInterval(() => webs.forEach((w) => (w.received.length = 0)), 1000).unref();
const grpcServers: EchoServer[] = [await startEchoServer(), await startEchoServer()];
const wsServers = await Promise.all([0, 1].map(() => new Promise<{ server: http.Server; port: number }>((resolve) => {
  const server = http.createServer();
  new WebSocketServer({ server }).on('connection', (socket) => socket.on('message', (data) => socket.send(data)));
  server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
})));

// ---- The gateway, from manifest files ----------------------------------------------------------
const dir = await mkdtemp(path.join(tmpdir(), 'tideway-soak-'));
/** Replaces a manifest in one step: a file read while half written would look like fewer objects. */
async function writeManifest(name: string, text: string): Promise<void> {
  const temporary = path.join(dir, `.${name}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, path.join(dir, name));
}
let endpointFlip = 0;
async function writeServices(): Promise<void> {
  const pick = <T>(list: T[]): T[] => (endpointFlip % 3 === 2 ? list : [list[endpointFlip % 2]!]);
  await writeManifest('svc.yaml', [
    serviceYaml({ name: 'web', endpoints: pick(webs).map((w) => ['127.0.0.1', w.port] as [string, number]) }),
    serviceYaml({ name: 'grpc', appProtocol: 'grpc', endpoints: pick(grpcServers).map((g) => ['127.0.0.1', g.port] as [string, number]) }),
    serviceYaml({ name: 'ws', endpoints: pick(wsServers).map((w) => ['127.0.0.1', w.port] as [string, number]) }),
  ].join('---\n'));
}
let routeFlip = 0;
async function writeRoutes(): Promise<void> {
  // The stable routes stay; an extra Ingress comes and goes, and an annotation changes, every second.
  const extra = routeFlip % 2 === 0 ? [ingressYaml({ name: 'extra', host: 'extra.soak', paths: [{ path: `/v${routeFlip}`, service: 'web' }] })] : [];
  await writeManifest('ing.yaml', [
    ingressYaml({ name: 'web', host: 'web.soak', paths: [{ path: '/', service: 'web' }], annotations: { 'tideway.dev/proxy-read-timeout': `${10 + (routeFlip % 5)}s` } }),
    ingressYaml({ name: 'grpc', host: 'grpc.soak', paths: [{ path: '/', service: 'grpc' }] }),
    ingressYaml({ name: 'ws', host: 'ws.soak', paths: [{ path: '/', service: 'ws' }] }),
    ...extra,
  ].join('---\n'));
}
await writeManifest('class.yaml', ingressClassYaml());
await writeServices();
await writeRoutes();
const httpPort = await closedPort();
const adminPort = await closedPort();
const gateway = startCli(['--workers', '1', '--manifests', dir, '--http-port', String(httpPort), '--admin-port', String(adminPort),
  '--bind-address', '127.0.0.1', '--admin-address', '127.0.0.1', '--log-level', 'warn', '--access-log', 'off', '--websocket-grace-period', '2s']);
await waitFor(async () => (await adminStatus(adminPort, '/readyz')) === 200, 30_000, 'gateway readiness');
const pid = gateway.child.pid!;

async function sample(at: string): Promise<Sample> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const metric = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  const space = (name: string): number => Number(new RegExp(`^nodejs_heap_space_size_total_bytes\\{space="${name}"\\} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    at,
    rssMiB: metric('process_resident_memory_bytes') / 1048576,
    heapMiB: metric('nodejs_heap_size_used_bytes') / 1048576,
    heapCommittedMiB: metric('nodejs_heap_size_total_bytes') / 1048576,
    youngMiB: space('new') / 1048576,
    externalMiB: metric('nodejs_external_memory_bytes') / 1048576,
    handles: metric('nodejs_active_handles_total'),
    fds: (await readdir(`/proc/${pid}/fd`)).length,
    loopP99Ms: metric('nodejs_eventloop_lag_p99_seconds') * 1000,
  };
}

// ---- Traffic -----------------------------------------------------------------------------------
const deadline = Date.now() + SECONDS * 1000;
const running = (): boolean => Date.now() < deadline;

async function http1Loop(): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  while (running()) {
    await new Promise<void>((resolve) => {
      http.get({ host: '127.0.0.1', port: httpPort, path: '/h1', headers: { host: 'web.soak' }, agent }, (res) => {
        res.resume().on('end', () => {
          if (res.statusCode === 200) counts.http1++;
          else unexpected(`http1 status ${res.statusCode}`);
          resolve();
        });
      }).on('error', (error: NodeJS.ErrnoException) => {
        unexpected(`http1 ${error.code ?? error.message}`);
        resolve();
      });
    });
  }
  agent.destroy();
}

async function http2Loop(): Promise<void> {
  let session = http2.connect(`http://127.0.0.1:${httpPort}`);
  session.on('error', () => {});
  while (running()) {
    if (session.closed || session.destroyed) {
      session = http2.connect(`http://127.0.0.1:${httpPort}`);
      session.on('error', () => {});
    }
    await new Promise<void>((resolve) => {
      const stream = session.request({ ':authority': 'web.soak', ':path': '/h2' });
      let status = 0;
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.resume();
      stream.on('end', () => {
        if (status === 200) counts.http2++;
        else unexpected(`http2 status ${status}`);
        resolve();
      });
      stream.on('error', (error: NodeJS.ErrnoException) => {
        unexpected(`http2 ${error.code ?? error.message}`);
        resolve();
      });
    });
  }
  session.close();
}

async function grpcLoop(): Promise<void> {
  const client = new EchoClient(`127.0.0.1:${httpPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'grpc.soak' });
  while (running()) {
    await new Promise<void>((resolve) => {
      (client.Unary as (r: unknown, cb: (e: grpc.ServiceError | null) => void) => void)({ message: 'soak' }, (error) => {
        if (error === null) counts.grpc++;
        else unexpected(`grpc ${grpc.status[error.code]}`);
        resolve();
      });
    });
  }
  client.close();
}

async function websocketLoop(): Promise<void> {
  while (running()) {
    // A WebSocket lives until its endpoint leaves the table (closed with 1001 after the grace period,
    // which is expected) or the soak ends; it echoes a message every 100 ms meanwhile.
    await new Promise<void>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, { headers: { host: 'ws.soak' } });
      let timer: NodeJS.Timeout | null = null;
      let pending = 0;
      socket.on('open', () => {
        timer = setInterval(() => {
          if (!running()) return socket.close(1000);
          if (pending > 5) unexpected('websocket echo missing');
          pending++;
          socket.send('ping');
        }, 100);
      });
      socket.on('message', () => {
        pending = 0;
        counts.websocket++;
      });
      socket.on('close', (code) => {
        if (timer !== null) clearInterval(timer);
        if (code !== 1000 && code !== 1001) unexpected(`websocket close ${code}`);
        resolve();
      });
      socket.on('error', (error: Error) => unexpected(`websocket ${error.message}`));
    });
  }
}

const changes = setInterval(() => {
  routeFlip++;
  counts.routeChanges++;
  void writeRoutes();
  if (routeFlip % (ENDPOINT_CHANGE_MS / ROUTE_CHANGE_MS) === 0) {
    endpointFlip++;
    counts.endpointChanges++;
    void writeServices();
  }
}, ROUTE_CHANGE_MS);

const samples: Sample[] = [await sample('start')];
let loopMaxMs = 0;
const sampler = setInterval(() => {
  void sample('tick').then((s) => (loopMaxMs = Math.max(loopMaxMs, s.loopP99Ms)));
}, 5000);
const middle = setTimeout(() => void sample('middle').then((s) => samples.push(s)), (SECONDS * 1000) / 2);

console.log(`soak: ${SECONDS} s of HTTP/1.1, HTTP/2, gRPC and WebSocket traffic; routes change every 1 s, endpoints every 5 s`);
await Promise.all([
  ...Array.from({ length: HTTP1_CLIENTS }, http1Loop),
  ...Array.from({ length: HTTP2_STREAMS }, http2Loop),
  ...Array.from({ length: GRPC_CALLS }, grpcLoop),
  ...Array.from({ length: WEBSOCKETS }, websocketLoop),
]);
clearInterval(changes);
clearInterval(sampler);
clearTimeout(middle);
// Connections the clients just closed are given a moment to go before the last sample.
await new Promise((resolve) => setTimeout(resolve, 2000));
samples.push(await sample('end'));

console.log('\nrequests:', JSON.stringify(counts));
console.log('unexpected errors:', errors.size === 0 ? 'none' : JSON.stringify(Object.fromEntries(errors)));
console.log('\n| when | RSS MiB | heap used MiB | heap committed MiB | of it young generation MiB | external MiB | active handles | open fds | event-loop p99 ms |\n|---|---|---|---|---|---|---|---|---|');
for (const s of samples) {
  console.log(`| ${s.at} | ${s.rssMiB.toFixed(1)} | ${s.heapMiB.toFixed(1)} | ${s.heapCommittedMiB.toFixed(1)} | ${s.youngMiB.toFixed(1)} | ${s.externalMiB.toFixed(1)} | ${s.handles} | ${s.fds} | ${s.loopP99Ms.toFixed(1)} |`);
}
console.log(`\nevent-loop delay p99, worst 5-second window: ${loopMaxMs.toFixed(1)} ms`);

gateway.child.kill('SIGTERM');
await new Promise((resolve) => gateway.child.once('exit', resolve));
await Promise.all([...webs.map((w) => w.close()), ...grpcServers.map((g) => g.close()), ...wsServers.map((w) => new Promise((r) => w.server.close(r)))]);
await rm(dir, { recursive: true, force: true });
process.exit(errors.size === 0 ? 0 : 1);
