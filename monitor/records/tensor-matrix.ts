/**
 * A recorded tensor (raw little-endian bytes, as in proto/monitor.proto) read as a row-major
 * [rows, columns] matrix of numbers: dimension 0 is the rows, the rest are flattened into
 * columns. 64-bit integers become numbers and BOOL 0/1.
 */
import { elementBytes, elementCount, fromBytes, isDatatype, type Datatype } from '../../gateway/inference/tensor.js';
import type { TensorRecord } from '../../runtime/records.js';

export interface NumberMatrix {
  readonly rows: number;
  readonly columns: number;
  readonly datatype: Datatype;
  /** rows × columns, row-major. */
  readonly values: Float64Array;
}

export class TensorRecordError extends Error {
  override name = 'TensorRecordError';
}

export function isIntegerDatatype(datatype: Datatype): boolean {
  return datatype !== 'FP32' && datatype !== 'FP64';
}

export function tensorMatrix(tensor: TensorRecord): NumberMatrix {
  const where = `tensor '${tensor.name}'`;
  if (!isDatatype(tensor.datatype)) throw new TensorRecordError(`${where}: datatype ${JSON.stringify(tensor.datatype)} is not an Open Inference Protocol numeric datatype`);
  const shape = tensor.shape;
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new TensorRecordError(`${where}: shape [${shape.join(', ')}] must be non-negative integers`);
  const rows = shape.length === 0 ? 1 : shape[0]!;
  const columns = shape.length <= 1 ? 1 : elementCount(shape.slice(1));
  const expected = rows * columns * elementBytes(tensor.datatype);
  if (tensor.data.byteLength !== expected) {
    throw new TensorRecordError(`${where}: ${tensor.data.byteLength} bytes of data, expected ${expected} for shape [${shape.join(', ')}] of ${tensor.datatype}`);
  }
  const typed = fromBytes(tensor.datatype, tensor.data);
  const values = new Float64Array(typed.length);
  for (let i = 0; i < typed.length; i++) values[i] = Number(typed[i]);
  return { rows, columns, datatype: tensor.datatype, values };
}
