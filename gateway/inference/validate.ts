/**
 * Checks a decoded request against the model version's manifest, once, before
 * it is queued. Every message names the tensor, what was expected and what came.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { ModelManifest, TensorSpec } from '../../models/manifest.js';
import { elementCount, type TypedArray } from './tensor.js';
import type { InputTensor, RequestedOutput } from './types.js';

export interface ValidatedInputs {
  /** In the manifest's input order. */
  tensors: TypedArray[];
  shapes: number[][];
  /** Batch rows (dim 0) for batching models; 1 otherwise. */
  rows: number;
  /** Equal for requests that can share a batch. */
  shapeKey: string;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(',')}]`;

function invalid(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_INVALID_TENSOR', message);
}

export function validateInputs(manifest: ModelManifest, inputs: readonly InputTensor[]): ValidatedInputs {
  const specs = manifest.inputs;
  const ordered = inSpecOrder(manifest, inputs);
  const batching = manifest.batching.max_batch_size > 0;
  const keyed = shapeKeyed(manifest);
  let rows = 1;
  let shapeKey = '';
  const tensors: TypedArray[] = new Array(specs.length);
  const shapes: number[][] = new Array(specs.length);
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const input = ordered[i]!;
    checkTensor(spec, input);
    if (batching) {
      const inputRows = input.shape[0]!;
      if (inputRows < 1) throw invalid(`input '${spec.name}': batch dimension is ${inputRows}, expected at least 1`);
      if (inputRows > manifest.batching.max_batch_size) {
        throw invalid(`input '${spec.name}': batch size ${inputRows} exceeds the model's max_batch_size ${manifest.batching.max_batch_size}`);
      }
      if (i === 0) rows = inputRows;
      else if (inputRows !== rows) throw invalid(`input '${spec.name}': batch size ${inputRows} differs from input '${specs[0]!.name}' (${rows})`);
    }
    if (keyed[i]) shapeKey += fmt(input.shape.slice(1));
    tensors[i] = input.data;
    shapes[i] = input.shape;
  }
  return { tensors, shapes, rows, shapeKey };
}

/** The inputs in the manifest's order; usually they came in it. */
function inSpecOrder(manifest: ModelManifest, inputs: readonly InputTensor[]): readonly InputTensor[] {
  const specs = manifest.inputs;
  if (inputs.length === specs.length && specs.every((spec, i) => inputs[i]!.name === spec.name)) return inputs;
  const byName = new Map<string, InputTensor>();
  for (const input of inputs) {
    if (byName.has(input.name)) throw invalid(`input '${input.name}' is given twice`);
    if (!specs.some((s) => s.name === input.name)) {
      throw invalid(`unexpected input '${input.name}'; model '${manifest.name}' takes ${describeSpecs(specs)}`);
    }
    byName.set(input.name, input);
  }
  return specs.map((spec) => {
    const input = byName.get(spec.name);
    if (!input) throw invalid(`missing input '${spec.name}' (${spec.datatype} ${fmt(spec.shape)}); model '${manifest.name}' takes ${describeSpecs(specs)}`);
    return input;
  });
}

/** Per input, whether it has a variable dimension besides the batch one: requests only share a batch when those match. */
const SHAPE_KEYED = new WeakMap<ModelManifest, boolean[]>();

function shapeKeyed(manifest: ModelManifest): boolean[] {
  let keyed = SHAPE_KEYED.get(manifest);
  if (!keyed) {
    const batching = manifest.batching.max_batch_size > 0;
    keyed = manifest.inputs.map((s) => s.shape.some((d, k) => d === -1 && !(batching && k === 0)));
    SHAPE_KEYED.set(manifest, keyed);
  }
  return keyed;
}

function checkTensor(spec: TensorSpec, input: InputTensor): void {
  if (input.datatype !== spec.datatype) {
    throw invalid(`input '${spec.name}': datatype ${input.datatype} does not match the model's ${spec.datatype}`);
  }
  const shape = input.shape;
  const matches = shape.length === spec.shape.length && spec.shape.every((d, k) => d === -1 || d === shape[k]);
  if (!matches) throw invalid(`input '${spec.name}': shape ${fmt(shape)} does not match the model's ${fmt(spec.shape)} (-1 = any size)`);
  const expected = elementCount(shape);
  if (input.data.length !== expected) {
    throw invalid(`input '${spec.name}': shape ${fmt(shape)} needs ${expected} elements, got ${input.data.length}`);
  }
}

/** Indexes of the requested outputs, in the order asked; undefined when none is named (all of them, in manifest order). */
export function selectOutputs(manifest: ModelManifest, requested: readonly RequestedOutput[] | undefined): number[] | undefined {
  if (!requested || requested.length === 0) return undefined;
  return requested.map((r) => {
    const index = manifest.outputs.findIndex((s) => s.name === r.name);
    if (index < 0) throw invalid(`requested output '${r.name}' does not exist; model '${manifest.name}' has ${describeSpecs(manifest.outputs)}`);
    return index;
  });
}

function describeSpecs(specs: readonly TensorSpec[]): string {
  return specs.map((s) => `'${s.name}' (${s.datatype} ${fmt(s.shape)})`).join(', ');
}
