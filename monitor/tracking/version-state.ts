/**
 * Everything the monitor holds for one model version: its role as the records say, its counts,
 * its drift windows (when it has a reference profile) and quality windows (from its first
 * prediction, which tells classifier from regressor), and the latest figures of each window.
 *
 * Shadow versions are tracked like any other, under role "shadow": a mirrored request keeps its
 * id, so the primary's label scores the shadow on the same requests — the comparison shadowing
 * is for. Policies skip shadows unless a policy names the role.
 */
import type { ProfileStatus } from '../profiles/profile-cache.js';
import type { QualityFigures, VersionQuality } from '../quality/version-quality.js';
import type { DriftFigures, VersionDrift } from './version-drift.js';

export interface WindowPair<F> {
  count: F | null;
  time: F | null;
}

export interface VersionCounts {
  /** Prediction records taken in (failed requests apart). */
  predictions: number;
  rows: number;
  /** Rows whose inputs were sampled and went into the drift windows. */
  driftRows: number;
  /** Rows scored against a label. */
  labelledRows: number;
  /** Records of failed requests (status other than OK). */
  failed: number;
  /** Sampled inputs that could not be compared: unreadable, or not one column per profile feature. */
  inputProblems: number;
}

export class VersionState {
  role: string;
  lastSeenMs: number;
  readonly counts: VersionCounts = { predictions: 0, rows: 0, driftRows: 0, labelledRows: 0, failed: 0, inputProblems: 0 };
  drift: VersionDrift | undefined;
  quality: VersionQuality | undefined;
  profile: ProfileStatus | undefined;
  lastInputProblem: string | undefined;
  /** Rows / labelled rows since the count window was last evaluated for policies. */
  driftRowsSinceWindow = 0;
  labelledRowsSinceWindow = 0;
  /** New rows / labelled rows since the count windows' figures were last computed. */
  readonly stale = { drift: false, quality: false };
  readonly latestDrift: WindowPair<DriftFigures> = { count: null, time: null };
  readonly latestQuality: WindowPair<QualityFigures> = { count: null, time: null };
  evaluatedAtMs: number | undefined;

  constructor(
    readonly model: string,
    readonly version: string,
    role: string,
    readonly firstSeenMs: number,
  ) {
    this.role = role;
    this.lastSeenMs = firstSeenMs;
  }

  get key(): string {
    return versionKey(this.model, this.version);
  }
}

export function versionKey(model: string, version: string): string {
  return `${model}/${version}`;
}
