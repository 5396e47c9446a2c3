/**
 * Additive counts over classification samples — per class true positives, false positives and
 * false negatives, correct answers, summed log loss — from which accuracy, precision, recall,
 * F1 (binary: positive class 1; macro: unweighted mean over the classes present in the labels or
 * the predictions) and mean log loss follow, as scikit-learn computes them (zero_division = 0).
 * Samples can be taken out again, so a sliding window keeps one set of counts in step.
 * Memory: three numbers per class, whatever the traffic.
 */
export interface ClassificationFigures {
  readonly samples: number;
  readonly accuracy: number;
  /** Binary figures exist when the model has (at most) two classes. */
  readonly precision_binary: number | null;
  readonly recall_binary: number | null;
  readonly f1_binary: number | null;
  readonly precision_macro: number;
  readonly recall_macro: number;
  readonly f1_macro: number;
  /** Mean negative log-likelihood of the true class, over samples whose output was a probability distribution. */
  readonly log_loss: number | null;
  readonly log_loss_samples: number;
}

/** Class indices at most this large are counted (a larger label is invalid). */
export const MAX_CLASSES = 4096;

/** Probabilities are clipped to [EPS, 1 - EPS] before the logarithm. */
export const LOG_LOSS_EPS = 1e-15;

export function negativeLogLikelihood(probability: number): number {
  return -Math.log(Math.min(1 - LOG_LOSS_EPS, Math.max(LOG_LOSS_EPS, probability)));
}

export class ClassificationCounts {
  private tp: Float64Array;
  private fp: Float64Array;
  private fn: Float64Array;
  samples = 0;
  private correct = 0;
  private lossSum = 0;
  private lossSamples = 0;

  /** `classes`: the model's output columns (0 when it answers class indices). */
  constructor(readonly classes: number) {
    const n = Math.max(classes, 2);
    this.tp = new Float64Array(n);
    this.fp = new Float64Array(n);
    this.fn = new Float64Array(n);
  }

  /** Adds (sign 1) or removes (sign -1) one sample; `loss` is NaN when unknown. */
  add(predicted: number, label: number, loss: number, sign: 1 | -1 = 1): void {
    this.grow(Math.max(predicted, label) + 1);
    this.samples += sign;
    if (predicted === label) {
      this.correct += sign;
      this.tp[label]! += sign;
    } else {
      this.fp[predicted]! += sign;
      this.fn[label]! += sign;
    }
    if (!Number.isNaN(loss)) {
      this.lossSum += sign * loss;
      this.lossSamples += sign;
    }
  }

  merge(other: ClassificationCounts): void {
    this.grow(other.tp.length);
    for (let k = 0; k < other.tp.length; k++) {
      this.tp[k]! += other.tp[k]!;
      this.fp[k]! += other.fp[k]!;
      this.fn[k]! += other.fn[k]!;
    }
    this.samples += other.samples;
    this.correct += other.correct;
    this.lossSum += other.lossSum;
    this.lossSamples += other.lossSamples;
  }

  clear(): void {
    this.tp.fill(0);
    this.fp.fill(0);
    this.fn.fill(0);
    this.samples = this.correct = this.lossSum = this.lossSamples = 0;
  }

  figures(): ClassificationFigures {
    let present = 0;
    let precisionSum = 0;
    let recallSum = 0;
    let f1Sum = 0;
    for (let k = 0; k < this.tp.length; k++) {
      const tp = this.tp[k]!;
      const fp = this.fp[k]!;
      const fn = this.fn[k]!;
      if (tp + fp + fn === 0) continue;
      present++;
      precisionSum += ratio(tp, tp + fp);
      recallSum += ratio(tp, tp + fn);
      f1Sum += ratio(2 * tp, 2 * tp + fp + fn);
    }
    const binary = this.tp.length <= 2 && this.classes <= 2;
    const [tp1, fp1, fn1] = [this.tp[1]!, this.fp[1]!, this.fn[1]!];
    return {
      samples: this.samples,
      accuracy: ratio(this.correct, this.samples),
      precision_binary: binary ? ratio(tp1, tp1 + fp1) : null,
      recall_binary: binary ? ratio(tp1, tp1 + fn1) : null,
      f1_binary: binary ? ratio(2 * tp1, 2 * tp1 + fp1 + fn1) : null,
      precision_macro: ratio(precisionSum, present),
      recall_macro: ratio(recallSum, present),
      f1_macro: ratio(f1Sum, present),
      log_loss: this.lossSamples > 0 ? Math.max(0, this.lossSum) / this.lossSamples : null,
      log_loss_samples: this.lossSamples,
    };
  }

  private grow(size: number): void {
    if (size <= this.tp.length) return;
    const n = Math.max(size, this.tp.length * 2);
    const widen = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.tp = widen(this.tp);
    this.fp = widen(this.fp);
    this.fn = widen(this.fn);
  }
}

function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : 0;
}
