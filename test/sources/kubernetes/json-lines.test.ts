// Watch line splitting and backoff, on their own: the edge cases a real stream produces rarely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonLines } from '../../../src/sources/kubernetes/json-lines.ts';
import { backoffDelay } from '../../../src/sources/kubernetes/backoff.ts';
import { KubeBadResponseError } from '../../../src/kube/errors.ts';

async function collect(chunks: Buffer[]): Promise<{ events: unknown[]; data: number }> {
  const events: unknown[] = [];
  let data = 0;
  for await (const e of jsonLines((async function* () { yield* chunks; })(), () => data++)) events.push(e);
  return { events, data };
}

test('lines split across chunks, even inside a multi-byte character, are joined', async () => {
  const text = Buffer.from('{"type":"ADDED","object":{"n":"café"}}\n\n{"type":"BOOKMARK"}\n');
  const cut = text.indexOf(0xa9); // second byte of "é"
  const { events, data } = await collect([text.subarray(0, 5), text.subarray(5, cut), text.subarray(cut)]);
  assert.deepEqual(events, [{ type: 'ADDED', object: { n: 'café' } }, { type: 'BOOKMARK' }]);
  assert.equal(data, 3, 'every chunk counts as activity');
});

test('a line cut off by the end of the stream is dropped, not parsed', async () => {
  const { events } = await collect([Buffer.from('{"type":"ADDED"}\n{"type":"MODIFIED","obj')]);
  assert.deepEqual(events, [{ type: 'ADDED' }]);
});

test('a complete line that is not JSON is an error naming the line', async () => {
  await assert.rejects(collect([Buffer.from('{"type":"ADDED"}\n<html>oops</html>\n')]),
    (err: Error) => err instanceof KubeBadResponseError && /watch event is not JSON: "<html>oops<\/html>"/.test(err.message));
});

test('backoff doubles from the initial delay up to the maximum, with jitter in the upper half', () => {
  const options = { initialMs: 100, maxMs: 1000 };
  assert.equal(backoffDelay(1, options, () => 0), 50);
  assert.equal(backoffDelay(1, options, () => 1), 100);
  assert.equal(backoffDelay(3, options, () => 1), 400);
  assert.equal(backoffDelay(10, options, () => 1), 1000);
  assert.equal(backoffDelay(10, options, () => 0), 500);
});
