/**
 * What the monitor reads from one prediction record:
 * - features: the first input tensor as [rows, F] numbers (absent when the request was not
 *   sampled for inputs), column j being the j-th feature of the version's reference profile;
 * - the prediction per row from the first output: with more than one column a classifier, the
 *   arg-max class, keeping the row as class probabilities when it is a distribution (for log
 *   loss); with one column of an integer datatype a classifier that answers class indices; with
 *   one float column a regressor and its value.
 */
import type { PredictionRecord } from '../../runtime/records.js';
import { isIntegerDatatype, tensorMatrix, TensorRecordError, type NumberMatrix } from './tensor-matrix.js';

export type ModelKind = 'classifier' | 'regressor';

export interface PredictionView {
  readonly rows: number;
  readonly kind: ModelKind;
  /** Classifier: output columns (0 when the model answers class indices). */
  readonly classes: number;
  /** Per row: class index (classifier) or value (regressor). */
  readonly predicted: Float64Array;
  /** rows × classes, when every row of the first output is a probability distribution. */
  readonly probabilities?: Float64Array;
  readonly features?: NumberMatrix;
  /** Why the inputs could not be read (the prediction still counts for quality). */
  readonly inputProblem?: string;
}

/** Slack on a probability row's sum (float32 softmax outputs do not add up to exactly 1). */
const DISTRIBUTION_TOLERANCE = 1e-3;

/** Throws TensorRecordError when the record has no readable first output. */
export function predictionView(record: PredictionRecord): PredictionView {
  const output = record.outputs[0];
  if (!output) throw new TensorRecordError(`prediction ${record.id}: no output tensor`);
  const out = tensorMatrix(output);
  const features = readFeatures(record, out.rows);
  const base = { rows: out.rows, ...features };
  if (out.columns === 1) {
    const kind: ModelKind = isIntegerDatatype(out.datatype) ? 'classifier' : 'regressor';
    return { ...base, kind, classes: 0, predicted: out.values };
  }
  const predicted = new Float64Array(out.rows);
  let distribution = true;
  for (let r = 0; r < out.rows; r++) {
    const offset = r * out.columns;
    let best = 0;
    let sum = 0;
    for (let k = 0; k < out.columns; k++) {
      const p = out.values[offset + k]!;
      if (p > out.values[offset + best]!) best = k;
      if (!(p >= 0 && p <= 1)) distribution = false;
      sum += p;
    }
    if (Math.abs(sum - 1) > DISTRIBUTION_TOLERANCE) distribution = false;
    predicted[r] = best;
  }
  return { ...base, kind: 'classifier', classes: out.columns, predicted, ...(distribution ? { probabilities: out.values } : {}) };
}

function readFeatures(record: PredictionRecord, rows: number): { features?: NumberMatrix; inputProblem?: string } {
  const input = record.inputs[0];
  if (!input) return {};
  try {
    const features = tensorMatrix(input);
    if (features.rows !== rows) return { inputProblem: `input '${input.name}' has ${features.rows} rows but the output has ${rows}` };
    return { features };
  } catch (err) {
    if (err instanceof TensorRecordError) return { inputProblem: err.message };
    throw err;
  }
}
