// Per-request cost of the observability observers, in nanoseconds of main-thread time per call:
//   node bench/observability.ts [iterations]
// Not a test and not part of `npm run bench`: a micro benchmark to keep the request-path cost of
// metrics and access logging visible. The access log writes to /dev/null through the same async
// destination as production; lines are written in batches with an event-loop turn between batches,
// so the cost includes serialising, buffering and the write callbacks (the write itself runs on the
// libuv thread pool).
import { Counter, Histogram, Registry } from 'prom-client';
import { pino } from 'pino';
import { GatewayMetrics } from '../src/observability/metrics.ts';
import { AccessLog } from '../src/observability/access-log.ts';
import { combineObservers } from '../src/observability/observers.ts';
import { NO_OBSERVER, type RequestObserver, type RequestRecord } from '../src/proxy/observer.ts';
import { DEFAULT_ROUTE_OPTIONS } from '../src/translate/index.ts';
import type { RouteSpec } from '../src/routing/spec.ts';

const ITERATIONS = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1000;

function makeRoutes(count: number): RouteSpec[] {
  const options = { ...DEFAULT_ROUTE_OPTIONS };
  return Array.from({ length: count }, (_, i) => ({
    id: `shop/web-${i}#0.0`, namespace: 'shop', ingress: `web-${i}`, host: `web-${i}.example.com`, path: '/', kind: 'Prefix' as const,
    backend: `shop/svc-${i}:80`, options, middlewares: [],
  }));
}

/** A realistic mix: 20 routes, mostly GET 200, some POST, 404s without route, a few 502s. */
function makeRecords(): RequestRecord[] {
  const routes = makeRoutes(20);
  const records: RequestRecord[] = [];
  for (let i = 0; i < 1024; i++) {
    const unrouted = i % 50 === 0;
    const failed = i % 97 === 0;
    records.push({
      startTime: Date.now(), durationMs: (i * 7) % 250, clientAddress: '10.1.2.3', method: i % 5 === 0 ? 'POST' : 'GET',
      host: unrouted ? 'unknown.example.com' : routes[i % routes.length]!.host, path: `/api/items/${i}?page=2`, protocol: 'HTTP/1.1',
      status: unrouted ? 404 : failed ? 502 : 200, bytesIn: i % 5 === 0 ? 512 : 0, bytesOut: 2048,
      route: unrouted ? null : routes[i % routes.length]!, upstreamAddress: unrouted ? null : '10.0.0.7:8080', upstreamDurationMs: (i * 5) % 200,
      requestId: `a1b2c3d4e5f6${i.toString(16).padStart(9, '0')}`, error: unrouted ? 'no-route' : failed ? 'upstream-connect' : null,
    });
  }
  return records;
}

/** The straightforward prom-client way, for comparison: label objects hashed on every call. */
function promClientObserver(): RequestObserver {
  const registry = new Registry();
  const requests = new Counter({ name: 'requests_total', help: 'x', labelNames: ['namespace', 'ingress', 'service', 'method', 'code'], registers: [registry] });
  const duration = new Histogram({ name: 'duration_seconds', help: 'x', labelNames: ['namespace', 'ingress', 'service', 'method'], registers: [registry] });
  return {
    enabled: true,
    onRequestEnd(r) {
      const labels = { namespace: r.route?.namespace ?? '', ingress: r.route?.ingress ?? '', service: r.route?.backend ?? '', method: r.method };
      requests.inc({ ...labels, code: String(r.status) });
      duration.observe(labels, r.durationMs / 1000);
    },
  };
}

/** pino's logger.info() with the same fields, for comparison with AccessLog's single JSON.stringify. */
function pinoObserver(): RequestObserver {
  const logger = pino({ base: null }, pino.destination({ dest: '/dev/null', sync: false }));
  return {
    enabled: true,
    onRequestEnd(r) {
      logger.info({
        client: r.clientAddress, method: r.method, host: r.host, path: r.path, protocol: r.protocol, status: r.status, bytesIn: r.bytesIn,
        bytesOut: r.bytesOut, durationMs: r.durationMs, upstream: r.upstreamAddress, upstreamMs: r.upstreamDurationMs,
        route: r.route === null ? null : `${r.route.namespace}/${r.route.ingress}`, routeId: r.route?.id ?? null, requestId: r.requestId, error: r.error,
      });
    },
  };
}

async function measure(name: string, observer: RequestObserver): Promise<void> {
  const records = makeRecords();
  const run = async (iterations: number): Promise<bigint> => {
    let cpu = 0n;
    for (let done = 0; done < iterations; done += BATCH) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < BATCH; i++) observer.onRequestEnd(records[(done + i) & 1023]!);
      cpu += process.hrtime.bigint() - start;
      // Let queued writes and their callbacks run, and count that time too.
      const turn = process.hrtime.bigint();
      await new Promise((resolve) => setImmediate(resolve));
      cpu += process.hrtime.bigint() - turn;
    }
    return cpu;
  };
  await run(Math.min(ITERATIONS, 200_000));
  const elapsed = await run(ITERATIONS);
  console.log(`${name.padEnd(34)} ${(Number(elapsed) / ITERATIONS).toFixed(0).padStart(6)} ns/request`);
}

const metrics = new GatewayMetrics();
const accessLog = new AccessLog({ destination: '/dev/null' });
const sampledLog = new AccessLog({ destination: '/dev/null', sampleRate: 0.1 });
console.log(`${ITERATIONS} requests per case, node ${process.version}`);
await measure('baseline (no observer)', NO_OBSERVER);
await measure('GatewayMetrics', metrics);
await measure('prom-client labels (comparison)', promClientObserver());
await measure('pino logger.info (comparison)', pinoObserver());
await measure('AccessLog', accessLog);
await measure('AccessLog, --access-log-sample 0.1', sampledLog);
await measure('metrics + access log', combineObservers(new GatewayMetrics(), new AccessLog({ destination: '/dev/null' })));
await accessLog.close();
await sampledLog.close();
