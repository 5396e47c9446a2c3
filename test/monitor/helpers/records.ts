/** Builds gateway records the way the gateway's publisher would: raw little-endian tensors. */
import type { FeedbackRecord, PredictionRecord, TensorRecord } from '../../../runtime/records.js';

export function fp32Tensor(name: string, rows: number, columns: number, values: ArrayLike<number>): TensorRecord {
  const data = Float32Array.from(values);
  if (data.length !== rows * columns) throw new Error(`fp32Tensor ${name}: ${data.length} values for [${rows}, ${columns}]`);
  return { name, datatype: 'FP32', shape: [rows, columns], data: new Uint8Array(data.buffer) };
}

export interface PredictionInit {
  id: string;
  model: string;
  version: string;
  role?: string;
  /** Rows of features (sampled inputs); omitted: not sampled. */
  features?: number[][];
  /** Rows of class probabilities (classifier) … */
  probabilities?: number[][];
  /** … or one value per row (regressor). */
  values?: number[];
  status?: string;
  timeMs?: number;
}

export function prediction(init: PredictionInit): PredictionRecord {
  const outputs: TensorRecord[] = [];
  if (init.probabilities) outputs.push(fp32Tensor('probabilities', init.probabilities.length, init.probabilities[0]!.length, init.probabilities.flat()));
  if (init.values) outputs.push(fp32Tensor('value', init.values.length, 1, init.values));
  const inputs = init.features ? [fp32Tensor('features', init.features.length, init.features[0]!.length, init.features.flat())] : [];
  return {
    id: init.id,
    model: init.model,
    version: init.version,
    role: init.role ?? 'stable',
    time_ms: init.timeMs ?? Date.now(),
    inputs,
    outputs,
    latency_us: 500,
    status: init.status ?? 'OK',
  };
}

export function feedback(id: string, model: string, labels: number[], timeMs = Date.now()): FeedbackRecord {
  return { id, model, labels, time_ms: timeMs };
}

/** A confident two-class answer for `predicted` (0.9 on it). */
export function twoClass(predicted: number): number[] {
  return predicted === 1 ? [0.1, 0.9] : [0.9, 0.1];
}
