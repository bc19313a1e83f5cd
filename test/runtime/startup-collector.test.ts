// takeStartupCollector (src/runtime/startup-garbage.ts) on its own: without --expose-gc there is nothing to
// collect with and nothing changes; with a `gc` on the global object, it is cleared at once and the
// collector calls it in V8's memory-reducing mode. (The real collection in a worker is tested end to end
// in worker-startup-garbage.test.ts.)
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { takeStartupCollector } from '../../src/runtime/startup-garbage.ts';

type Global = { gc?: unknown };

describe('takeStartupCollector', () => {
  afterEach(() => {
    delete (globalThis as Global).gc;
  });

  test('without an exposed gc: null, and the global object is left alone', () => {
    assert.equal(typeof (globalThis as Global).gc, 'undefined');
    assert.equal(takeStartupCollector(), null);
    assert.equal('gc' in globalThis, false);
  });

  test('a gc that is not a function is not taken', () => {
    (globalThis as Global).gc = 'not a function';
    assert.equal(takeStartupCollector(), null);
    assert.equal((globalThis as Global).gc, 'not a function');
  });

  test('with one: the global is cleared at once, and the collector asks for a synchronous last-resort collection', () => {
    const calls: unknown[] = [];
    (globalThis as Global).gc = (options: unknown) => calls.push(options);
    const collect = takeStartupCollector();
    assert.notEqual(collect, null);
    assert.equal((globalThis as Global).gc, undefined, 'no other code can call it');
    assert.equal(calls.length, 0, 'nothing collected before it is asked');
    const report = collect!();
    assert.deepEqual(calls, [{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
    assert.ok(report.rssBeforeMb > 0 && report.rssAfterMb > 0 && report.ms >= 0);
    assert.equal(typeof report.newSpaceMb, 'number');
  });
});
