/**
 * Joins delayed labels (feedback) to their predictions by request id, in bounded memory:
 *
 * - predictions wait `ttlMs` for their label, at most `maxEntries` of them (oldest out first);
 *   one id may hold several predictions — the primary's and its shadows' (a mirrored request
 *   keeps its id) — and one label joins them all, each for its own version;
 * - a label that comes before its prediction is parked (`earlyTtlMs`, `maxEarly`) and joined
 *   when the prediction arrives;
 * - once a prediction has left the store its id is remembered for another `ttlMs` (keys only,
 *   at most `maxEntries`), so that a label arriving long after is told apart from one for an id
 *   never seen.
 *
 * Every label ends in exactly one outcome: joined, duplicate (a second label for an id),
 * late (its prediction already left the store), invalid (not one label per row), or early and
 * then joined, unknown (no prediction came within earlyTtlMs) or evicted (parked labels over
 * maxEarly). Nothing here throws on bad input.
 */
import type { LabelStoreConfig } from '../config.js';
import { ExpiringMap, type RemovalReason } from './expiring-map.js';

export interface JoinablePrediction {
  readonly version: string;
  /** Rows of the request: a label record must carry one label per row. */
  readonly rows: number;
}

export type LabelOutcome = 'joined' | 'early' | 'duplicate' | 'late' | 'invalid' | 'unknown' | 'evicted';

export interface LabelJoinEvents {
  labelOutcome(outcome: LabelOutcome): void;
  /** A prediction left the store without its label. */
  predictionExpired(reason: RemovalReason): void;
  /** The same (id, version) again — a redelivered record — ignored. */
  duplicatePrediction(): void;
}

export interface Join<P> {
  readonly prediction: P;
  readonly labels: readonly number[];
}

interface Entry<P> {
  readonly predictions: P[];
  labels?: readonly number[];
}

/** Predictions of one id, at most: the primary and a few shadows. */
const MAX_PREDICTIONS_PER_ID = 8;

export class LabelJoinStore<P extends JoinablePrediction> {
  private readonly pending: ExpiringMap<Entry<P>>;
  private readonly early: ExpiringMap<readonly number[]>;
  /** id → whether it had been labelled, for ids whose predictions left the store. */
  private readonly gone: ExpiringMap<boolean>;
  /** The time of the latest call, for ids moved to `gone` by an eviction. */
  private clock = 0;

  constructor(config: Pick<LabelStoreConfig, 'ttlMs' | 'maxEntries' | 'earlyTtlMs' | 'maxEarly'>, private readonly events: LabelJoinEvents) {
    this.gone = new ExpiringMap<boolean>(config.ttlMs, config.maxEntries);
    this.pending = new ExpiringMap<Entry<P>>(config.ttlMs, config.maxEntries, (key, entry, reason) => {
      if (!entry.labels) events.predictionExpired(reason);
      this.gone.set(key, entry.labels !== undefined, this.clock);
    });
    this.early = new ExpiringMap<readonly number[]>(config.earlyTtlMs, config.maxEarly, (_key, _labels, reason) =>
      events.labelOutcome(reason === 'ttl' ? 'unknown' : 'evicted'),
    );
  }

  /** A prediction: joined at once with a label that came first. */
  addPrediction(key: string, prediction: P, nowMs: number): Join<P>[] {
    this.expire(nowMs);
    const entry = this.pending.get(key);
    if (entry) {
      if (entry.predictions.length >= MAX_PREDICTIONS_PER_ID || entry.predictions.some((p) => p.version === prediction.version)) {
        this.events.duplicatePrediction();
        return [];
      }
      entry.predictions.push(prediction);
      // a shadow's record arriving after the label joins it too (the label was counted already)
      return entry.labels && entry.labels.length === prediction.rows ? [{ prediction, labels: entry.labels }] : [];
    }
    this.gone.delete(key);
    const labels = this.early.get(key);
    if (labels === undefined) {
      this.pending.set(key, { predictions: [prediction] }, nowMs);
      return [];
    }
    this.early.delete(key);
    if (labels.length !== prediction.rows) {
      this.events.labelOutcome('invalid');
      this.pending.set(key, { predictions: [prediction] }, nowMs);
      return [];
    }
    this.pending.set(key, { predictions: [prediction], labels }, nowMs);
    this.events.labelOutcome('joined');
    return [{ prediction, labels }];
  }

  /** A label record: joined with every prediction of its id, or parked until one comes. */
  addLabels(key: string, labels: readonly number[], nowMs: number): Join<P>[] {
    this.expire(nowMs);
    const entry = this.pending.get(key);
    if (entry) {
      if (entry.labels) return this.outcome('duplicate');
      const fitting = entry.predictions.filter((p) => p.rows === labels.length);
      if (fitting.length === 0) return this.outcome('invalid');
      entry.labels = labels;
      this.events.labelOutcome('joined');
      return fitting.map((prediction) => ({ prediction, labels }));
    }
    const labelled = this.gone.get(key);
    if (labelled !== undefined) return this.outcome(labelled ? 'duplicate' : 'late');
    if (this.early.has(key)) return this.outcome('duplicate');
    if (labels.length === 0) return this.outcome('invalid');
    this.early.set(key, labels, nowMs);
    this.events.labelOutcome('early');
    return [];
  }

  /** Lets time pass: predictions and parked labels whose time is up leave. */
  expire(nowMs: number): void {
    this.clock = nowMs;
    this.pending.expire(nowMs);
    this.early.expire(nowMs);
    this.gone.expire(nowMs);
  }

  /** Ids with predictions waiting (or joined and kept to catch duplicates). */
  get predictions(): number {
    return this.pending.size;
  }

  get earlyLabels(): number {
    return this.early.size;
  }

  private outcome(outcome: LabelOutcome): [] {
    this.events.labelOutcome(outcome);
    return [];
  }
}
