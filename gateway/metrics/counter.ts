/** A counter series: a total that only goes up. */
import type { Registry } from 'prom-client';
import { MetricFamily, type Labels, type Sample, type Series } from './metric-family.js';

export class CounterSeries implements Series {
  private value = 0;

  constructor(readonly labels: Labels) {}

  inc(by = 1): void {
    if (!(by >= 0 && by < Infinity)) throw new RangeError(`a counter grows by a finite number ≥ 0, not ${by}`);
    this.value += by;
  }

  exportTo(samples: Sample[]): void {
    samples.push({ value: this.value, labels: this.labels });
  }
}

export class CounterFamily extends MetricFamily<CounterSeries> {
  constructor(registry: Registry, name: string, help: string) {
    super(registry, name, help, 'counter', (labels) => new CounterSeries(labels));
  }
}
