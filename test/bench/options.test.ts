// The harness's flags: defaults, --quick, filters, and errors that name the flag and the bad value.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions, UsageError, type Options } from '../../bench/options.ts';
import { SCENARIOS } from '../../bench/scenarios.ts';

function parsed(args: string[]): Options {
  const o = parseOptions(args);
  assert.notEqual(o, 'help');
  return o as Options;
}

describe('parseOptions', () => {
  it('defaults to every scenario and proxy, 10 s runs, 3 s warm-up, 2 rounds', () => {
    const o = parsed([]);
    assert.deepEqual(o.scenarios, SCENARIOS);
    assert.deepEqual(o.proxies, ['tideway', 'nginx']);
    assert.deepEqual([o.durationSec, o.warmupSec, o.rounds, o.retries, o.maxOtherCpu, o.quietWaitSec], [10, 3, 2, 2, 0.1, 120]);
    assert.match(o.tidewayEntry, /\/bin\/tideway\.js$/);
    assert.match(o.resultsDir, /\/bench\/results$/);
  });

  it('--quick shortens everything, and explicit flags still win', () => {
    const quick = parsed(['--quick']);
    assert.deepEqual([quick.durationSec, quick.warmupSec, quick.rounds], [3, 2, 1]);
    assert.equal(parsed(['--quick', '--duration', '5']).durationSec, 5);
  });

  it('filters scenarios and proxies, once each', () => {
    const o = parsed(['--scenario', 'get-64k', '--scenario', 'get-64k', '--proxy', 'nginx']);
    assert.deepEqual(o.scenarios.map((s) => s.name), ['get-64k']);
    assert.deepEqual(o.proxies, ['nginx']);
  });

  it('accepts 0 for --warmup, --retries and --quiet-wait', () => {
    const o = parsed(['--warmup', '0', '--retries', '0', '--quiet-wait', '0']);
    assert.equal(o.warmupSec, 0);
    assert.equal(o.retries, 0);
    assert.equal(o.quietWaitSec, 0);
  });

  it('answers help for -h and --help', () => {
    assert.equal(parseOptions(['-h']), 'help');
    assert.equal(parseOptions(['--help']), 'help');
  });

  it('rejects bad values naming the flag and the value', () => {
    const cases: [string[], RegExp][] = [
      [['--duration', '0'], /--duration: expected a positive integer, got "0"/],
      [['--duration', '1.5'], /--duration: expected a positive integer, got "1.5"/],
      [['--rounds', 'two'], /--rounds: expected a positive integer, got "two"/],
      [['--warmup=-1'], /--warmup: expected a non-negative integer, got "-1"/],
      [['--warmup', '-1'], /argument is ambiguous/],
      [['--max-other-cpu', ''], /--max-other-cpu: expected a positive number, got ""/],
      [['--quiet-wait', 'forever'], /--quiet-wait: expected a non-negative integer, got "forever"/],
      [['--scenario', 'get-1m'], /--scenario: unknown "get-1m" \(known: small-get, get-64k, post-16k/],
      [['--proxy', 'envoy'], /--proxy: unknown "envoy" \(known: tideway, nginx\)/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--duration'], /--duration/],
    ];
    for (const [args, message] of cases) {
      assert.throws(() => parseOptions(args), (e: unknown) => e instanceof UsageError && message.test(e.message), args.join(' '));
    }
  });
});
