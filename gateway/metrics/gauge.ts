/** A gauge series: the last value set. */
import type { Registry } from 'prom-client';
import { MetricFamily, type Labels, type Sample, type Series } from './metric-family.js';

export class GaugeSeries implements Series {
  private value = 0;

  constructor(readonly labels: Labels) {}

  set(value: number): void {
    this.value = value;
  }

  exportTo(samples: Sample[]): void {
    samples.push({ value: this.value, labels: this.labels });
  }
}

export class GaugeFamily extends MetricFamily<GaugeSeries> {
  constructor(registry: Registry, name: string, help: string) {
    super(registry, name, help, 'gauge', (labels) => new GaugeSeries(labels));
  }
}
