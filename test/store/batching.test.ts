import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ObjectStore } from '../../src/store/index.ts';
import type { BatchOptions, ClusterState } from '../../src/store/index.ts';
import { service } from './fixtures.ts';

interface Delivery { state: ClusterState; at: number }

/** Subscribes and records every delivery with its time; `next()` waits for the next one, bounded. */
function record(store: ObjectStore, options?: BatchOptions) {
  const deliveries: Delivery[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = store.subscribe((state) => {
    deliveries.push({ state, at: performance.now() });
    wake?.();
  }, options);
  const next = async (count: number, deadlineMs = 5000): Promise<Delivery> => {
    const deadline = performance.now() + deadlineMs;
    while (deliveries.length < count) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for delivery ${count}; got ${deliveries.length}`);
      await Promise.race([new Promise<void>((resolve) => { wake = resolve; }), sleep(left)]);
    }
    return deliveries[count - 1]!;
  };
  return { deliveries, next, unsubscribe };
}

const unsubscribers: (() => void)[] = [];
afterEach(() => { for (const u of unsubscribers.splice(0)) u(); });

describe('ObjectStore change batching', () => {
  it('delivers a burst of changes once, after it has been quiet for debounceMs', async () => {
    const store = new ObjectStore();
    const rec = record(store, { debounceMs: 40 });
    unsubscribers.push(rec.unsubscribe);
    for (let i = 0; i < 5; i++) store.upsert('k', service('s', `svc-${i}`));
    const lastChange = performance.now();
    const delivery = await rec.next(1);
    assert.ok(delivery.at - lastChange >= 38, `delivered ${delivery.at - lastChange} ms after the last change`);
    assert.equal(delivery.state.services.length, 5, 'one delivery carries the whole burst');
    await sleep(80);
    assert.equal(rec.deliveries.length, 1, 'no further delivery without a change');
  });

  it('delivers within maxDelayMs of the first change even while changes never stop', async () => {
    const store = new ObjectStore();
    const rec = record(store, { debounceMs: 50, maxDelayMs: 200 });
    unsubscribers.push(rec.unsubscribe);
    let i = 0;
    const firstChange = performance.now();
    store.upsert('k', service('s', `svc-${i++}`));
    const churn = setInterval(() => store.upsert('k', service('s', `svc-${i++}`)), 10);
    try {
      const delivery = await rec.next(1, 2000);
      const waited = delivery.at - firstChange;
      assert.ok(waited >= 198, `delivered after ${waited} ms, before the max delay`);
      assert.ok(waited < 600, `delivered after ${waited} ms, far past the 200 ms max delay`);
      const second = await rec.next(2, 2000);
      assert.ok(second.at - delivery.at < 600, 'churn keeps being delivered about every maxDelayMs');
      assert.ok(second.state.services.length > delivery.state.services.length);
    } finally {
      clearInterval(churn);
    }
  });

  it('flush() delivers pending changes at once and cancels the timer', async () => {
    const store = new ObjectStore();
    const rec = record(store, { debounceMs: 10_000 });
    unsubscribers.push(rec.unsubscribe);
    store.flush();
    assert.equal(rec.deliveries.length, 0, 'nothing pending, nothing delivered');
    store.upsert('k', service('s', 'web'));
    store.flush();
    assert.equal(rec.deliveries.length, 1);
    assert.equal(rec.deliveries[0]!.state.services.length, 1);
    store.flush();
    assert.equal(rec.deliveries.length, 1, 'a flush delivers a change only once');
  });

  it('gives every subscriber its own debounce and the same snapshot', async () => {
    const store = new ObjectStore();
    const fast = record(store, { debounceMs: 5 });
    const slow = record(store, { debounceMs: 10_000 });
    unsubscribers.push(fast.unsubscribe, slow.unsubscribe);
    store.upsert('k', service('s', 'web'));
    await fast.next(1);
    assert.equal(slow.deliveries.length, 0);
    store.flush();
    assert.equal(slow.deliveries[0]!.state, fast.deliveries[0]!.state);
  });

  it('stops delivering after unsubscribe', async () => {
    const store = new ObjectStore();
    const rec = record(store, { debounceMs: 5 });
    rec.unsubscribe();
    store.upsert('k', service('s', 'web'));
    store.flush();
    assert.equal(rec.deliveries.length, 0);
  });

  it('still delivers to the other listeners when one throws in flush(), then rethrows', () => {
    const store = new ObjectStore();
    unsubscribers.push(store.subscribe(() => { throw new Error('listener bug'); }));
    const rec = record(store);
    unsubscribers.push(rec.unsubscribe);
    store.upsert('k', service('s', 'web'));
    assert.throws(() => store.flush(), /listener bug/);
    assert.equal(rec.deliveries.length, 1);
  });

  it('leaves no timer running once nothing is pending', async (t) => {
    const live = new Set<unknown>();
    const realSetTimeout = globalThis.setTimeout;
    const realClearTimeout = globalThis.clearTimeout;
    t.mock.method(globalThis, 'setTimeout', (fn: () => void, ms: number) => {
      const handle = realSetTimeout(() => { live.delete(handle); fn(); }, ms);
      live.add(handle);
      return handle;
    });
    t.mock.method(globalThis, 'clearTimeout', (handle: NodeJS.Timeout) => {
      live.delete(handle);
      realClearTimeout(handle);
    });
    const store = new ObjectStore();
    let delivered = 0;
    const unsubscribe = store.subscribe(() => { delivered++; }, { debounceMs: 5 });
    store.upsert('k', service('s', 'a'));
    assert.equal(live.size, 1, 'a pending change arms one timer');
    for (let i = 0; i < 20; i++) store.upsert('k', service('s', `b${i}`));
    assert.equal(live.size, 1, 'more changes re-arm no timer');
    const deadline = performance.now() + 5000;
    while (delivered === 0 && performance.now() < deadline) await new Promise((r) => realSetTimeout(r, 5));
    assert.equal(delivered, 1);
    assert.equal(live.size, 0, 'no timer after delivery');

    store.upsert('k', service('s', 'c'));
    store.flush();
    assert.equal(live.size, 0, 'no timer after flush');
    store.upsert('k', service('s', 'd'));
    unsubscribe();
    assert.equal(live.size, 0, 'no timer after unsubscribe');
  });

  it('rejects a negative or non-finite debounce', () => {
    const store = new ObjectStore();
    assert.throws(() => store.subscribe(() => {}, { debounceMs: -1 }), /debounceMs must be a finite number >= 0, got -1/);
    assert.throws(() => store.subscribe(() => {}, { maxDelayMs: Number.NaN }), /maxDelayMs must be a finite number >= 0, got NaN/);
  });
});
