/** Reading a component's Prometheus series in tests. */
import type { Registry } from 'prom-client';

/** A component's registry: its own, or (a gateway) every shard's gathered as /metrics shows them. */
export type MetricsSource = { registry: Registry } | { metricsRegistry(): Promise<Registry> };

/**
 * The sum of a series' samples matching `labels`, from a component's registry (0 when absent).
 * Histogram parts are named in full: `switchyard_batch_size_rows_count`.
 */
export async function metricValue(source: MetricsSource, name: string, labels: Record<string, string> = {}): Promise<number> {
  const registry = 'registry' in source ? source.registry : await source.metricsRegistry();
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = registry.getSingleMetric(name) ?? registry.getSingleMetric(base);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => ((v as { metricName?: string }).metricName ?? name) === name)
    .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}
