/**
 * The reference for test/gateway/metrics.test.ts: GatewayMetrics as it was before its hot series went lean,
 * every series a plain prom-client Counter, Histogram or Gauge. Kept as it was on purpose: what the lean one
 * prints is checked against it.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { GatewayEvents, Outcome } from '../../gateway/events.js';
import type { Protocol, Role } from '../../gateway/inference/types.js';
import type { ShadowObserver, ShadowOutcome } from '../../gateway/routing/shadow-mirror.js';
import type { PublisherObserver } from '../../gateway/publishing/record-publisher.js';

export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export class PromClientGatewayMetrics implements GatewayEvents, ShadowObserver, PublisherObserver {
  private readonly requests: Counter<'model' | 'version' | 'role' | 'protocol' | 'status'>;
  private readonly requestDuration: Histogram<'model' | 'version' | 'role' | 'protocol'>;
  private readonly queueDuration: Histogram<'model' | 'version'>;
  private readonly computeDuration: Histogram<'model' | 'version' | 'provider'>;
  private readonly batchSize: Histogram<'model' | 'version'>;
  private readonly batches: Counter<'model' | 'version'>;
  private readonly busySeconds: Counter<'model' | 'version'>;
  private readonly queueDepth: Gauge<'model' | 'version'>;
  private readonly inflight: Gauge<'model' | 'version'>;
  private readonly shadowRequests: Counter<'model' | 'primary_version' | 'version' | 'outcome'>;
  private readonly recordsPublishedTotal: Counter<'sink'>;
  private readonly recordsDroppedTotal: Counter<'sink'>;
  private readonly recordInputsOverBudgetTotal: Counter;
  private readonly recordBuffer: Gauge<'sink'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({ name: 'switchyard_requests_total', help: 'Inference requests by outcome (OK or an SY_ERR_* code).', labelNames: ['model', 'version', 'role', 'protocol', 'status'], registers });
    this.requestDuration = new Histogram({ name: 'switchyard_request_duration_seconds', help: 'Time from request decoded to response ready, successful requests.', labelNames: ['model', 'version', 'role', 'protocol'], buckets: LATENCY_BUCKETS, registers });
    this.queueDuration = new Histogram({ name: 'switchyard_queue_duration_seconds', help: 'Time a request waited in the batcher queue before its batch was dispatched.', labelNames: ['model', 'version'], buckets: LATENCY_BUCKETS, registers });
    this.computeDuration = new Histogram({ name: 'switchyard_compute_duration_seconds', help: 'ONNX Runtime run time per batch.', labelNames: ['model', 'version', 'provider'], buckets: LATENCY_BUCKETS, registers });
    this.batchSize = new Histogram({ name: 'switchyard_batch_size_rows', help: 'Rows per ONNX run.', labelNames: ['model', 'version'], buckets: BATCH_BUCKETS, registers });
    this.batches = new Counter({ name: 'switchyard_batches_total', help: 'ONNX runs.', labelNames: ['model', 'version'], registers });
    this.busySeconds = new Counter({ name: 'switchyard_worker_busy_seconds_total', help: 'Seconds workers spent in ONNX runs; divide its rate by switchyard_model_instances for utilisation.', labelNames: ['model', 'version'], registers });
    this.queueDepth = new Gauge({ name: 'switchyard_queue_depth_requests', help: 'Requests waiting in the batcher queue.', labelNames: ['model', 'version'], registers });
    this.inflight = new Gauge({ name: 'switchyard_inflight_batches', help: 'Batches handed to workers and not yet returned.', labelNames: ['model', 'version'], registers });
    this.shadowRequests = new Counter({ name: 'switchyard_shadow_requests_total', help: 'Mirrored requests by outcome: agree/disagree with the primary answer, failed, or shed under load.', labelNames: ['model', 'primary_version', 'version', 'outcome'], registers });
    this.recordsPublishedTotal = new Counter({ name: 'switchyard_records_published_total', help: 'Prediction and feedback records the monitor sink confirmed.', labelNames: ['sink'], registers });
    this.recordInputsOverBudgetTotal = new Counter({ name: 'switchyard_record_inputs_over_budget_total', help: 'Predictions recorded without their inputs because more requests per second were sampled than --record-inputs-per-second allows.', registers });
    this.recordsDroppedTotal = new Counter({ name: 'switchyard_records_dropped_total', help: 'Records dropped because the publisher buffer was full (monitor away or slow) or at shutdown.', labelNames: ['sink'], registers });
    this.recordBuffer = new Gauge({ name: 'switchyard_record_buffer_records', help: 'Records waiting in the publisher buffer.', labelNames: ['sink'], registers });
  }

  requestFinished(protocol: Protocol, model: string, version: string, role: Role | '', outcome: Outcome, seconds: number): void {
    this.requests.inc({ model, version, role, protocol, status: outcome });
    if (outcome === 'OK') this.requestDuration.observe({ model, version, role, protocol }, seconds);
  }

  shadowFinished(model: string, primaryVersion: string, shadowVersion: string, outcome: ShadowOutcome): void {
    this.shadowRequests.inc({ model, primary_version: primaryVersion, version: shadowVersion, outcome });
  }

  batchExecuted(model: string, version: string, provider: string, rows: number, queueSeconds: readonly number[], computeSeconds: number): void {
    const labels = { model, version };
    for (const s of queueSeconds) this.queueDuration.observe(labels, s);
    this.computeDuration.observe({ model, version, provider }, computeSeconds);
    this.batchSize.observe(labels, rows);
    this.batches.inc(labels);
    this.busySeconds.inc(labels, computeSeconds);
  }

  queueDepthChanged(model: string, version: string, depth: number): void {
    this.queueDepth.set({ model, version }, depth);
  }

  inflightChanged(model: string, version: string, batches: number): void {
    this.inflight.set({ model, version }, batches);
  }

  recordsPublished(sink: string, records: number): void {
    this.recordsPublishedTotal.inc({ sink }, records);
  }

  recordInputsOverBudget(requests: number): void {
    this.recordInputsOverBudgetTotal.inc(requests);
  }

  recordsDropped(sink: string, records: number): void {
    this.recordsDroppedTotal.inc({ sink }, records);
  }

  bufferDepth(sink: string, records: number): void {
    this.recordBuffer.set({ sink }, records);
  }
}
