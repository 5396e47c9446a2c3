/**
 * Turns a shard's events into Prometheus series on a registry it is given
 * (the main thread adds its own, control-metrics, and sums the shards').
 * Units are in the names; latency series are histograms so p50/p99 can be
 * aggregated across shards and replicas.
 *
 * Every event walks a tree of label values (./metrics/) to the series objects it
 * updates in place, where prom-client's own metrics hash a label object per call
 * (~10 % of a shard's loop); prom-client remains the registry, and /metrics
 * prints what it printed with prom-client's metrics.
 */
import type { Registry } from 'prom-client';
import type { GatewayEvents, Outcome } from './events.js';
import type { Protocol, Role } from './inference/types.js';
import { CounterFamily, type CounterSeries } from './metrics/counter.js';
import { GaugeFamily, type GaugeSeries } from './metrics/gauge.js';
import { HistogramFamily, type HistogramSeries } from './metrics/histogram.js';
import { LabelNode } from './metrics/label-node.js';
import type { Labels } from './metrics/metric-family.js';
import type { PublisherObserver } from './publishing/record-publisher.js';
import type { ShadowObserver, ShadowOutcome } from './routing/shadow-mirror.js';

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/**
 * The series of one (model, version, role, protocol). Each is made when first written, as prom-client makes
 * its series, so that the same events list the same series.
 */
class RequestSeries {
  duration?: HistogramSeries;

  constructor(
    readonly labels: Labels,
    readonly byStatus: LabelNode<CounterSeries>,
  ) {}
}

/** The series of one (model, version), made when first written; compute duration per provider below it. */
class VersionSeries {
  queueDuration?: HistogramSeries;
  batchSize?: HistogramSeries;
  batches?: CounterSeries;
  busySeconds?: CounterSeries;
  queueDepth?: GaugeSeries;
  inflight?: GaugeSeries;

  constructor(
    readonly labels: Labels,
    readonly computeDuration: LabelNode<HistogramSeries>,
  ) {}
}

export class GatewayMetrics implements GatewayEvents, ShadowObserver, PublisherObserver {
  private readonly requestDuration: HistogramFamily;
  private readonly queueDuration: HistogramFamily;
  private readonly batchSize: HistogramFamily;
  private readonly batches: CounterFamily;
  private readonly busySeconds: CounterFamily;
  private readonly queueDepth: GaugeFamily;
  private readonly inflight: GaugeFamily;
  /** model → version → role → protocol. */
  private readonly requests: LabelNode<LabelNode<LabelNode<LabelNode<RequestSeries>>>>;
  /** model → version. */
  private readonly versions: LabelNode<LabelNode<VersionSeries>>;
  /** model → primary_version → version → outcome: as hot as requests when every request is mirrored. */
  private readonly shadowRequests: LabelNode<LabelNode<LabelNode<LabelNode<CounterSeries>>>>;
  private readonly recordsPublishedTotal: LabelNode<CounterSeries>;
  private readonly recordInputsOverBudgetTotal: CounterSeries;
  private readonly recordsDroppedTotal: LabelNode<CounterSeries>;
  private readonly recordBuffer: LabelNode<GaugeSeries>;

