// SIGTERM ends the process within the drain timeout plus 2 s in every state of the control plane: a
// full status queue, an API server that answers slowly (as a real one under load), watches that cannot
// reconnect. The real `tideway` CLI with two workers, against the API test server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeApiServer } from '../support/kube-api/index.ts';
import { kube } from '../support/cluster-gateway.ts';
import { adminStatus, startCli, waitFor } from '../support/cli-process.ts';
import { closedPort } from '../support/ports.ts';

const DRAIN_MS = 1000;
const LIMIT_MS = DRAIN_MS + 2000;
const INGRESSES = 1500;

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tideway-shutdown-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function startLeader(api: KubeApiServer): Promise<{ stop(): Promise<number> }> {
  const kubeconfig = path.join(dir, `kubeconfig-${api.port}`);
  await writeFile(kubeconfig, api.kubeconfig());
  const adminPort = await closedPort();
  const cli = startCli([
    '--kubeconfig', kubeconfig, '--http-port', '0', '--admin-port', String(adminPort), '--bind-address', '127.0.0.1',
    '--admin-address', '127.0.0.1', '--workers', '2', '--publish-address', '203.0.113.7', '--drain-timeout', `${DRAIN_MS}ms`,
    '--log-level', 'info', '--access-log', 'off',
  ]);
  try {
    await waitFor(async () => (await adminStatus(adminPort, '/readyz')) === 200, 60_000, `readiness\n${cli.output()}`);
    // Leader, and writing status: the queue holds most of the Ingresses (20 writes per second).
    await waitFor(() => api.count({ verb: 'patch', resource: 'ingresses', subresource: 'status' }) >= 10, 30_000, `status writes\n${cli.output()}`);
  } catch (error) {
    cli.child.kill('SIGKILL');
    throw error;
  }
  return {
    async stop() {
      const started = Date.now();
      cli.child.kill('SIGTERM');
      const code = await Promise.race([cli.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000))]);
      if (code === 'hung') cli.child.kill('SIGKILL');
      assert.equal(code, 0, `exit code\n${cli.output().slice(-2000)}`);
      return Date.now() - started;
    },
  };
}

function seed(api: KubeApiServer): void {
  api.create(kube.ingressClass('tideway', true));
  for (let i = 0; i < INGRESSES; i++) api.create(kube.ingress('shop', `web-${i}`, `web-${i}.example.com`, [{ path: '/', service: 'web' }]));
}

test('SIGTERM with a full status queue and a slow API server exits within the drain timeout + 2 s', async () => {
  const api = new KubeApiServer();
  await api.start();
  seed(api);
  try {
    const leader = await startLeader(api);
    // The API server turns slow: every Lease call and status write now takes 4 s to answer.
    api.slowDown(4000, { resource: 'leases' });
    api.slowDown(4000, { resource: 'ingresses', subresource: 'status' });
    const took = await leader.stop();
    assert.ok(took <= LIMIT_MS, `exited after ${took} ms, limit ${LIMIT_MS} ms`);
  } finally {
    await api.close();
  }
});

test('SIGTERM while the API server is gone (watches reconnecting) exits within the drain timeout + 2 s', async () => {
  const api = new KubeApiServer();
  await api.start();
  seed(api);
  try {
    const leader = await startLeader(api);
    await api.stop();
    const took = await leader.stop();
    assert.ok(took <= LIMIT_MS, `exited after ${took} ms, limit ${LIMIT_MS} ms`);
  } finally {
    await api.close();
  }
});
