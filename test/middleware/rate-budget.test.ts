// Rate limits hold per gateway instance, not per worker: the buckets live in one place (the primary)
// and workers lease tokens from them; "cluster" limits divide the budget by the ready replicas of
// Tideway's own Service. Unit tests of the pieces, then a real 2-worker gateway and a replica-aware one.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { BucketBank, LeasedBudget, type RateLimitSpec } from '../../src/middleware/index.ts';
import type { RateDecision } from '../../src/middleware/builtin/token-bucket.ts';
import { readyReplicas } from '../../src/translate/index.ts';
import type { EndpointSlice } from '../../src/kube/types.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { startWorkersCli, type CliProcess } from '../support/cli-process.ts';

const limit = (over: Partial<RateLimitSpec> = {}): RateLimitSpec => ({ id: 'test', requestsPerSecond: 10, burst: 10, maxKeys: 1000, perReplica: false, ...over });

function slice(name: string, namespace: string, service: string, endpoints: { ip: string; ready?: boolean; pod?: string }[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
      ...(e.pod === undefined ? {} : { targetRef: { kind: 'Pod', namespace, name: e.pod } }),
    })),
    ports: [{ name: 'http', port: 8080 }],
  };
}


describe('instance budget building blocks', () => {
  test('the bank grants batches, never more than the bucket holds', () => {
    const bank = new BucketBank();
    const first = { ...bank.take(limit(), 'k', 4) };
    assert.equal(first.granted, 4);
    assert.equal(bank.take(limit(), 'k', 100).granted, 6);
    assert.equal(bank.take(limit(), 'k', 1).allowed, false);
  });

  test('a cluster limit is divided by the ready replicas, read at decision time', () => {
    let replicas = 2;
    const bank = new BucketBank(() => replicas);
    const spec = limit({ perReplica: true });
    assert.equal(bank.take(spec, 'k', 100).granted, 5);
    replicas = 5;
    assert.equal(bank.take(spec, 'k', 100).granted, 2);
    replicas = 20; // a burst smaller than the replicas still lets one request through per replica
    assert.equal(bank.take(spec, 'k', 100).granted, 1);
    assert.equal(bank.take(limit(), 'other', 100).granted, 10, 'a local limit is not divided');
  });

  test('two workers leasing from one bank admit one budget between them', async () => {
    const bank = new BucketBank();
    const workers: LeasedBudget[] = [];
    for (let i = 0; i < 2; i++) {
      const worker: LeasedBudget = new LeasedBudget((lease) => setImmediate(() => worker.onGrant(bank.grant(lease))), 2);
      workers.push(worker);
    }
    const spec = limit({ requestsPerSecond: 0.001, burst: 10 }); // no refill during the test
    const decisions: RateDecision[] = [];
    await Promise.all(Array.from({ length: 40 }, async (_, i) => decisions.push(await workers[i % 2]!.take(spec, 'client'))));
    assert.equal(decisions.filter((d) => d.allowed).length, 10);
    // Refusals are remembered: no new lease until the Retry-After.
    const refused = workers[0]!.take(spec, 'client');
    assert.ok(!(refused instanceof Promise) && !refused.allowed);
  });

  test('ready replicas: ready endpoints of the Service, pods counted once across slices', () => {
    const slices = ([
      slice('tw-v4', 'ingress', 'tideway', [{ ip: '10.0.0.1', pod: 'a' }, { ip: '10.0.0.2', pod: 'b' }, { ip: '10.0.0.3', pod: 'c', ready: false }]),
      slice('tw-v6', 'ingress', 'tideway', [{ ip: 'fd00::1', pod: 'a' }, { ip: 'fd00::2', pod: 'b' }]),
      slice('other', 'ingress', 'web', [{ ip: '10.0.1.1' }]),
      slice('elsewhere', 'other-ns', 'tideway', [{ ip: '10.0.2.1' }]),
    ]);
    assert.equal(readyReplicas(slices, 'ingress/tideway'), 2);
    assert.equal(readyReplicas(slices, 'ingress/web'), 1);
    assert.equal(readyReplicas(slices, 'ingress/missing'), null);
  });
});

/** Sends `total` requests over fresh connections (spread over workers by the kernel), `concurrency` at a time. */
async function burst(port: number, host: string, total: number, concurrency: number): Promise<{ ok: number; limited: number; ms: number }> {
  let ok = 0;
  let limited = 0;
  let sent = 0;
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < total) {
      sent++;
      const res = await request(port, { headers: { host } });
      if (res.status === 200) ok++;
      else if (res.status === 429) limited++;
      else throw new Error(`unexpected ${res.status}`);
    }
  }));
  return { ok, limited, ms: Date.now() - started };
}

