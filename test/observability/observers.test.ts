import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineObservers } from '../../src/observability/index.ts';
import { NO_OBSERVER, type RequestObserver, type RequestRecord } from '../../src/proxy/observer.ts';
import { record } from './records.ts';

function recording(name: string, calls: string[], enabled = true): RequestObserver {
  return { enabled, onRequestEnd: (r: RequestRecord) => void calls.push(`${name}:${r.requestId}`) };
}

test('no enabled observer combines to NO_OBSERVER, so the proxy skips building records', () => {
  assert.equal(combineObservers(), NO_OBSERVER);
  assert.equal(combineObservers(null, undefined, NO_OBSERVER, recording('off', [], false)), NO_OBSERVER);
  assert.equal(combineObservers().enabled, false);
});

test('a single enabled observer is returned as is (no extra call per request)', () => {
  const only = recording('a', []);
  assert.equal(combineObservers(null, only, NO_OBSERVER), only);
});

test('several observers are all called, in order, with the same record', () => {
  const calls: string[] = [];
  const combined = combineObservers(recording('metrics', calls), recording('disabled', calls, false), recording('log', calls));
  assert.equal(combined.enabled, true);
  combined.onRequestEnd(record({ requestId: '1' }));
  combined.onRequestEnd(record({ requestId: '2' }));
  assert.deepEqual(calls, ['metrics:1', 'log:1', 'metrics:2', 'log:2']);
});
