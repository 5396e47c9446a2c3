/**
 * Labelled examples for retraining, per model: each time a label joins a prediction whose inputs
 * were sampled, its rows (feature values + label) are appended here, in join order. Bounded:
 * at most `capacity` rows per model, the oldest pushed out first (and counted). Only the primary
 * path (stable or canary) feeds it, so one request is one example, however many shadows it had.
 *
 * Every snapshot carries a cursor — which rows it reached — and a later snapshot after that
 * cursor holds only rows appended since, so that a training set built on an earlier export can
 * take the new rows without counting any twice. A cursor names its model's rows by an id that
 * changes when they are lost (monitor restart, inputs of another width): after such a change
 * every row held is new.
 */
import { randomBytes } from 'node:crypto';

export interface TrainingRowEvents {
  /** Rows pushed out by capacity, or dropped because the model's input width changed. */
  trainingRowsEvicted(model: string, rows: number): void;
}

/** One model's rows, oldest first. */
export interface TrainingRowsSnapshot {
  /** The version of the newest row (whose reference profile names the features). */
  readonly version: string;
  readonly rows: number;
  readonly columns: number;
  /** rows × columns, row-major */
  readonly features: Float32Array;
  readonly labels: Float64Array;
  /** Ask for rows after this to get only the ones appended since this snapshot. */
  readonly cursor: string;
}

/** The feature rows of one joined prediction. */
export interface FeatureRows {
  readonly columns: number;
  /** At least labels' rows × columns values, row-major. */
  readonly values: Float32Array;
}

/** Rows allocated at first; the buffer doubles up to its capacity as rows come. */
const INITIAL_ROWS = 1024;

export class TrainingRows {
  private readonly models = new Map<string, RowRing>();

  constructor(
    private readonly capacity: number,
    private readonly events: TrainingRowEvents,
  ) {}

  /** Appends one row per label (rows with a non-finite value are skipped: the dataset format holds numbers only). */
  append(model: string, version: string, features: FeatureRows, labels: readonly number[]): void {
    let ring = this.models.get(model);
    if (ring && ring.columns !== features.columns) {
      // the model's inputs changed shape: older rows cannot train the current one
      this.events.trainingRowsEvicted(model, ring.size);
      ring = undefined;
    }
    if (!ring) {
      ring = new RowRing(features.columns, this.capacity);
      this.models.set(model, ring);
    }
    const { columns, values } = features;
    const rows = Math.min(labels.length, Math.floor(values.length / columns));
    let evicted = 0;
    for (let r = 0; r < rows; r++) {
      const row = values.subarray(r * columns, (r + 1) * columns);
      if (!Number.isFinite(labels[r]) || !row.every(Number.isFinite)) continue;
      if (ring.push(row, labels[r]!)) evicted++;
    }
    ring.version = version;
    if (evicted > 0) this.events.trainingRowsEvicted(model, evicted);
  }

  /**
   * The newest `limit` rows (all when absent), oldest first — of those appended after `after`
   * (a snapshot's cursor) when it names the rows held now; undefined when the model has none.
   */
  snapshot(model: string, limit?: number, after?: string): TrainingRowsSnapshot | undefined {
    const ring = this.models.get(model);
    if (!ring || ring.size === 0) return undefined;
    const fresh = Math.min(ring.size, ring.appendedSince(after));
    return ring.newest(Math.min(limit ?? fresh, fresh));
  }

  /** Drops a model's rows (its last version was forgotten). */
  forget(model: string): void {
    this.models.delete(model);
  }

  /** Rows held per model. */
  *sizes(): IterableIterator<[string, number]> {
    for (const [model, ring] of this.models) yield [model, ring.size];
  }
}

/** A circular buffer of fixed-width float32 rows and their labels. */
class RowRing {
  version = '';
  size = 0;
  /** Rows ever pushed: the sequence number of the next one. */
  private appended = 0;
  /** Names these rows in cursors: a ring made anew starts another sequence. */
  private readonly id = randomBytes(6).toString('hex');
  private start = 0;
  private features: Float32Array;
  private labels: Float64Array;

  constructor(
    readonly columns: number,
    private readonly capacity: number,
  ) {
    const rows = Math.min(capacity, INITIAL_ROWS);
    this.features = new Float32Array(rows * columns);
    this.labels = new Float64Array(rows);
  }

  /** True when the oldest row was pushed out to make room. */
  push(row: Float32Array, label: number): boolean {
    if (this.size === this.labels.length && this.size < this.capacity) this.grow();
    const full = this.size === this.capacity;
    const slot = (this.start + this.size) % this.labels.length;
    this.features.set(row, slot * this.columns);
    this.labels[slot] = label;
    if (full) this.start = (this.start + 1) % this.labels.length;
    else this.size++;
    this.appended++;
    return full;
  }

  /** Rows pushed after the cursor `after` ("<id>.<sequence>"); every row ever pushed when it names other rows. */
  appendedSince(after: string | undefined): number {
    const [id, sequence] = after?.split('.') ?? [];
    const n = Number(sequence);
    return id === this.id && Number.isSafeInteger(n) && n >= 0 && n <= this.appended ? this.appended - n : this.appended;
  }

  newest(count: number): TrainingRowsSnapshot {
    const features = new Float32Array(count * this.columns);
    const labels = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const slot = (this.start + this.size - count + i) % this.labels.length;
      features.set(this.features.subarray(slot * this.columns, (slot + 1) * this.columns), i * this.columns);
      labels[i] = this.labels[slot]!;
    }
    return { version: this.version, rows: count, columns: this.columns, features, labels, cursor: `${this.id}.${this.appended}` };
  }

  /** Doubles the allocation (up to capacity), laying the rows out oldest first. */
  private grow(): void {
    const rows = Math.min(this.capacity, this.labels.length * 2);
    const kept = this.newest(this.size);
    this.features = new Float32Array(rows * this.columns);
    this.features.set(kept.features);
    this.labels = new Float64Array(rows);
    this.labels.set(kept.labels);
    this.start = 0;
  }
}
