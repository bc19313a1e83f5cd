// Medians, ratios, warnings and the table: the arithmetic between wrk's numbers and the printed report.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunRecord } from '../../bench/measure.ts';
import { coefficientOfVariation, formatRoles, formatTable, median, summarizeScenario, warningsFor } from '../../bench/report.ts';
import { SCENARIOS } from '../../bench/scenarios.ts';

const smallGet = SCENARIOS.find((s) => s.name === 'small-get')!;

function run(proxy: 'tideway' | 'nginx', rps: number, p99: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    proxy,
    round: 1,
    attempt: 1,
    disturbed: false,
    kept: true,
    cpuUsPerRequest: proxy === 'tideway' ? 50 : 20,
    load: {
      requestsPerSec: rps,
      latencyMs: { p50: p99 / 2, p99 },
      requests: rps * 10,
      failures: 0,
      raw: {
        requestsPerSec: rps,
        latencyMs: { p50: p99 / 2, p75: p99 / 2, p90: p99 / 2, p99 },
        latencyMaxMs: p99,
        requests: rps * 10,
        durationSec: 10,
        socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
        non2xx3xx: 0,
      },
    },
    side: {
      intervals: [rps, rps, rps, rps].map((r) => ({ rps: r, otherCpu: 0, others: [] })),
      otherCpu: 0,
      upstreamConnections: 3,
      cpuBusy: { cpu0: 0.9, cpu1: 1 },
      steal: 0,
    },
    ...extra,
  };
}

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([10, 20]), 15);
    assert.equal(median([5]), 5);
    assert.ok(Number.isNaN(median([])));
  });
});

describe('coefficientOfVariation', () => {
  it('is 0 for a steady series and grows with the spread', () => {
    assert.equal(coefficientOfVariation([5, 5, 5]), 0);
    assert.ok(Math.abs(coefficientOfVariation([5000, 13000]) - 0.6285) < 1e-3);
  });
});

describe('summarizeScenario', () => {
  it('reports medians per proxy and Tideway/nginx ratios', () => {
    const s = summarizeScenario(smallGet, [
      run('tideway', 10_000, 4),
      run('nginx', 40_000, 2),
      run('tideway', 12_000, 6),
      run('nginx', 44_000, 2),
    ]);
    assert.equal(s.proxies.tideway?.rps, 11_000);
    assert.equal(s.proxies.tideway?.p99Ms, 5);
    assert.equal(s.proxies.nginx?.rps, 42_000);
    assert.equal(s.proxies.tideway?.runs, 2);
    assert.ok(s.ratios);
    assert.ok(Math.abs(s.ratios.throughput - 11_000 / 42_000) < 1e-12);
    assert.equal(s.ratios.p99, 2.5);
    assert.equal(s.ratios.cpu, 20 / 50, 'nginx CPU per request over Tideway CPU per request');
  });

  it('leaves out runs that were repeated because they were disturbed', () => {
    const s = summarizeScenario(smallGet, [
      run('tideway', 1_000, 50, { disturbed: true, kept: false }),
      run('tideway', 10_000, 4, { attempt: 2 }),
      run('nginx', 40_000, 2),
    ]);
    assert.equal(s.proxies.tideway?.rps, 10_000);
    assert.equal(s.proxies.tideway?.runs, 1);
  });

  it('has no ratios when one proxy was not measured', () => {
    const s = summarizeScenario(smallGet, [run('nginx', 40_000, 2)]);
    assert.equal(s.ratios, undefined);
    assert.equal(s.proxies.tideway, undefined);
  });

  it('keeps the largest memory sample of the runs, and per process role the largest process', () => {
    const withMemory = (rss: number, hwm: number, workers: number[]): RunRecord => {
      const r = run('tideway', 10_000, 4);
      r.side.memory = { rssMaxKiB: rss, hwmKiB: hwm, processes: [{ role: 'primary', rssMaxKiB: 70_000, privateMaxKiB: 25_000 }, ...workers.map((w) => ({ role: 'worker', rssMaxKiB: w, privateMaxKiB: w - 50_000 }))] };
      return r;
    };
    const s = summarizeScenario(smallGet, [withMemory(80_000, 90_000, [60_000, 66_000]), withMemory(85_000, 88_000, [64_000])]);
    assert.deepEqual(s.proxies.tideway?.memory, {
      rssMaxKiB: 85_000,
      hwmKiB: 90_000,
      byRole: [{ role: 'primary', processes: 1, rssMaxKiB: 70_000, privateMaxKiB: 25_000 }, { role: 'worker', processes: 2, rssMaxKiB: 66_000, privateMaxKiB: 16_000 }],
    });
    assert.equal(formatRoles(s.proxies.tideway!.memory!.byRole), 'primary 68.4 MiB (24.4 private), worker 64.5 MiB (15.6 private; largest of 2)');
  });
});

describe('warningsFor', () => {
  it('names failed requests, disturbed runs, unsteady throughput, stolen CPU and unpooled upstream connections', () => {
    const bad = run('tideway', 10_000, 4, { disturbed: true });
    bad.load.failures = 7;
    bad.side.intervals = [9_000, 13_000, 5_000, 13_000, 5_000, 9_000].map((rps) => ({ rps, otherCpu: 0.5, others: [] }));
    bad.side.upstreamConnections = 5_000;
    bad.side.steal = 0.2;
    const warnings = warningsFor(summarizeScenario(smallGet, [bad, run('nginx', 40_000, 2)]), 50);
    assert.equal(warnings.length, 5);
    assert.match(warnings[0]!, /small-get\/tideway: 7 requests failed/);
    assert.match(warnings[1]!, /still disturbed/);
    assert.match(warnings[2]!, /throughput varied within a run/);
    assert.match(warnings[3]!, /hypervisor stole 20% of a CPU/);
    assert.match(warnings[4]!, /5000 upstream connections/);
  });

  it('is silent for clean runs', () => {
    assert.deepEqual(warningsFor(summarizeScenario(smallGet, [run('tideway', 10_000, 4), run('nginx', 40_000, 2)]), 50), []);
  });
});

describe('formatTable', () => {
  it('prints one row per proxy, the ratios on the scenario row, numbers right-aligned', () => {
    const table = formatTable([summarizeScenario(smallGet, [run('tideway', 12_345.6, 10.2), run('nginx', 27_000, 4.9)])]);
    const lines = table.split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^scenario\s+proxy\s+req\/s\s+p50 ms\s+p99 ms\s+CPU µs\/req\s+runs\s+req\/s ratio\s+p99 ratio\s+CPU ratio$/);
    assert.match(lines[1]!, /^small-get\s+tideway\s+12,346\s+5\.10\s+10\.20\s+50\.0\s+1\s+0\.46\s+2\.08\s+0\.40$/);
    assert.match(lines[2]!, /^\s+nginx\s+27,000\s+2\.45\s+4\.90\s+20\.0\s+1$/);
    assert.equal(lines[1]!.indexOf('12,346') + '12,346'.length, lines[2]!.indexOf('27,000') + '27,000'.length);
  });
});
