// Metric families whose values live in Tideway's own counters and are read only at scrape time.
// prom-client's Counter and Histogram hash the label object on every inc()/observe() (even through
// a labels() child), which is too slow for once-per-request use. The request path instead bumps plain
// numbers (see request-series.ts); a CollectedMetric turns them into prom-client's metric shape when
// /metrics is read, so the registry still does the text format and cluster aggregation.
import type { Registry } from 'prom-client';

export type Labels = Record<string, string | number>;

/** One sample as prom-client's registry and AggregatorRegistry expect it. */
export interface Sample {
  value: number;
  labels: Labels;
  /** Set for histogram parts: name_bucket, name_sum, name_count. */
  metricName?: string;
}

export interface CollectedMetricConfig {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** How AggregatorRegistry merges workers: "sum" (default) for counters, histograms and additive gauges. */
  aggregator?: 'sum' | 'max' | 'min' | 'first' | 'average';
  collect: () => Sample[];
}

/** Quacks like a prom-client metric (name, get(), reset()), which is all Registry.registerMetric needs. */
export class CollectedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: string;
  private readonly collect: () => Sample[];

  constructor(config: CollectedMetricConfig, registry: Registry) {
    this.name = config.name;
    this.help = config.help;
    this.type = config.type;
    this.aggregator = config.aggregator ?? 'sum';
    this.collect = config.collect;
    // The registry's type says Metric, a class; the registry itself only reads the fields above.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.collect() };
  }

  /** Counters here are monotonic for the life of the process; Registry.resetMetrics() does not apply. */
  reset(): void {}
}

/** Bucket counts of one label set; observe() is a short linear scan, cheaper than a binary search at this size. */
export class HistogramData {
  readonly bounds: readonly number[];
  /** counts[i] for bounds[i], counts[bounds.length] for +Inf; not cumulative. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Appends the _bucket (cumulative), _sum and _count samples of this label set. */
  appendSamples(name: string, labels: Labels, out: Sample[]): void {
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i]!;
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: this.bounds[i]! }, value: cumulative });
    }
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: this.count });
    out.push({ metricName: `${name}_sum`, labels, value: this.sum });
    out.push({ metricName: `${name}_count`, labels, value: this.count });
  }
}
