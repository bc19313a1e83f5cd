// The harness's command line: flags, defaults, and clear errors for bad values.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { MeasureSettings } from './measure.ts';
import { PROXY_NAMES, SCENARIOS, type ProxyName, type Scenario } from './scenarios.ts';
import { DEFAULT_ENTRY, REPO_ROOT } from './tideway.ts';

export const USAGE = `usage: npm run bench -- [options]

  --duration <s>        measured run length in seconds (default 10)
  --warmup <s>          warm-up run before each measured run, discarded (default 3)
  --rounds <n>          rounds of Tideway, nginx, Tideway, nginx ...; medians are reported (default 2)
  --scenario <name>     run only this scenario (repeatable): ${SCENARIOS.map((s) => s.name).join(', ')}
  --proxy <name>        measure only this proxy (repeatable): ${PROXY_NAMES.join(', ')}
  --quick               smoke run: 3 s runs, 2 s warm-up, 1 round
  --retries <n>         repeat a run disturbed by other processes up to n times (default 2)
  --max-other-cpu <f>   CPU share (1 = one core) other processes may use before a run counts as disturbed (default 0.1)
  --quiet-wait <s>      longest wait for a quiet second before each run; then it measures anyway (default 120, 0: no wait)
  --tideway-entry <js>  gateway entry point (default bin/tideway.js)
  --results-dir <dir>   where the JSON result goes (default bench/results)
  -h, --help            this text`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Options extends MeasureSettings {
  scenarios: Scenario[];
  proxies: ProxyName[];
  tidewayEntry: string;
  resultsDir: string;
}

interface NumberRule {
  integer: boolean;
  /** whether 0 is allowed */
  zero: boolean;
}

function numberFlag(name: string, raw: string | undefined, fallback: number, rule: NumberRule): number {
  if (raw === undefined) return fallback;
  const value = raw.trim() === '' ? NaN : Number(raw);
  const ok = Number.isFinite(value) && (rule.zero ? value >= 0 : value > 0) && (!rule.integer || Number.isInteger(value));
  if (!ok) {
    const kind = `${rule.zero ? 'non-negative' : 'positive'} ${rule.integer ? 'integer' : 'number'}`;
    throw new UsageError(`--${name}: expected a ${kind}, got "${raw}"`);
  }
  return value;
}

const COUNT: NumberRule = { integer: true, zero: false };
const COUNT_OR_ZERO: NumberRule = { integer: true, zero: true };

export function parseOptions(argv: readonly string[]): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        rounds: { type: 'string' },
        scenario: { type: 'string', multiple: true },
        proxy: { type: 'string', multiple: true },
        quick: { type: 'boolean' },
        retries: { type: 'string' },
        'max-other-cpu': { type: 'string' },
        'quiet-wait': { type: 'string' },
        'tideway-entry': { type: 'string' },
        'results-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return 'help';
  const quick = values.quick === true;
  const names = [...new Set(values.scenario ?? SCENARIOS.map((s) => s.name))];
  const scenarios = names.map((name) => {
    const found = SCENARIOS.find((s) => s.name === name);
    if (!found) throw new UsageError(`--scenario: unknown "${name}" (known: ${SCENARIOS.map((s) => s.name).join(', ')})`);
    return found;
  });
  const proxies = [...new Set(values.proxy ?? PROXY_NAMES)].map((name) => {
    if (!(PROXY_NAMES as readonly string[]).includes(name)) throw new UsageError(`--proxy: unknown "${name}" (known: ${PROXY_NAMES.join(', ')})`);
    return name as ProxyName;
  });
  return {
    durationSec: numberFlag('duration', values.duration, quick ? 3 : 10, COUNT),
    warmupSec: numberFlag('warmup', values.warmup, quick ? 2 : 3, COUNT_OR_ZERO),
    rounds: numberFlag('rounds', values.rounds, quick ? 1 : 2, COUNT),
    retries: numberFlag('retries', values.retries, 2, COUNT_OR_ZERO),
    maxOtherCpu: numberFlag('max-other-cpu', values['max-other-cpu'], 0.1, { integer: false, zero: false }),
    quietWaitSec: numberFlag('quiet-wait', values['quiet-wait'], 120, COUNT_OR_ZERO),
    scenarios,
    proxies,
    tidewayEntry: resolve(values['tideway-entry'] ?? DEFAULT_ENTRY),
    resultsDir: resolve(values['results-dir'] ?? join(REPO_ROOT, 'bench', 'results')),
  };
}
