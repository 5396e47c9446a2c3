/**
 * One row of `npm run bench`'s results (`runs` in loadtest/results/latest.json),
 * built from a measured window, a raw ONNX Runtime batch figure or the
 * open-loop step. Field names are the JSON's.
 */
import type { MeasuredWindow } from './bench-client.js';
import type { LoadClientName } from './client-window.js';
import type { LoadStepResult } from './load-step.js';
import type { RawOrtResult } from './raw-ort.js';

export type ServerTarget = 'transport-echo-http' | 'transport-echo-grpc' | 'naive-http' | 'switchyard-http-json' | 'switchyard-http-binary' | 'switchyard-grpc';
export type BenchTarget = 'raw-ort' | ServerTarget;

export interface BenchRun {
  target: BenchTarget;
  model: string;
  mode: 'closed' | 'open';
  /** Closed loop: requests in flight (raw-ort: 1, one run at a time). */
  concurrency?: number;
  /** Open loop: requests scheduled per second. */
  rate?: number;
  /** raw-ort only: rows per session.run. */
  batch?: number;
  /** Connections the requests in flight shared (h2load: 1 = all multiplexed on one). */
  connections?: number;
  rows_per_s: number;
  requests_per_s: number;
  p50_us: number | null;
  p99_us: number | null;
  p90_us?: number | null;
  p999_us?: number | null;
  max_us?: number | null;
  errors: Record<string, number>;
  /** What drove it; raw-ort: its own Node process, running the session back to back. */
  client: LoadClientName;
  /** raw-ort: the process's CPU per row at this batch size. */
  cpu_us_per_row?: number;
  /** switchyard-*: rows per ONNX run over the window, from the gateway's /metrics. */
  mean_batch?: number | null;
  /** switchyard-*: CPU of all the gateway's threads over the window per row answered. */
  gateway_cpu_us_per_row?: number | null;
  /** transport-echo-*, naive-http: the server's CPU per row (request) answered. */
  server_cpu_us_per_row?: number | null;
  /** Cores busy with other processes meanwhile: noise when well above 0. */
  other_cores?: number | null;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const perRow = (cpuSeconds: number | undefined, rows: number): number | null => (cpuSeconds === undefined || rows === 0 ? null : round1((cpuSeconds * 1e6) / rows));
const cores = (n: number | undefined): number | null => (n === undefined ? null : Math.round(n * 100) / 100);

/** Raw ORT: one row per batch size; the single-row latency goes on the batch-1 row. */
export function rawRuns(model: string, raw: RawOrtResult): BenchRun[] {
  return raw.batches.map((b) => ({
    target: 'raw-ort',
    model,
    mode: 'closed',
    concurrency: 1,
    batch: b.batch,
    rows_per_s: b.rowsPerSecond,
    requests_per_s: Math.round(b.rowsPerSecond / b.batch),
    p50_us: b.batch === 1 ? raw.singleRow.p50Us : null,
    p99_us: b.batch === 1 ? raw.singleRow.p99Us : null,
    errors: {},
    client: 'node',
    cpu_us_per_row: b.cpuUsPerRow,
    other_cores: cores(raw.backgroundCores),
  }));
}

/** A closed-loop step of single-row requests. */
export function closedRun(target: ServerTarget, model: string, concurrency: number, w: MeasuredWindow): BenchRun {
  const switchyard = target.startsWith('switchyard-');
  return {
    target,
    model,
    mode: 'closed',
    concurrency,
    connections: w.connections,
    rows_per_s: Math.round(w.requests / w.seconds),
    requests_per_s: Math.round(w.requests / w.seconds),
    p50_us: w.p50Us,
    p99_us: w.p99Us,
    p90_us: w.p90Us,
    p999_us: w.p999Us,
    max_us: w.maxUs,
    errors: w.errors,
    client: w.client,
    ...(switchyard
      ? { mean_batch: w.meanBatch === undefined ? null : round1(w.meanBatch), gateway_cpu_us_per_row: perRow(w.serverCpuSeconds, w.requests) }
      : { server_cpu_us_per_row: perRow(w.serverCpuSeconds, w.requests) }),
    other_cores: cores(w.otherCores),
  };
}

/** The open-loop step (Node client, HTTP binary) on the gateway. */
export function openRun(model: string, step: LoadStepResult): BenchRun {
  const has = step.latency.count > 0;
  return {
    target: 'switchyard-http-binary',
    model,
    mode: 'open',
    rate: step.rate!,
    connections: step.connections,
    rows_per_s: Math.round(step.rowsPerSecond),
    requests_per_s: Math.round(step.requestsPerSecond),
    p50_us: has ? step.latency.p50Us : null,
    p99_us: has ? step.latency.p99Us : null,
    p90_us: has ? step.latency.p90Us : null,
    p999_us: has ? step.latency.p999Us : null,
    max_us: has ? step.latency.maxUs : null,
    errors: step.errors,
    client: 'node',
    mean_batch: step.batch ? round1(step.batch.meanBatchRows) : null,
    gateway_cpu_us_per_row: perRow(step.serverCpuSeconds, step.requests),
    other_cores: cores(step.backgroundCores),
  };
}
