/**
 * A metric whose series are plain objects the caller keeps and updates directly, so recording one costs no lookup
 * by label object (prom-client's own metrics hash the label object on every call). The family lists
 * its series in the order they were made — prom-client's order — and hands them to a prom-client Registry as a
 * metric object it accepts: `get()` returns what `getMetricsAsJSON()` and `AggregatorRegistry.aggregate` expect.
 */
import type { Metric, Registry } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

/** One exported sample, as prom-client's `get()` writes it (histogram parts carry `metricName` and `le`). */
export interface Sample {
  value: number;
  labels: Readonly<Record<string, string | number>>;
  metricName?: string;
}

/** What the Registry reads. prom-client's typings say `type` is a numeric enum; at run time it is this name. */
export interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

export interface Series {
  /** Appends this series' samples. */
  exportTo(samples: Sample[]): void;
}

export class MetricFamily<S extends Series> {
  /** Shards' series are summed on the main thread's /metrics page. */
  readonly aggregator = 'sum';
  private readonly series: S[] = [];

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    readonly type: MetricSnapshot['type'],
    private readonly create: (labels: Labels) => S,
  ) {
    // The Registry only reads name, type, aggregator and get(); its typings list prom-client's own classes.
    registry.registerMetric(this as unknown as Metric);
  }

  /** A new series for `labels` (once per label set: the caller keeps it). */
  add(labels: Labels): S {
    const series = this.create(labels);
    this.series.push(series);
    return series;
  }

  async get(): Promise<MetricSnapshot> {
    const values: Sample[] = [];
    for (const series of this.series) series.exportTo(values);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
