/**
 * The gateway's own counters, scraped from its Prometheus /metrics at the
 * edges of a measured window: ONNX runs and the rows they carried (mean
 * batch size), worker busy time (utilisation), and the mean time a request
 * spent in the inference service, waiting in the batcher queue, and a batch
 * in ORT — so the client's latency can be split into transport and service.
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
  switchyard_batches_total: 'batches',
  switchyard_batch_size_rows_sum: 'rows',
  switchyard_worker_busy_seconds_total: 'busySeconds',
  switchyard_request_duration_seconds_sum: 'serviceSeconds',
  switchyard_request_duration_seconds_count: 'serviceCount',
  switchyard_queue_duration_seconds_sum: 'queueSeconds',
  switchyard_queue_duration_seconds_count: 'queueCount',
  switchyard_compute_duration_seconds_sum: 'computeSeconds',
  switchyard_compute_duration_seconds_count: 'computeCount',
};

export async function scrapeBatchCounters(metricsUrl: string, model: string): Promise<GatewayCounters | undefined> {
  let text: string;
  try {
    const res = await fetch(metricsUrl);
    if (!res.ok) return undefined;
    text = await res.text();
  } catch {
    return undefined;
  }
  const counters: GatewayCounters = { batches: 0, rows: 0, busySeconds: 0, serviceSeconds: 0, serviceCount: 0, queueSeconds: 0, queueCount: 0, computeSeconds: 0, computeCount: 0 };
  const label = `model="${model}"`;
  for (const line of text.split('\n')) {
    if (!line.startsWith('switchyard_') || !line.includes(label)) continue;
    const key = SERIES[line.slice(0, line.indexOf('{'))];
    if (key) counters[key] += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counters;
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
