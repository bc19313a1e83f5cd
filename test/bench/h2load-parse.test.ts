// h2load's report (real output of nghttp2 1.52) and its per-request log, as the harness reads them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { H2loadParseError, latencyFromLog, parseH2loadOutput } from '../../bench/h2load.ts';

const OUTPUT = readFileSync(new URL('./fixtures/h2load-output.txt', import.meta.url), 'utf8');

describe('parseH2loadOutput', () => {
  it('reads rate, requests, duration and failures', () => {
    assert.deepEqual(parseH2loadOutput(OUTPUT), { requestsPerSec: 35765, requests: 71530, durationSec: 2, failed: 0, non2xx3xx: 0 });
  });

  it('counts failed, errored and timed-out requests, and 4xx/5xx answers', () => {
    const bad = OUTPUT
      .replace('71530 succeeded, 0 failed, 0 errored, 0 timeout', '71500 succeeded, 10 failed, 15 errored, 5 timeout')
      .replace('71530 2xx, 0 3xx, 0 4xx, 0 5xx', '71400 2xx, 0 3xx, 100 4xx, 30 5xx');
    const parsed = parseH2loadOutput(bad);
    assert.equal(parsed.failed, 30);
    assert.equal(parsed.non2xx3xx, 130);
  });

  it('names the missing line', () => {
    assert.throws(() => parseH2loadOutput('starting benchmark...\n'), (e: unknown) => e instanceof H2loadParseError && /finished in/.test(e.message));
    assert.throws(() => parseH2loadOutput(OUTPUT.replace(/^status codes:.*$/m, '')), /status codes/);
  });
});

describe('latencyFromLog', () => {
  it('percentiles in milliseconds from microsecond durations', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `17957559143374${i}\t200\t${(i + 1) * 1000}`).join('\n');
    assert.deepEqual(latencyFromLog(`${lines}\n`), { p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it('refuses an empty log', () => {
    assert.throws(() => latencyFromLog(''), H2loadParseError);
  });
});
