// Endpoints scaled up and down through EndpointSlice updates while four request loops run against the
// gateway in cluster mode: no request may fail. A backend leaves the way a pod does: first it is
// removed from the slice, and only once the snapshot without it is served does it shut down, after
// answering what it still has in flight (graceful close).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { KubeApiServer } from '../support/kube-api/index.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { kube, startClusterGateway } from '../support/cluster-gateway.ts';

const NS = 'shop';
const HOST = 'scale.example.com';
const BACKEND_KEY = `${NS}/web:80`;
/** Each backend answers /slow after this long, so that requests are in flight when it is removed. */
const SLOW_MS = 120;

interface Pod {
  backend: TestBackend;
  address: string;
  inFlight: number;
  answered: number;
}

async function startPods(count: number): Promise<Pod[]> {
  const pods: Pod[] = [];
  let port = 0;
  for (let i = 0; i < count; i++) {
    // Distinct loopback addresses, one port: as pods behind a Service.
    const address = `127.0.0.${10 + i}`;
    const backend = await startBackend(`pod-${i}`, {}, { host: address, port });
    port = backend.port;
    const pod: Pod = { backend, address, inFlight: 0, answered: 0 };
    backend.handler = (req, res) => {
      pod.inFlight++;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': backend.name });
        res.end(backend.name);
        pod.inFlight--;
        pod.answered++;
      }, req.url === '/slow' ? SLOW_MS : 0);
    };
    pods.push(pod);
  }
  return pods;
}

/** One client loop on its own keep-alive connection, until stopped. */
function requestLoop(port: number, path: string, failures: string[], counts: Map<string, number>): { stop(): Promise<void> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let running = true;
  const done = (async () => {
    while (running) {
      const result = await new Promise<string>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path, agent, headers: { host: HOST } }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(res.statusCode === 200 ? String(res.headers['x-backend']) : `HTTP ${res.statusCode}: ${body.trim()}`));
          res.on('error', (e) => resolve(`response error: ${e.message}`));
        });
        req.on('error', (e) => resolve(`request error: ${e.message}`));
      });
      if (result.startsWith('pod-')) counts.set(result, (counts.get(result) ?? 0) + 1);
      else failures.push(result);
    }
    agent.destroy();
  })();
  return { stop: async () => { running = false; await done; } };
}

test('EndpointSlice updates add and remove backends during a request stream with no failed request', async (t) => {
  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  await api.start();
  t.after(() => api.close());
  const pods = await startPods(5);
  t.after(() => Promise.all(pods.map((p) => p.backend.close())));
  const port = pods[0]!.backend.port;
  const setSlice = (members: Pod[]) => api.apply(kube.endpointSlice(NS, 'web-a', 'web', port, members.map((p) => p.address)));

  api.create(kube.ingressClass('tideway'));
  api.create(kube.service(NS, 'web'));
  setSlice([pods[0]!]);
  api.create(kube.ingress(NS, 'web', HOST, [{ path: '/', service: 'web' }]));
  const gw = await startClusterGateway(api);
  t.after(() => gw.close());
  const served = (): string[] => (gw.gateway.registry.backends.get(BACKEND_KEY)?.endpoints ?? []).map((e) => e.spec.address).sort();
  await gw.until('pod-0 serves', async () => (await gw.get(HOST)).headers['x-backend'] === 'pod-0');

  const failures: string[] = [];
  const counts = new Map<string, number>();
  const loops = [
    requestLoop(gw.port, '/', failures, counts), requestLoop(gw.port, '/', failures, counts),
    requestLoop(gw.port, '/slow', failures, counts), requestLoop(gw.port, '/slow', failures, counts),
  ];
  const inSlice = new Set<Pod>([pods[0]!]);
  const answeredBefore = new Map<Pod, number>();

  const scaleUp = async (pod: Pod): Promise<void> => {
    inSlice.add(pod);
    answeredBefore.set(pod, pod.answered);
    setSlice([...inSlice]);
    await gw.until(`${pod.backend.name} takes traffic`, () => pod.answered > answeredBefore.get(pod)! + 3);
  };
  const scaleDown = async (pod: Pod): Promise<void> => {
    // Removed while it has requests in flight, as a pod that gets its SIGTERM mid-request.
    await gw.until(`${pod.backend.name} has a request in flight`, () => pod.inFlight > 0);
    inSlice.delete(pod);
    setSlice([...inSlice]);
    const expected = [...inSlice].map((p) => p.address).sort();
    await gw.until(`the snapshot without ${pod.backend.name} is served`, () => JSON.stringify(served()) === JSON.stringify(expected));
    // Then it shuts down gracefully: no new connections, in-flight requests answered, idle ones closed.
    await new Promise<void>((resolve) => pod.backend.server.close(() => resolve()));
    assert.equal(pod.inFlight, 0);
  };

  await scaleUp(pods[1]!);
  await scaleUp(pods[2]!);
  await scaleDown(pods[0]!);
  await scaleUp(pods[3]!);
  await scaleDown(pods[1]!);
  await scaleUp(pods[4]!);
  await scaleDown(pods[2]!);
  await scaleDown(pods[3]!);
  // Keep streaming a moment on the last pod alone.
  const last = pods[4]!.answered;
  await gw.until('pod-4 alone serves', () => pods[4]!.answered > last + 10);
  await Promise.all(loops.map((l) => l.stop()));

  assert.deepEqual(failures, [], `failed requests: ${failures.slice(0, 5).join('; ')}`);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  assert.ok(total > 40, `only ${total} requests went through`);
  for (const pod of pods) assert.ok((counts.get(pod.backend.name) ?? 0) > 0, `${pod.backend.name} served nothing`);
  assert.deepEqual(served(), [pods[4]!.address]);
});