  /** Registers the series in the order /metrics has always listed them. */
  constructor(registry: Registry) {
    const requestsTotal = new CounterFamily(registry, 'switchyard_requests_total', 'Inference requests by outcome (OK or an SY_ERR_* code).');
    this.requestDuration = new HistogramFamily(registry, 'switchyard_request_duration_seconds', 'Time from request decoded to response ready, successful requests.', LATENCY_BUCKETS);
    this.queueDuration = new HistogramFamily(registry, 'switchyard_queue_duration_seconds', 'Time a request waited in the batcher queue before its batch was dispatched.', LATENCY_BUCKETS);
    const computeDuration = new HistogramFamily(registry, 'switchyard_compute_duration_seconds', 'ONNX Runtime run time per batch.', LATENCY_BUCKETS);
    this.batchSize = new HistogramFamily(registry, 'switchyard_batch_size_rows', 'Rows per ONNX run.', BATCH_BUCKETS);
    this.batches = new CounterFamily(registry, 'switchyard_batches_total', 'ONNX runs.');
    this.busySeconds = new CounterFamily(registry, 'switchyard_worker_busy_seconds_total', 'Seconds workers spent in ONNX runs; divide its rate by switchyard_model_instances for utilisation.');
    this.queueDepth = new GaugeFamily(registry, 'switchyard_queue_depth_requests', 'Requests waiting in the batcher queue.');
    this.inflight = new GaugeFamily(registry, 'switchyard_inflight_batches', 'Batches handed to workers and not yet returned.');
    const shadowRequestsTotal = new CounterFamily(registry, 'switchyard_shadow_requests_total', 'Mirrored requests by outcome: agree/disagree with the primary answer, failed, or shed under load.');
    const recordsPublished = new CounterFamily(registry, 'switchyard_records_published_total', 'Prediction and feedback records the monitor sink confirmed.');
    const recordInputsOverBudget = new CounterFamily(registry, 'switchyard_record_inputs_over_budget_total', 'Predictions recorded without their inputs because more requests per second were sampled than --record-inputs-per-second allows.');
    const recordsDropped = new CounterFamily(registry, 'switchyard_records_dropped_total', 'Records dropped because the publisher buffer was full (monitor away or slow) or at shutdown.');
    const recordBuffer = new GaugeFamily(registry, 'switchyard_record_buffer_records', 'Records waiting in the publisher buffer.');

    this.requests = new LabelNode({}, 'model', (l) =>
      new LabelNode(l, 'version', (l) => new LabelNode(l, 'role', (l) => new LabelNode(l, 'protocol', (l) => new RequestSeries(l, new LabelNode(l, 'status', (l) => requestsTotal.add(l)))))),
    );
    this.versions = new LabelNode({}, 'model', (l) => new LabelNode(l, 'version', (l) => new VersionSeries(l, new LabelNode(l, 'provider', (l) => computeDuration.add(l)))));
    this.shadowRequests = new LabelNode({}, 'model', (l) =>
      new LabelNode(l, 'primary_version', (l) => new LabelNode(l, 'version', (l) => new LabelNode(l, 'outcome', (l) => shadowRequestsTotal.add(l)))),
    );
    this.recordsPublishedTotal = new LabelNode({}, 'sink', (l) => recordsPublished.add(l));
    // A series without labels exists from the start (0), as prom-client's does.
    this.recordInputsOverBudgetTotal = recordInputsOverBudget.add({});
    this.recordsDroppedTotal = new LabelNode({}, 'sink', (l) => recordsDropped.add(l));
    this.recordBuffer = new LabelNode({}, 'sink', (l) => recordBuffer.add(l));
  }

  requestFinished(protocol: Protocol, model: string, version: string, role: Role | '', outcome: Outcome, seconds: number): void {
    const series = this.requests.child(model).child(version).child(role).child(protocol);
    series.byStatus.child(outcome).inc();
    if (outcome === 'OK') (series.duration ??= this.requestDuration.add(series.labels)).observe(seconds);
  }

  shadowFinished(model: string, primaryVersion: string, shadowVersion: string, outcome: ShadowOutcome): void {
    this.shadowRequests.child(model).child(primaryVersion).child(shadowVersion).child(outcome).inc();
  }

  batchExecuted(model: string, version: string, provider: string, rows: number, queueSeconds: readonly number[], computeSeconds: number): void {
    const series = this.versions.child(model).child(version);
    if (queueSeconds.length > 0) {
      const queueDuration = (series.queueDuration ??= this.queueDuration.add(series.labels));
      // Indexed: a for-of here allocated (an iterator per batch, measured: GCs in a loop of batches).
      for (let i = 0; i < queueSeconds.length; i++) queueDuration.observe(queueSeconds[i]);
    }
    series.computeDuration.child(provider).observe(computeSeconds);
    (series.batchSize ??= this.batchSize.add(series.labels)).observe(rows);
    (series.batches ??= this.batches.add(series.labels)).inc();
    (series.busySeconds ??= this.busySeconds.add(series.labels)).inc(computeSeconds);
  }

  queueDepthChanged(model: string, version: string, depth: number): void {
    const series = this.versions.child(model).child(version);
    (series.queueDepth ??= this.queueDepth.add(series.labels)).set(depth);
  }

  inflightChanged(model: string, version: string, batches: number): void {
    const series = this.versions.child(model).child(version);
    (series.inflight ??= this.inflight.add(series.labels)).set(batches);
  }

  recordsPublished(sink: string, records: number): void {
    this.recordsPublishedTotal.child(sink).inc(records);
  }

  recordInputsOverBudget(requests: number): void {
    this.recordInputsOverBudgetTotal.inc(requests);
  }

  recordsDropped(sink: string, records: number): void {
    this.recordsDroppedTotal.child(sink).inc(records);
  }

  bufferDepth(sink: string, records: number): void {
    this.recordBuffer.child(sink).set(records);
  }
}