describe('one budget per instance with 2 workers', () => {
  let dir: string;
  let backend: TestBackend;
  let cli: CliProcess;
  let httpPort: number;

  before(async () => {
    backend = await startBackend('b');
    dir = await mkdtemp(path.join(tmpdir(), 'tideway-rate-'));
    await writeFile(path.join(dir, 'class.yaml'), ingressClassYaml());
    await writeFile(path.join(dir, 'svc.yaml'), serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }));
    await writeFile(path.join(dir, 'ing.yaml'), ingressYaml({
      name: 'web', host: 'limited.test', paths: [{ path: '/', service: 'web' }],
      // One bucket for everyone (the key is the route), so the count does not depend on client addresses.
      annotations: { 'tideway.dev/rate-limit-rps': '10', 'tideway.dev/rate-limit-burst': '10', 'tideway.dev/rate-limit-key': 'route' },
    }));
    ({ cli, httpPort } = await startWorkersCli(dir, 20_000));
  });
  after(async () => {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('rate-limit-rps 10 admits about 10 a second across both workers, not 20', async (t) => {
    const result = await burst(httpPort, 'limited.test', 300, 8);
    // The budget over the run: the burst, plus what refilled while it ran.
    const budget = 10 + (10 * result.ms) / 1000;
    t.diagnostic(`admitted ${result.ok} of 300 in ${result.ms} ms (budget ${budget.toFixed(1)}; per-worker buckets would allow ${(2 * budget).toFixed(1)})`);
    assert.ok(result.ok <= budget + 1, `admitted ${result.ok}, more than the instance budget ${budget.toFixed(1)}`);
    assert.ok(result.ok >= budget * 0.7, `admitted ${result.ok}, far below the budget ${budget.toFixed(1)}: leases are stranding tokens`);
    assert.equal(result.ok + result.limited, 300);
  });
});

describe('cluster mode: the budget divided by ready replicas', () => {
  let gw: RunningGateway;
  let backend: TestBackend;
  let dir: string;
  const tidewaySlice = (ready: number): string => stringify(slice('tideway-abc', 'ingress', 'tideway', Array.from({ length: ready + 1 }, (_, i) => ({ ip: `10.0.0.${i + 1}`, pod: `tideway-${i}`, ready: i < ready }))));

  before(async () => {
    backend = await startBackend('b');
    dir = await mkdtemp(path.join(tmpdir(), 'tideway-replicas-'));
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', backend.port]] }),
      'tideway.yaml': tidewaySlice(2),
      'ing.yaml': [
        ingressYaml({ name: 'shared', host: 'shared.test', paths: [{ path: '/', service: 'web' }], annotations: { 'tideway.dev/rate-limit-rps': '0.01', 'tideway.dev/rate-limit-burst': '10', 'tideway.dev/rate-limit-key': 'route', 'tideway.dev/rate-limit-store': 'cluster' } }),
        ingressYaml({ name: 'bad', host: 'bad.test', paths: [{ path: '/', service: 'web' }], annotations: { 'tideway.dev/rate-limit-rps': '10', 'tideway.dev/rate-limit-store': 'global' } }),
      ].join('---\n'),
    }, ['--publish-service', 'ingress/tideway']);
  });
  after(async () => {
    await gw.close();
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('2 ready replicas of 3 listed: each admits half the burst; 1 replica: the whole burst', async () => {
    assert.equal(gw.gateway.control.replicas, 2);
    const halved = await burst(gw.port, 'shared.test', 20, 1);
    assert.equal(halved.ok, 5);
    await gw.writeManifest('tideway.yaml', tidewaySlice(1));
    assert.equal(gw.gateway.control.replicas, 1);
    const whole = await burst(gw.port, 'shared.test', 20, 1);
    assert.equal(whole.ok, 10, 'a new replica count gives the limit fresh buckets at the new share');
  });

  test('an unknown store in the annotation is an error naming it, and the route fails closed', async () => {
    const diagnostic = gw.gateway.currentDiagnostics.find((d) => d.field?.includes('rate-limit-store'));
    assert.ok(diagnostic, 'no diagnostic for rate-limit-store');
    assert.match(diagnostic.message, /global/);
    assert.equal((await request(gw.port, { headers: { host: 'bad.test' } })).status, 500);
  });
});
