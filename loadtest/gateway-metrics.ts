/**
 * The gateway's own counters, scraped from its Prometheus /metrics at the
 * edges of a measured window: ONNX runs and the rows they carried (mean
 * batch size), worker busy time (utilisation), the mean time a request
 * spent in the inference service, waiting in the batcher queue, and a batch
 * in ORT — so the client's latency can be split into transport and service —
 * and requests by outcome (which calls failed, where the client cannot tell:
 * a gRPC status is a trailer h2load never reads). Each figure is summed over
 * every label set of the model (versions, roles, shards).
 */
export interface GatewayCounters {
  batches: number;
  rows: number;
  busySeconds: number;
  serviceSeconds: number;
  serviceCount: number;
  queueSeconds: number;
  queueCount: number;
  computeSeconds: number;
  computeCount: number;
}

export interface BatchStats {
  meanBatchRows: number;
  /** Worker busy seconds per wall second, summed over instances. */
  workerBusy: number;
  /** Mean time from request decoded to answer ready (service → batcher → worker → back), µs. */
  meanServiceUs: number;
  /** Mean time a request waited in the batcher queue, µs. */
  meanQueueUs: number;
  /** Mean ORT run time per batch, inside the worker, µs. */
  meanComputeUs: number;
}

const SERIES: Record<string, keyof GatewayCounters> = {
  switchyard_batch_size_rows_count: 'batches',
  switchyard_batch_size_rows_sum: 'rows',
  switchyard_worker_busy_seconds_total: 'busySeconds',
  switchyard_request_duration_seconds_sum: 'serviceSeconds',
  switchyard_request_duration_seconds_count: 'serviceCount',
  switchyard_queue_duration_seconds_sum: 'queueSeconds',
  switchyard_queue_duration_seconds_count: 'queueCount',
  switchyard_compute_duration_seconds_sum: 'computeSeconds',
  switchyard_compute_duration_seconds_count: 'computeCount',
};

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments and blank lines skipped). */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const close = line.lastIndexOf('}');
    const name = brace < 0 ? line.slice(0, line.indexOf(' ')) : line.slice(0, brace);
    const labels: Record<string, string> = {};
    if (brace >= 0) {
      for (const [, key, value] of line.slice(brace + 1, close).matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = Number(line.slice((brace < 0 ? name.length : close + 1)).trim().split(' ')[0]);
    samples.push({ name, labels, value });
  }
  return samples;
}

export async function fetchMetrics(metricsUrl: string): Promise<MetricSample[] | undefined> {
  try {
    const res = await fetch(metricsUrl);
    return res.ok ? parseMetrics(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

export function batchCounters(samples: readonly MetricSample[], model: string): GatewayCounters {
  const counters: GatewayCounters = { batches: 0, rows: 0, busySeconds: 0, serviceSeconds: 0, serviceCount: 0, queueSeconds: 0, queueCount: 0, computeSeconds: 0, computeCount: 0 };
  for (const s of samples) {
    const key = SERIES[s.name];
    if (key && s.labels['model'] === model) counters[key] += s.value;
  }
  return counters;
}

/** `switchyard_requests_total` of one model and protocol, by its `status` label (OK or an SY_ERR_* code). */
export function requestOutcomes(samples: readonly MetricSample[], model: string, protocol: string): Record<string, number> {
  const outcomes: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== 'switchyard_requests_total' || s.labels['model'] !== model || s.labels['protocol'] !== protocol) continue;
    const status = s.labels['status'] ?? 'unknown';
    outcomes[status] = (outcomes[status] ?? 0) + s.value;
  }
  return outcomes;
}

export async function scrapeBatchCounters(metricsUrl: string, model: string): Promise<GatewayCounters | undefined> {
  const samples = await fetchMetrics(metricsUrl);
  return samples && batchCounters(samples, model);
}

export function batchStats(before: GatewayCounters | undefined, after: GatewayCounters | undefined, seconds: number): BatchStats | undefined {
  if (!before || !after) return undefined;
  const d = (key: keyof GatewayCounters): number => after[key] - before[key];
  const mean = (sum: keyof GatewayCounters, count: keyof GatewayCounters): number => (d(count) > 0 ? Math.round((d(sum) / d(count)) * 1e7) / 10 : 0);
  return {
    meanBatchRows: d('batches') > 0 ? d('rows') / d('batches') : 0,
    workerBusy: d('busySeconds') / seconds,
    meanServiceUs: mean('serviceSeconds', 'serviceCount'),
    meanQueueUs: mean('queueSeconds', 'queueCount'),
    meanComputeUs: mean('computeSeconds', 'computeCount'),
  };
}
