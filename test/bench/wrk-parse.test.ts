// The wrk report parser, fed wrk's real output captured on the benchmark machine (test/bench/fixtures).
// A parser that misread a unit or a line would silently report wrong numbers, so every figure is checked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseWrkOutput, WrkParseError } from '../../bench/wrk.ts';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseWrkOutput', () => {
  it('reads throughput, the latency distribution in microseconds and the totals of a GET run', () => {
    const r = parseWrkOutput(fixture('wrk-small-get.txt'));
    assert.equal(r.requestsPerSec, 107667.26);
    assert.deepEqual(r.latencyMs, { p50: 0.477, p75: 0.482, p90: 0.509, p99: 0.671 });
    assert.equal(r.latencyMaxMs, 1.04);
    assert.equal(r.requests, 215427);
    assert.equal(r.durationSec, 2);
    assert.deepEqual(r.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 });
    assert.equal(r.non2xx3xx, 0);
  });

  it('reads a POST run made with bench/request.lua', () => {
    const r = parseWrkOutput(fixture('wrk-post-16k.txt'));
    assert.equal(r.requestsPerSec, 122191.77);
    assert.deepEqual(r.latencyMs, { p50: 0.366, p75: 0.464, p90: 0.524, p99: 0.68 });
    assert.equal(r.latencyMaxMs, 3.26);
    assert.equal(r.requests, 256618);
    assert.equal(r.durationSec, 2.1);
  });

  it('converts percentiles printed in seconds and in milliseconds', () => {
    const slow = parseWrkOutput(fixture('wrk-seconds.txt'));
    assert.deepEqual(slow.latencyMs, { p50: 1110, p75: 1110, p90: 1110, p99: 1110 });
    assert.equal(slow.latencyMaxMs, 1110);
    assert.equal(slow.requestsPerSec, 2.66);
    assert.equal(slow.requests, 8);
    assert.equal(slow.durationSec, 3.01);
    // "99%    1.00ms" next to microsecond lines
    assert.equal(parseWrkOutput(fixture('wrk-non2xx.txt')).latencyMs.p99, 1);
  });

  it('counts responses that were not 2xx or 3xx', () => {
    const r = parseWrkOutput(fixture('wrk-non2xx.txt'));
    assert.equal(r.non2xx3xx, 111775);
    assert.equal(r.requests, 111775);
    assert.equal(r.requestsPerSec, 101608.19);
  });

  it('reads socket errors', () => {
    const r = parseWrkOutput(fixture('wrk-timeouts.txt'));
    assert.deepEqual(r.socketErrors, { connect: 0, read: 0, write: 0, timeout: 4 });
    assert.equal(r.latencyMs.p99, 0);
    assert.equal(r.requestsPerSec, 1.33);
  });

  it('rejects output without a report (wrk could not connect)', () => {
    assert.throws(() => parseWrkOutput(fixture('wrk-refused.txt')), (e: unknown) => {
      assert.ok(e instanceof WrkParseError);
      assert.match(e.message, /Requests\/sec/);
      assert.match(e.message, /Connection refused/, 'the error carries the output');
      return true;
    });
  });

  it('rejects a report without the latency distribution (run without --latency)', () => {
    const withoutDistribution = fixture('wrk-small-get.txt').replace(/ {2}Latency Distribution\n(?: {5}\d+%.*\n)+/, '');
    assert.doesNotMatch(withoutDistribution, /Distribution/);
    assert.throws(() => parseWrkOutput(withoutDistribution), /--latency/);
  });

  it('rejects a distribution that lacks the 99% line', () => {
    const truncated = fixture('wrk-small-get.txt').replace(/^ {5}99%.*\n/m, '');
    assert.throws(() => parseWrkOutput(truncated), /no 99% line/);
  });

  it('rejects a latency with a unit wrk does not print', () => {
    const odd = fixture('wrk-small-get.txt').replace('50%  477.00us', '50%  477.00ns');
    assert.throws(() => parseWrkOutput(odd), /no 50% line/);
  });
});
