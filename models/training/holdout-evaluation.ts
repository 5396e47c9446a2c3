/**
 * Scores an ONNX classifier on the holdout rows with ONNX Runtime in this process (the holdout is
 * small: one batched run), the same way for the new version and for stable — so both numbers
 * come from the runtime the gateway serves them with. Refuses, naming what differs, a model whose
 * input or output is not the one stable's manifest declares.
 */
import ort from 'onnxruntime-node';
import type { TensorSpec } from '../manifest.js';
import type { LabeledDataset } from './dataset.js';

export interface TensorContract {
  input: TensorSpec;
  output: TensorSpec;
}

export interface OnnxScore {
  accuracy: number;
  /** Mean cross-entropy in nats, probabilities clipped at 1e-12. */
  logLoss: number;
  /** The predicted class of each row. */
  predicted: Uint32Array;
  /** Class probabilities, [rows, classes] row-major, as ONNX Runtime returned them. */
  probabilities: Float32Array;
  classes: number;
}

/** The contract a retrained version must keep: stable's single FP32 input and its output named in the manifest. */
export function tensorContract(inputs: readonly TensorSpec[], outputs: readonly TensorSpec[], featureCount: number, what: string): TensorContract {
  if (inputs.length !== 1) throw new Error(`${what} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); training supports models with one feature-vector input`);
  const input = inputs[0]!;
  if (input.datatype !== 'FP32') throw new Error(`${what}: input "${input.name}" is ${input.datatype}; training supports an FP32 feature vector`);
  const width = input.shape[input.shape.length - 1];
  if (input.shape.length !== 2 || (width !== undefined && width !== -1 && width !== featureCount)) {
    throw new Error(`${what}: input "${input.name}" has shape [${input.shape.join(', ')}] but the dataset has ${featureCount} feature columns; expected [-1, ${featureCount}]`);
  }
  const output = outputs[0]!;
  if (output.datatype !== 'FP32') throw new Error(`${what}: output "${output.name}" is ${output.datatype}; training evaluates FP32 class probabilities`);
  return { input, output };
}

/** Scores each dataset in turn on one session (one batched run per dataset). */
export async function scoreClassifierFile(modelPath: string, datasets: readonly LabeledDataset[], contract: TensorContract, what: string): Promise<OnnxScore[]> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  } catch (err) {
    throw new Error(`${what} is not a model ONNX Runtime can load: ${(err as Error).message}`);
  }
  try {
    const scores: OnnxScore[] = [];
    for (const data of datasets) scores.push(await scoreOn(session, data, contract, what));
    return scores;
  } finally {
    await session.release();
  }
}

async function scoreOn(session: ort.InferenceSession, data: LabeledDataset, contract: TensorContract, what: string): Promise<OnnxScore> {
  const { input, output } = contract;
  if (!session.inputNames.includes(input.name) || session.inputNames.length !== 1) {
    throw new Error(`${what} takes input(s) ${session.inputNames.map((n) => `"${n}"`).join(', ')}, but stable's manifest declares one input "${input.name}"; the new model must keep stable's tensor names`);
  }
  if (!session.outputNames.includes(output.name)) {
    throw new Error(`${what} produces output(s) ${session.outputNames.map((n) => `"${n}"`).join(', ')}, but stable's manifest declares "${output.name}"; the new model must keep stable's tensor names`);
  }
  const width = data.featureNames.length;
  let result: ort.InferenceSession.OnnxValueMapType;
  try {
    result = await session.run({ [input.name]: new ort.Tensor('float32', data.features, [data.rows, width]) }, [output.name]);
  } catch (err) {
    throw new Error(`${what} does not run on [${data.rows}, ${width}] float32 features under input "${input.name}": ${(err as Error).message}`);
  }
  const tensor = result[output.name] as ort.Tensor;
  const dims = tensor.dims;
  const declared = output.shape[output.shape.length - 1];
  const classes = dims.length === 2 ? dims[1]! : dims.length === 1 ? 1 : -1;
  if (tensor.type !== 'float32' || dims[0] !== data.rows || classes < 1 || (declared !== undefined && declared > 0 && declared !== classes)) {
    throw new Error(`${what}: output "${output.name}" is ${tensor.type} [${dims.join(', ')}], expected float32 [${data.rows}, ${declared !== undefined && declared > 0 ? declared : 'classes'}] as stable's manifest declares [${output.shape.join(', ')}]`);
  }
  return score(tensor.data as Float32Array, classes, data, what);
}

/** One column is read as the probability of class 1 (a sigmoid head); several as a distribution over classes. */
function score(probabilities: Float32Array, columns: number, data: LabeledDataset, what: string): OnnxScore {
  const classes = Math.max(columns, 2);
  const predicted = new Uint32Array(data.rows);
  let correct = 0;
  let loss = 0;
  for (let r = 0; r < data.rows; r++) {
    const label = data.labels[r]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw new Error(`${what}: row ${r + 1} has label ${label}, but the model scores ${classes} classes (0-${classes - 1})`);
    const p = (k: number): number => (columns === 1 ? (k === 1 ? probabilities[r]! : 1 - probabilities[r]!) : probabilities[r * columns + k]!);
    let best = 0;
    for (let k = 1; k < classes; k++) if (p(k) > p(best)) best = k;
    predicted[r] = best;
    if (best === label) correct++;
    loss -= Math.log(Math.max(p(label), 1e-12));
  }
  return { accuracy: correct / data.rows, logLoss: loss / data.rows, predicted, probabilities, classes: columns };
}
