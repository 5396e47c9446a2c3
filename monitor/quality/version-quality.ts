/**
 * Quality of one model version from its joined labels, over a count window and a time window:
 * accuracy, precision/recall/F1 and log loss for a classifier, MAE and RMSE for a regressor.
 * Labels a prediction cannot be scored against (a class index out of range, a non-finite
 * target) are counted and left out.
 */
import type { QualityWindowConfig } from '../config.js';
import type { JoinablePrediction } from '../labels/label-join-store.js';
import type { WindowKind } from '../policies/policy-spec.js';
import type { ModelKind } from '../records/prediction-view.js';
import { ClassificationCounts, MAX_CLASSES, negativeLogLikelihood, type ClassificationFigures } from './classification-counts.js';
import { CountQualityWindow, TimeQualityWindow, type QualityCounts } from './quality-windows.js';
import { RegressionCounts, type RegressionFigures } from './regression-counts.js';

/** What the label store keeps of a prediction until its label comes. */
export interface ScoredPrediction extends JoinablePrediction {
  readonly kind: ModelKind;
  readonly classes: number;
  /** Per kept row: class index or value. */
  readonly predicted: Float64Array;
  /** kept rows × classes, when the output was a probability distribution. */
  readonly probabilities?: Float64Array;
}

export type QualityFigures = ({ readonly kind: 'classifier' } & ClassificationFigures) | ({ readonly kind: 'regressor' } & RegressionFigures);

type Counts = ClassificationCounts | RegressionCounts;

export class VersionQuality {
  private readonly count: CountQualityWindow<Counts>;
  private readonly time: TimeQualityWindow<Counts>;
  /** Labelled rows left out: a class index out of range (label or prediction) or a non-finite target. */
  invalidLabels = 0;

  constructor(
    readonly kind: ModelKind,
    readonly classes: number,
    config: QualityWindowConfig,
  ) {
    const make = (): Counts => (kind === 'classifier' ? new ClassificationCounts(classes) : new RegressionCounts());
    this.count = new CountQualityWindow(config.countRows, make);
    this.time = new TimeQualityWindow(config.timeSpanMs, config.timeBuckets, make);
  }

  /** Scores a prediction's kept rows against their labels; returns the rows scored. */
  record(prediction: ScoredPrediction, labels: readonly number[], atMs: number): number {
    const rows = Math.min(prediction.predicted.length, labels.length);
    let scored = 0;
    for (let r = 0; r < rows; r++) {
      const label = labels[r]!;
      const predicted = prediction.predicted[r]!;
      let loss = NaN;
      if (this.kind === 'classifier') {
        if (!this.validClass(label) || !this.validClass(predicted)) {
          this.invalidLabels++;
          continue;
        }
        const p = prediction.probabilities;
        if (p && label < prediction.classes) loss = negativeLogLikelihood(p[r * prediction.classes + label]!);
      } else if (!Number.isFinite(label)) {
        this.invalidLabels++;
        continue;
      }
      this.count.push(predicted, label, loss);
      this.time.push(predicted, label, loss, atMs);
      scored++;
    }
    return scored;
  }

  figures(window: WindowKind, atMs: number): QualityFigures {
    const counts: QualityCounts = window === 'count' ? this.count.counts() : this.time.counts(atMs);
    return counts instanceof ClassificationCounts ? { kind: 'classifier', ...counts.figures() } : { kind: 'regressor', ...(counts as RegressionCounts).figures() };
  }

  private validClass(label: number): boolean {
    return Number.isInteger(label) && label >= 0 && label < (this.classes > 0 ? this.classes : MAX_CLASSES);
  }
}
