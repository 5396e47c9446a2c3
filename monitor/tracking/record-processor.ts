/**
 * The record sink both transports feed: each prediction goes into its version's drift windows
 * (when sampled and the version has a reference profile) and into the label store; each label
 * joins its predictions and is scored into their versions' quality windows. A version's count
 * window is evaluated each time it has taken in a window's worth of new rows.
 *
 * Time here is the monitor's clock at receipt, for windows and TTLs alike: it only moves forward,
 * whatever the gateways' clocks say (record times feed the lag metric).
 */
import type { Logger } from '../../runtime/log.js';
import type { FeedbackRecord, PredictionRecord, RecordBatch } from '../../runtime/records.js';
import type { MonitorConfig } from '../config.js';
import type { IngestEvents, RecordSink, Transport } from '../ingest/record-sink.js';
import type { Join, LabelJoinStore } from '../labels/label-join-store.js';
import type { FeatureRows, TrainingRows } from '../labels/training-rows.js';
import type { ProfileCache } from '../profiles/profile-cache.js';
import { VersionQuality, type ScoredPrediction } from '../quality/version-quality.js';
import { predictionView, type PredictionView } from '../records/prediction-view.js';
import { TensorRecordError } from '../records/tensor-matrix.js';
import { VersionDrift } from './version-drift.js';
import type { VersionState } from './version-state.js';
import type { VersionTable } from './version-table.js';

export interface StoredPrediction extends ScoredPrediction {
  readonly model: string;
  /** The sampled inputs of the kept rows, primary path only: what a label turns into training rows. */
  readonly features?: FeatureRows;
}

/** Roles whose predictions answered the caller; a shadow's copy of a request is not another example. */
const PRIMARY_ROLES = new Set(['stable', 'canary']);

/** Evaluates a version's count window for policies once it took in a window's worth of rows. */
export interface CountWindowCloser {
  closeCountWindow(state: VersionState, family: 'drift' | 'quality', nowMs: number): void;
}

export interface RecordProcessorDeps {
  readonly config: Readonly<MonitorConfig>;
  readonly versions: VersionTable;
  readonly profiles: ProfileCache;
  readonly labels: LabelJoinStore<StoredPrediction>;
  readonly trainingRows: Pick<TrainingRows, 'append'>;
  readonly windows: CountWindowCloser;
  readonly events: IngestEvents;
  readonly log: Logger;
  readonly clock?: () => number;
}

export class RecordProcessor implements RecordSink {
  private readonly clock: () => number;

