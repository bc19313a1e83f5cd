// The small parts of the status room on their own: the keyed work queue, the token bucket, which
// Ingresses a route table serves, and the uid lookup over the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket, WorkQueue, type WorkResult } from '../../src/status/work-queue.ts';
import { servedIngresses, uidFromStore, defaultIdentity } from '../../src/status/index.ts';
import type { RouteSpec, RouteTableSpec } from '../../src/routing/spec.ts';
import { ObjectStore } from '../../src/store/index.ts';
import type { AnyKubeObject } from '../../src/kube/types.ts';
import { waitFor } from './helpers.ts';

function queue(work: (key: string) => Promise<WorkResult>, errors: unknown[] = []): WorkQueue {
  return new WorkQueue({ concurrency: 2, retryInitialMs: 20, retryMaxMs: 40, work, onError: (_key, e) => errors.push(e) });
}

test('work queue: a waiting key queued many times runs once; queued while running, it runs once more', async () => {
  const runs: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const q = queue(async (key) => {
    runs.push(key);
    if (runs.length <= 2) await gate; // the first two runs ('a', 'x') hold both slots
    return 'done';
  });
  q.add('a');
  q.add('x');
  q.add('a');
  q.add('a'); // 'a' is running: one more run afterwards, not two
  q.add('b');
  q.add('b');
  q.add('b'); // 'b' waits for a slot: it runs once
  assert.deepEqual(runs, ['a', 'x']);
  release();
  await waitFor('queue empty', () => q.size === 0);
  assert.deepEqual(runs.sort(), ['a', 'a', 'b', 'x']);
});

test('work queue: at most `concurrency` keys at once; failures retried with backoff; a throwing worker is reported', async () => {
  let running = 0;
  let most = 0;
  const attempts = new Map<string, number>();
  const errors: unknown[] = [];
  const q = queue(async (key) => {
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    if (key === 'boom' && n === 1) throw new Error('bug');
    return key === 'flaky' && n < 3 ? 'retry' : 'done';
  }, errors);
  for (const key of ['a', 'b', 'c', 'd', 'flaky', 'boom']) q.add(key);
  await waitFor('all done', () => q.size === 0 && attempts.get('flaky') === 3 && attempts.get('boom') === 2);
  assert.equal(most, 2);
  assert.equal(errors.length, 1);
  q.close();
  q.add('after-close');
  assert.equal(q.size, 0);
});

test('token bucket: a burst at once, then the rate; acquire gives up when its signal aborts', async () => {
  // The burst is checked without a clock: each token is asked for with a signal that aborts on the
  // next turn of the event loop, so a token that had to wait for the rate answers false.
  const hourly = new TokenBucket(1 / 3600, 3);
  const acquireNow = (b: TokenBucket): Promise<boolean> => {
    const turn = new AbortController();
    setImmediate(() => turn.abort());
    return b.acquire(turn.signal);
  };
  for (let i = 0; i < 3; i++) assert.equal(await acquireNow(hourly), true, `burst token ${i + 1} is there at once`);
  assert.equal(await acquireNow(hourly), false, 'the fourth token waits for the rate');
  const never = new AbortController().signal;
  // The rate is a lower bound on elapsed time, which a busy machine can only lengthen.
  const bucket = new TokenBucket(20, 1);
  await bucket.acquire(never);
  const started = performance.now();
  await bucket.acquire(never);
  await bucket.acquire(never);
  assert.ok(performance.now() - started >= 90, '2 more at 20/s take about 100 ms');
});

function route(namespace: string, ingress: string): RouteSpec {
  return { id: `${namespace}/${ingress}#0.0`, namespace, ingress, host: '', path: '/', kind: 'Prefix', backend: null, options: {} as RouteSpec['options'], middlewares: [] };
}

test('servedIngresses: every Ingress with a route or the default route, once each', () => {
  const spec: RouteTableSpec = {
    version: 1, backends: {}, certificates: [],
    hosts: [{ host: 'a.example.com', routes: [route('shop', 'web'), route('shop', 'web'), route('blog', 'web')] }, { host: '', routes: [route('shop', 'api')] }],
    defaultRoute: route('ops', 'fallback'),
  };
  assert.deepEqual(servedIngresses(spec).sort(), ['blog/web', 'ops/fallback', 'shop/api', 'shop/web']);
});

test('uidFromStore: finds namespaced and cluster-scoped objects by kind and name', () => {
  const store = new ObjectStore();
  store.upsert('test', { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', metadata: { name: 'web', namespace: 'shop', uid: 'u1' } } as AnyKubeObject);
  store.upsert('test', { kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', metadata: { name: 'tideway', uid: 'u2' } } as AnyKubeObject);
  const lookup = uidFromStore((key) => store.get(key));
  assert.equal(lookup('Ingress', 'shop', 'web'), 'u1');
  assert.equal(lookup('Ingress', 'blog', 'web'), undefined);
  assert.equal(lookup('IngressClass', undefined, 'tideway'), 'u2');
  assert.equal(lookup('File', undefined, 'x'), undefined);
});

test('defaultIdentity: POD_NAME, else hostname and pid', () => {
  assert.equal(defaultIdentity({ POD_NAME: 'tideway-7d9f-abcde' }), 'tideway-7d9f-abcde');
  assert.match(defaultIdentity({}), new RegExp(`-${process.pid}$`));
});
