/** Node's process metrics on a registry, minus three prom-client gauges whose `_total` names promtool rejects. */
import { collectDefaultMetrics, type Registry } from 'prom-client';

const MISNAMED_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_GAUGES) registry.removeSingleMetric(name);
}
