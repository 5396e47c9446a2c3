/**
 * Concatenates a batch's requests along dim 0 into one buffer (the only thing
 * that crosses to the worker, transferred), and splits the batch's outputs
 * back into per-request views without copying.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { TensorSpec } from '../../models/manifest.js';
import type { PackedTensor, ReturnedTensor } from '../execution/batch-task.js';
import { datatypeOfOrt, elementBytes, toBytes, view, type TypedArray } from './tensor.js';
import type { OutputTensor } from './types.js';
import type { ValidatedInputs } from './validate.js';

const ALIGN = 8;

export interface PackedBatch {
  buffer: ArrayBuffer;
  tensors: PackedTensor[];
  rows: number;
}

/** `memory` gives the buffer to pack into, of at least the bytes asked (by default a new one). */
export function packBatch(specs: readonly TensorSpec[], requests: readonly ValidatedInputs[], memory: (bytes: number) => ArrayBuffer = (bytes) => new ArrayBuffer(bytes)): PackedBatch {
  const rows = requests.reduce((n, r) => n + r.rows, 0);
  const tensors: PackedTensor[] = [];
  let offset = 0;
  specs.forEach((spec, k) => {
    const length = requests.reduce((n, r) => n + r.tensors[k]!.length, 0);
    const first = requests[0]!.shapes[k]!;
    const dims = requests.length === 1 ? [...first] : [rows, ...first.slice(1)];
    tensors.push({ name: spec.name, datatype: spec.datatype, dims, byteOffset: offset, length });
    offset += Math.ceil((length * elementBytes(spec.datatype)) / ALIGN) * ALIGN;
  });
  const buffer = memory(offset);
  const bytes = new Uint8Array(buffer);
  tensors.forEach((tensor, k) => {
    let at = tensor.byteOffset;
    for (const request of requests) {
      const src = toBytes(request.tensors[k]!);
      bytes.set(src, at);
      at += src.byteLength;
    }
  });
  return { buffer, tensors, rows };
}

export interface SplitOutputs {
  /** The batch's outputs whole. */
  whole: OutputTensor[];
  /** Per request, its rows of every output. */
  perRequest: OutputTensor[][];
}

/** The batch's outputs, whole and per request, as views over the returned buffers. */
export function splitOutputs(outputs: readonly ReturnedTensor[], requestRows: readonly number[], batched: boolean): SplitOutputs {
  const whole: OutputTensor[] = [];
  const perRequest: OutputTensor[][] = requestRows.map(() => []);
  for (const out of outputs) {
    const datatype = datatypeOfOrt(out.type);
    const all: TypedArray = view(datatype, out.buffer, out.byteOffset, out.length);
    const entire: OutputTensor = { name: out.name, datatype, shape: out.dims, data: all };
    whole.push(entire);
    if (!batched) {
      perRequest[0]!.push(entire);
      continue;
    }
    const totalRows = out.dims[0]!;
    const expectedRows = requestRows.reduce((a, b) => a + b, 0);
    if (totalRows !== expectedRows) {
      throw new SwitchyardError('SY_ERR_MODEL_EXECUTION', `output '${out.name}' has ${totalRows} rows for a batch of ${expectedRows}; a batching model's outputs must keep dim 0 as the batch dimension`);
    }
    const rowSize = totalRows === 0 ? 0 : out.length / totalRows;
    let row = 0;
    requestRows.forEach((rows, i) => {
      const data = all.subarray(row * rowSize, (row + rows) * rowSize) as TypedArray;
      perRequest[i]!.push({ name: out.name, datatype, shape: [rows, ...out.dims.slice(1)], data });
      row += rows;
    });
  }
  return { whole, perRequest };
}
