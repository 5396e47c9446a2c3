/** Accuracy, precision/recall/F1 (binary, macro), log loss, MAE/RMSE against hand-computed values (and scikit-learn's documented examples); windows. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClassificationCounts } from '../../monitor/quality/classification-counts.js';
import { CountQualityWindow, TimeQualityWindow } from '../../monitor/quality/quality-windows.js';
import { RegressionCounts } from '../../monitor/quality/regression-counts.js';
import { VersionQuality } from '../../monitor/quality/version-quality.js';

const close = (actual: number | null, expected: number, what: string): void =>
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-12, `${what}: got ${actual}, expected ${expected}`);

function counts(classes: number, truth: number[], predicted: number[]): ClassificationCounts {
  const c = new ClassificationCounts(classes);
  truth.forEach((label, i) => c.add(predicted[i]!, label, NaN));
  return c;
}

describe('classification figures', () => {
  it('binary: precision, recall, F1 of class 1, and accuracy', () => {
    // TP 4 (rows 0, 2, 6, 9), FP 1 (row 4), FN 2 (rows 1, 8), TN 3
    const f = counts(2, [1, 1, 1, 0, 0, 0, 1, 0, 1, 1], [1, 0, 1, 0, 1, 0, 1, 0, 0, 1]).figures();
    assert.equal(f.samples, 10);
    close(f.accuracy, 7 / 10, 'accuracy');
    close(f.precision_binary, 4 / 5, 'precision');
    close(f.recall_binary, 4 / 6, 'recall');
    close(f.f1_binary, 8 / 11, 'f1 = 2TP / (2TP + FP + FN)');
    // class 0: TP 3, FP 2, FN 1 → P 3/5, R 3/4, F1 6/9
    close(f.precision_macro, (4 / 5 + 3 / 5) / 2, 'macro precision');
    close(f.recall_macro, (4 / 6 + 3 / 4) / 2, 'macro recall');
    close(f.f1_macro, (8 / 11 + 6 / 9) / 2, 'macro f1');
  });

  it("macro over three classes: scikit-learn's documented example", () => {
    // sklearn.metrics.precision_score / recall_score / f1_score docs: y_true [0,1,2,0,1,2], y_pred [0,2,1,0,0,1]
    const f = counts(3, [0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]).figures();
    close(f.precision_macro, 2 / 9, 'precision_score(average="macro") = 0.22…');
    close(f.recall_macro, 1 / 3, 'recall_score(average="macro") = 0.33…');
    close(f.f1_macro, 4 / 15, 'f1_score(average="macro") = 0.26…');
    assert.equal(f.precision_binary, null, 'no binary figures for three classes');
    close(f.accuracy, 2 / 6, 'accuracy');
  });

  it('macro averages only classes present in labels or predictions, classes with no predictions scoring 0', () => {
    // per class: 0 → P 1/3 R 1/2 F1 2/5; 1 → P 1/2 R 1/3 F1 2/5; 2 → P 2/3 R 2/3 F1 2/3; class 3 (an output column never seen) left out
    const f = counts(4, [0, 1, 2, 2, 1, 0, 2, 1], [0, 2, 2, 2, 1, 1, 0, 0]).figures();
    close(f.accuracy, 4 / 8, 'accuracy');
    close(f.precision_macro, (1 / 3 + 1 / 2 + 2 / 3) / 3, 'macro precision');
    close(f.recall_macro, (1 / 2 + 1 / 3 + 2 / 3) / 3, 'macro recall');
    close(f.f1_macro, (2 / 5 + 2 / 5 + 2 / 3) / 3, 'macro f1');
  });

  it('log loss: mean negative log-likelihood of the true class', () => {
    // sklearn.metrics.log_loss([0, 1], [[0.9, 0.1], [0.2, 0.8]]) = 0.16425203348601802
    const q = new VersionQuality('classifier', 2, { countRows: 10, timeSpanMs: 1000, timeBuckets: 2 });
    q.record({ version: '1', rows: 2, kind: 'classifier', classes: 2, predicted: Float64Array.of(0, 1), probabilities: Float64Array.of(0.9, 0.1, 0.2, 0.8) }, [0, 1], 0);
    const f = q.figures('count', 0);
    assert.equal(f.kind, 'classifier');
    close(f.kind === 'classifier' ? f.log_loss : null, 0.16425203348601802, 'log loss');
    close(f.kind === 'classifier' ? f.log_loss : null, -(Math.log(0.9) + Math.log(0.8)) / 2, 'log loss by hand');
  });

  it('leaves labels out of range, counted, and keeps log loss to rows with probabilities', () => {
    const q = new VersionQuality('classifier', 2, { countRows: 10, timeSpanMs: 1000, timeBuckets: 2 });
    assert.equal(q.record({ version: '1', rows: 3, kind: 'classifier', classes: 2, predicted: Float64Array.of(0, 1, 1) }, [0, 2, 0.5], 0), 1);
    assert.equal(q.invalidLabels, 2);
    const f = q.figures('count', 0);
    assert.ok(f.kind === 'classifier' && f.log_loss === null && f.log_loss_samples === 0);
  });
});

describe('regression figures', () => {
  it("MAE and RMSE: scikit-learn's documented example", () => {
    // mean_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) = 0.5; mean_squared_error = 0.375
    const r = new RegressionCounts();
    const truth = [3, -0.5, 2, 7];
    const predicted = [2.5, 0.0, 2, 8];
    truth.forEach((t, i) => r.add(predicted[i]!, t, NaN));
    const f = r.figures();
    close(f.mae, 0.5, 'mae');
    close(f.rmse, Math.sqrt(0.375), 'rmse');
    assert.equal(f.samples, 4);
  });
});

describe('quality windows', () => {
  it('a count window keeps its counts in step with the last N samples', () => {
    const w = new CountQualityWindow(3, () => new ClassificationCounts(2));
    for (const [p, l] of [[1, 0], [1, 0], [1, 1], [0, 0], [1, 1]]) w.push(p!, l!, NaN);
    // the last three: (1,1) (0,0) (1,1)
    const f = w.counts().figures();
    assert.equal(f.samples, 3);
    close(f.accuracy, 1, 'accuracy of the last three');
    close(f.precision_binary, 1, 'the two early false positives have left the window');
  });

  it('a time window forgets samples older than its span', () => {
    const w = new TimeQualityWindow(1000, 4, () => new RegressionCounts());
    w.push(10, 0, NaN, 0); // error 10, leaves at t = 1000
    w.push(1, 0, NaN, 600);
    close(w.counts(900).figures().mae, 5.5, 'both in the window');
    const later = w.counts(1100).figures();
    assert.equal(later.samples, 1);
    close(later.mae, 1, 'the old sample has left');
    w.push(99, 0, NaN, 100); // older than the bucket now serves: ignored
    assert.equal(w.counts(1100).samples, 1);
  });
});
