/** Additive counts over regression samples (prediction − label): MAE and RMSE, in the target's units. */
export interface RegressionFigures {
  readonly samples: number;
  readonly mae: number;
  readonly rmse: number;
}

export class RegressionCounts {
  samples = 0;
  private absSum = 0;
  private squareSum = 0;

  add(predicted: number, label: number, _loss: number, sign: 1 | -1 = 1): void {
    const error = predicted - label;
    this.samples += sign;
    this.absSum += sign * Math.abs(error);
    this.squareSum += sign * error * error;
  }

  merge(other: RegressionCounts): void {
    this.samples += other.samples;
    this.absSum += other.absSum;
    this.squareSum += other.squareSum;
  }

  clear(): void {
    this.samples = this.absSum = this.squareSum = 0;
  }

  figures(): RegressionFigures {
    const n = this.samples;
    // sums kept in step by subtraction can end a hair below zero
    return { samples: n, mae: n > 0 ? Math.max(0, this.absSum) / n : 0, rmse: n > 0 ? Math.sqrt(Math.max(0, this.squareSum) / n) : 0 };
  }
}
