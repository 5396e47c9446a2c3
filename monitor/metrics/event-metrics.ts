/**
 * Counters and histograms of the monitor's events: records in (by kind and transport), decode
 * errors, drops, lag, Redis claims, label join outcomes, policy triggers and webhook deliveries.
 * The components report events through their small interfaces; this turns them into series.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { DropReason, IngestEvents, Transport } from '../ingest/record-sink.js';
import type { RemovalReason } from '../labels/expiring-map.js';
import type { LabelJoinEvents, LabelOutcome } from '../labels/label-join-store.js';
import type { TrainingRowEvents } from '../labels/training-rows.js';
import type { PolicyListener, Trigger } from '../policies/policy-engine.js';
import type { ConditionSpec } from '../policies/policy-spec.js';
import type { AttemptResult, DeliveryOutcome, WebhookEvents } from '../webhooks/webhook-sender.js';

const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export class MonitorEventMetrics implements IngestEvents, LabelJoinEvents, TrainingRowEvents, PolicyListener, WebhookEvents {
  private readonly records: Counter<'kind' | 'transport'>;
  private readonly batches: Counter<'transport'>;
  private readonly decodeErrors: Counter<'transport'>;
  private readonly dropped: Counter<'reason'>;
  private readonly lag: Histogram<'transport'>;
  private readonly claimed: Counter;
  private readonly labelJoins: Counter<'outcome'>;
  private readonly unlabelled: Counter<'reason'>;
  private readonly duplicatePredictions: Counter;
  private readonly trainingEvicted: Counter<'model'>;
  private readonly triggers: Counter<'model' | 'metric'>;
  private readonly suppressed: Counter<'model' | 'metric'>;
  private readonly attempts: Counter<'result'>;
  private readonly deliveries: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.records = new Counter({ name: 'switchyard_monitor_records_total', help: 'Records ingested (kind: prediction, feedback).', labelNames: ['kind', 'transport'], registers });
    this.batches = new Counter({ name: 'switchyard_monitor_batches_total', help: 'Record batches ingested.', labelNames: ['transport'], registers });
    this.decodeErrors = new Counter({ name: 'switchyard_monitor_decode_errors_total', help: 'Record batches that could not be decoded (and were skipped).', labelNames: ['transport'], registers });
    this.dropped = new Counter({ name: 'switchyard_monitor_dropped_records_total', help: 'Prediction or feedback records not monitored (reason: failed_request, bad_tensor, too_many_versions, incomplete).', labelNames: ['reason'], registers });
    this.lag = new Histogram({ name: 'switchyard_monitor_lag_seconds', help: 'Time from a record being written by the gateway to its ingest by the monitor.', labelNames: ['transport'], buckets: LAG_BUCKETS, registers });
    this.claimed = new Counter({ name: 'switchyard_monitor_stream_claimed_total', help: 'Redis stream entries claimed from consumers that stopped acknowledging them.', registers });
    this.labelJoins = new Counter({ name: 'switchyard_label_join_total', help: 'Labels by outcome: joined, early (parked before its prediction), duplicate, late (prediction expired), invalid, unknown (no prediction came), evicted (parked labels over capacity).', labelNames: ['outcome'], registers });
    this.unlabelled = new Counter({ name: 'switchyard_label_store_expired_total', help: 'Predictions that left the label store without a label (reason: ttl, or capacity: evicted early).', labelNames: ['reason'], registers });
    this.duplicatePredictions = new Counter({ name: 'switchyard_label_store_duplicate_predictions_total', help: 'Prediction records seen twice for the same id and version (redelivered), ignored.', registers });
    this.trainingEvicted = new Counter({ name: 'switchyard_monitor_training_rows_evicted_total', help: 'Labelled training rows pushed out of a model buffer (labels.trainingRows capacity, or a change of the input width).', labelNames: ['model'], registers });
    this.triggers = new Counter({ name: 'switchyard_policy_triggers_total', help: 'Retraining triggers fired.', labelNames: ['model', 'metric'], registers });
    this.suppressed = new Counter({ name: 'switchyard_policy_suppressed_total', help: 'Conditions that fired while the model had an open trigger (cooldown).', labelNames: ['model', 'metric'], registers });
    this.attempts = new Counter({ name: 'switchyard_webhook_attempts_total', help: 'Webhook HTTP attempts (result: success, rejected (4xx), retry_status (429/5xx), timeout, network).', labelNames: ['result'], registers });
    this.deliveries = new Counter({ name: 'switchyard_webhook_deliveries_total', help: 'Webhook deliveries by final outcome (delivered, failed, abandoned at shutdown).', labelNames: ['outcome'], registers });
  }

  batchReceived(transport: Transport, predictions: number, feedback: number): void {
    this.batches.inc({ transport });
    if (predictions > 0) this.records.inc({ kind: 'prediction', transport }, predictions);
    if (feedback > 0) this.records.inc({ kind: 'feedback', transport }, feedback);
  }

  recordLag(transport: Transport, seconds: number): void {
    this.lag.observe({ transport }, seconds);
  }

  decodeError(transport: Transport): void {
    this.decodeErrors.inc({ transport });
  }

  recordDropped(reason: DropReason): void {
    this.dropped.inc({ reason });
  }

  entriesClaimed(count: number): void {
    this.claimed.inc(count);
  }

  labelOutcome(outcome: LabelOutcome): void {
    this.labelJoins.inc({ outcome });
  }

  predictionExpired(reason: RemovalReason): void {
    this.unlabelled.inc({ reason });
  }

  duplicatePrediction(): void {
    this.duplicatePredictions.inc();
  }

  trainingRowsEvicted(model: string, rows: number): void {
    this.trainingEvicted.inc({ model }, rows);
  }

  triggerFired(trigger: Trigger): void {
    this.triggers.inc({ model: trigger.model, metric: trigger.condition.metric });
  }

  triggerSuppressed(model: string, condition: ConditionSpec): void {
    this.suppressed.inc({ model, metric: condition.metric });
  }

  webhookAttempt(result: AttemptResult): void {
    this.attempts.inc({ result });
  }

  webhookDelivery(outcome: DeliveryOutcome): void {
    this.deliveries.inc({ outcome });
  }
}