  constructor(private readonly deps: RecordProcessorDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async accept(batch: RecordBatch, transport: Transport): Promise<void> {
    const { events, profiles } = this.deps;
    events.batchReceived(transport, batch.predictions.length, batch.feedback.length);
    const arrival = this.clock();
    for (const r of batch.predictions) events.recordLag(transport, Math.max(0, arrival - r.time_ms) / 1000);
    for (const r of batch.feedback) events.recordLag(transport, Math.max(0, arrival - r.time_ms) / 1000);
    // a version's profile is fetched before its first record is processed; a retry after a
    // failed fetch runs in the background, without holding the stream up
    const firstSight = new Map<string, PredictionRecord>();
    for (const r of batch.predictions) {
      if (!profiles.needsFetch(r.model, r.version, arrival) || !this.deps.versions.admits(r.model, r.version)) continue;
      if (profiles.status(r.model, r.version) === undefined) firstSight.set(`${r.model}/${r.version}`, r);
      else void profiles.ensure(r.model, r.version, arrival);
    }
    if (firstSight.size > 0) await Promise.all([...firstSight.values()].map((r) => profiles.ensure(r.model, r.version, arrival)));
    const now = this.clock();
    for (const r of batch.predictions) this.prediction(r, now);
    for (const r of batch.feedback) this.feedback(r, now);
  }

  private prediction(record: PredictionRecord, now: number): void {
    const { versions, events, config } = this.deps;
    if (!record.id || !record.model || !record.version) return events.recordDropped('incomplete');
    const state = versions.obtain(record.model, record.version, record.role, now);
    if (!state) return events.recordDropped('too_many_versions');
    if (record.status !== 'OK' && record.status !== '') {
      state.counts.failed++;
      return events.recordDropped('failed_request');
    }
    let view: PredictionView;
    try {
      view = predictionView(record);
    } catch (err) {
      if (!(err instanceof TensorRecordError)) throw err;
      this.deps.log.debug('prediction record unreadable', { model: record.model, version: record.version, id: record.id, reason: err.message });
      return events.recordDropped('bad_tensor');
    }
    state.counts.predictions++;
    state.counts.rows += view.rows;
    this.recordDrift(state, view, now);
    state.quality ??= new VersionQuality(view.kind, view.classes, config.quality);
    if (state.quality.kind !== view.kind) return; // the version changed its output: nothing to score against
    const joins = this.deps.labels.addPrediction(`${record.model}\u0000${record.id}`, this.stored(record, view), now);
    this.score(joins, now);
  }

  private feedback(record: FeedbackRecord, now: number): void {
    if (!record.id || !record.model) return this.deps.events.recordDropped('incomplete');
    this.score(this.deps.labels.addLabels(`${record.model}\u0000${record.id}`, record.labels, now), now);
  }

  private recordDrift(state: VersionState, view: PredictionView, now: number): void {
    const profile = this.deps.profiles.status(state.model, state.version);
    state.profile = profile;
    if (!state.drift && profile?.state === 'loaded') state.drift = new VersionDrift(profile.profile, this.deps.config.drift);
    if (view.inputProblem) {
      state.counts.inputProblems++;
      state.lastInputProblem = view.inputProblem;
      return;
    }
    if (!state.drift) return;
    const outcome = state.drift.record(view, now);
    if (outcome === 'columns_mismatch') {
      state.counts.inputProblems++;
      state.lastInputProblem = `the first input has ${view.features!.columns} columns but the reference profile has ${state.drift.featureNames.length} features`;
      return;
    }
    if (outcome !== 'recorded') return;
    state.counts.driftRows += view.rows;
    state.driftRowsSinceWindow += view.rows;
    state.stale.drift = true;
    if (state.driftRowsSinceWindow >= this.deps.config.drift.countRows) {
      state.driftRowsSinceWindow = 0;
      this.deps.windows.closeCountWindow(state, 'drift', now);
    }
  }

  private score(joins: Join<StoredPrediction>[], now: number): void {
    for (const { prediction, labels } of joins) {
      if (prediction.features) this.deps.trainingRows.append(prediction.model, prediction.version, prediction.features, labels);
      const state = this.deps.versions.get(prediction.model, prediction.version);
      if (!state?.quality || state.quality.kind !== prediction.kind) continue;
      const rows = state.quality.record(prediction, labels, now);
      state.counts.labelledRows += rows;
      state.labelledRowsSinceWindow += rows;
      if (rows > 0) state.stale.quality = true;
      if (state.labelledRowsSinceWindow >= this.deps.config.quality.countRows) {
        state.labelledRowsSinceWindow = 0;
        this.deps.windows.closeCountWindow(state, 'quality', now);
      }
    }
  }

  /** What the label store keeps: the prediction (and primary inputs) per row, at most maxRowsPerPrediction rows, copied out of the record. */
  private stored(record: PredictionRecord, view: PredictionView): StoredPrediction {
    const rows = Math.min(view.rows, this.deps.config.labels.maxRowsPerPrediction);
    const features = view.features && PRIMARY_ROLES.has(record.role) ? view.features : undefined;
    return {
      model: record.model,
      version: record.version,
      rows: view.rows,
      kind: view.kind,
      classes: view.classes,
      predicted: view.predicted.slice(0, rows),
      ...(view.probabilities ? { probabilities: view.probabilities.slice(0, rows * view.classes) } : {}),
      ...(features ? { features: { columns: features.columns, values: Float32Array.from(features.values.subarray(0, rows * features.columns)) } } : {}),
    };
  }
}
