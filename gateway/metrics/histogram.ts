/**
 * A histogram series: a count per bucket, their sum and count. Exported as prom-client does: cumulative
 * `_bucket` samples labelled `le` (the bound as a number, `+Inf` last) before the series' own labels, then
 * `_sum` and `_count`.
 */
import type { Registry } from 'prom-client';
import { MetricFamily, type Labels, type Sample, type Series } from './metric-family.js';

/** What every series of one histogram shares. */
interface HistogramLayout {
  /** Upper bounds, ascending. */
  readonly bounds: readonly number[];
  readonly bucketName: string;
  readonly sumName: string;
  readonly countName: string;
}

export class HistogramSeries implements Series {
  /** Observations per bucket, not cumulative; the +Inf bucket is `count`. Float64: exact up to 2^53, where 32 bits would wrap. */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly labels: Labels,
    private readonly layout: HistogramLayout,
  ) {
    this.counts = new Float64Array(layout.bounds.length);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`a histogram observes finite numbers, not ${value}`);
    // Linear from the bottom: latencies mostly land in the first few buckets.
    const { bounds } = this.layout;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    if (i < bounds.length) this.counts[i]++;
    this.sum += value;
    this.count++;
  }

  exportTo(samples: Sample[]): void {
    const { bounds, bucketName, sumName, countName } = this.layout;
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += this.counts[i];
      samples.push({ value: cumulative, labels: { le: bounds[i], ...this.labels }, metricName: bucketName });
    }
    samples.push(
      { value: this.count, labels: { le: '+Inf', ...this.labels }, metricName: bucketName },
      { value: this.sum, labels: this.labels, metricName: sumName },
      { value: this.count, labels: this.labels, metricName: countName },
    );
  }
}

export class HistogramFamily extends MetricFamily<HistogramSeries> {
  constructor(registry: Registry, name: string, help: string, bounds: readonly number[]) {
    const layout: HistogramLayout = { bounds: [...bounds], bucketName: `${name}_bucket`, sumName: `${name}_sum`, countName: `${name}_count` };
    super(registry, name, help, 'histogram', (labels) => new HistogramSeries(labels, layout));
  }
}
