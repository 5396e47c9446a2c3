/**
 * Drift of one model version against its reference profile, over a count window (the last N
 * rows) and a time window (the last T ms), both VersionDriftWindows: memory per feature bounded
 * at construction, whatever the traffic. Column j of the first input is the profile's j-th
 * feature; the prediction is compared with the profile's prediction distribution when it has one.
 */
import type { DriftWindowConfig } from '../config.js';
import type { ReferenceProfile } from '../drift/profile.js';
import type { DatasetDrift } from '../drift/report.js';
import { VersionDriftWindows } from '../drift/version-windows.js';
import type { WindowKind } from '../policies/policy-spec.js';
import type { PredictionView } from '../records/prediction-view.js';

export interface DriftFigures extends DatasetDrift {
  readonly window: WindowKind;
  /** Rows in the window. */
  readonly samples: number;
}

export type DriftRecordOutcome = 'recorded' | 'not_sampled' | 'columns_mismatch';

/** The one key each VersionDriftWindows tracks: it belongs to a single version. */
const TRACKED = 'v';

export class VersionDrift {
  readonly featureNames: readonly string[];
  private readonly count: VersionDriftWindows;
  private readonly time: VersionDriftWindows;
  private readonly timeRows: RowsPerBucket;
  private rowsSeen = 0;

  constructor(
    readonly profile: ReferenceProfile,
    private readonly config: DriftWindowConfig,
  ) {
    this.featureNames = Object.keys(profile.features);
    this.count = new VersionDriftWindows({ kind: 'count', size: config.countRows });
    this.time = new VersionDriftWindows({ kind: 'time', spanMs: config.timeSpanMs, buckets: config.timeBuckets, sampleSize: config.timeSampleSize });
    this.count.track(TRACKED, profile);
    this.time.track(TRACKED, profile);
    this.timeRows = new RowsPerBucket(config.timeSpanMs, config.timeBuckets);
  }

  record(view: PredictionView, atMs: number): DriftRecordOutcome {
    const matrix = view.features;
    if (!matrix) return 'not_sampled';
    if (matrix.columns !== this.featureNames.length) return 'columns_mismatch';
    const names = this.featureNames;
    for (let r = 0; r < matrix.rows; r++) {
      const row: Record<string, number> = {};
      for (let j = 0; j < names.length; j++) row[names[j]!] = matrix.values[r * matrix.columns + j]!;
      const prediction = view.predicted[r];
      this.count.record(TRACKED, row, prediction, atMs);
      this.time.record(TRACKED, row, prediction, atMs);
    }
    this.rowsSeen += matrix.rows;
    this.timeRows.add(matrix.rows, atMs);
    return 'recorded';
  }

  /** The window's drift, or null while it holds no rows. */
  figures(window: WindowKind, atMs: number): DriftFigures | null {
    const samples = window === 'count' ? Math.min(this.rowsSeen, this.config.countRows) : this.timeRows.total(atMs);
    if (samples === 0) return null;
    const report = (window === 'count' ? this.count : this.time).report(TRACKED, atMs)!;
    return { window, samples, ...report };
  }
}

/** Rows per time bucket, for the time window's sample count. */
class RowsPerBucket {
  private readonly bucketMs: number;
  private readonly epochs: Float64Array;
  private readonly rows: Float64Array;

  constructor(spanMs: number, private readonly buckets: number) {
    this.bucketMs = spanMs / buckets;
    this.epochs = new Float64Array(buckets).fill(-1);
    this.rows = new Float64Array(buckets);
  }

  add(rows: number, atMs: number): void {
    const epoch = Math.floor(atMs / this.bucketMs);
    const i = epoch % this.buckets;
    if (this.epochs[i]! > epoch) return;
    if (this.epochs[i]! < epoch) {
      this.epochs[i] = epoch;
      this.rows[i] = 0;
    }
    this.rows[i]! += rows;
  }

  total(atMs: number): number {
    const now = Math.floor(atMs / this.bucketMs);
    let n = 0;
    for (let i = 0; i < this.buckets; i++) if (this.epochs[i]! > now - this.buckets && this.epochs[i]! <= now) n += this.rows[i]!;
    return n;
  }
}
