/** How well a dense classifier (softmax head) does on labelled rows: what trainers report and jobs compare on a holdout. */
import { mlpForward, type DenseLayer } from '../onnx/forward.js';

export interface ClassifierScore {
  accuracy: number;
  /** Mean cross-entropy in nats; a probability below 1e-12 counts as 1e-12 so one sure mistake stays finite. */
  logLoss: number;
}

export interface ScoredRows {
  rows: number;
  /** [rows, layers[0].inFeatures], row-major */
  features: Float32Array;
  /** Class index per row. */
  labels: ArrayLike<number>;
}

export function scoreClassifier(layers: readonly DenseLayer[], data: ScoredRows): ClassifierScore {
  if (data.rows === 0) throw new Error('cannot score a classifier on 0 rows');
  const probabilities = mlpForward(layers, data.features, data.rows);
  const classes = layers[layers.length - 1].outFeatures;
  let correct = 0;
  let loss = 0;
  for (let r = 0; r < data.rows; r++) {
    const row = probabilities.subarray(r * classes, (r + 1) * classes);
    const label = data.labels[r];
    let predicted = 0;
    for (let k = 1; k < classes; k++) if (row[k] > row[predicted]) predicted = k;
    if (predicted === label) correct++;
    loss -= Math.log(Math.max(row[label] ?? 0, 1e-12));
  }
  return { accuracy: correct / data.rows, logLoss: loss / data.rows };
}
