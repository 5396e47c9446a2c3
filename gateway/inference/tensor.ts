/**
 * Tensors as the gateway holds them: Open Inference Protocol datatypes backed by
 * typed arrays, row-major. Conversions from JSON values and raw little-endian
 * bytes live here so every transport decodes the same way.
 */
import { SwitchyardError } from '../../runtime/errors.js';

export type Datatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP32'
  | 'FP64';

export type TypedArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

interface DatatypeInfo {
  bytes: number;
  ort: string;
  array: { new (length: number): TypedArray; new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray };
  bigint: boolean;
}

const DATATYPES: Record<Datatype, DatatypeInfo> = {
  BOOL: { bytes: 1, ort: 'bool', array: Uint8Array, bigint: false },
  UINT8: { bytes: 1, ort: 'uint8', array: Uint8Array, bigint: false },
  UINT16: { bytes: 2, ort: 'uint16', array: Uint16Array, bigint: false },
  UINT32: { bytes: 4, ort: 'uint32', array: Uint32Array, bigint: false },
  UINT64: { bytes: 8, ort: 'uint64', array: BigUint64Array, bigint: true },
  INT8: { bytes: 1, ort: 'int8', array: Int8Array, bigint: false },
  INT16: { bytes: 2, ort: 'int16', array: Int16Array, bigint: false },
  INT32: { bytes: 4, ort: 'int32', array: Int32Array, bigint: false },
  INT64: { bytes: 8, ort: 'int64', array: BigInt64Array, bigint: true },
  FP32: { bytes: 4, ort: 'float32', array: Float32Array, bigint: false },
  FP64: { bytes: 8, ort: 'float64', array: Float64Array, bigint: false },
};

export const SUPPORTED_DATATYPES = Object.keys(DATATYPES) as Datatype[];

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && Object.hasOwn(DATATYPES, value);
}

export function elementBytes(datatype: Datatype): number {
  return DATATYPES[datatype].bytes;
}

export function ortType(datatype: Datatype): string {
  return DATATYPES[datatype].ort;
}

const ORT_TO_DATATYPE = new Map(Object.entries(DATATYPES).map(([dt, info]) => [info.ort, dt as Datatype]));

export function datatypeOfOrt(type: string): Datatype {
  const dt = ORT_TO_DATATYPE.get(type);
  if (!dt) throw new SwitchyardError('SY_ERR_MODEL_EXECUTION', `model produced a tensor of ONNX type '${type}', which the gateway cannot return`);
  return dt;
}

export function allocate(datatype: Datatype, length: number): TypedArray {
  return new DATATYPES[datatype].array(length);
}

export function view(datatype: Datatype, buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray {
  return new DATATYPES[datatype].array(buffer, byteOffset, length);
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Typed array from JSON values (already flattened). Checks every element, since
 * a silent NaN or truncated integer would be a wrong answer, not an error.
 */
export function fromJsonValues(datatype: Datatype, values: readonly unknown[], tensorName: string): TypedArray {
  const info = DATATYPES[datatype];
  const out = new info.array(values.length);
  const target = out as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (datatype === 'BOOL') {
      if (typeof v !== 'boolean') throw badElement(tensorName, datatype, i, v, 'true or false');
      target[i] = v ? 1 : 0;
    } else if (typeof v !== 'number') {
      throw badElement(tensorName, datatype, i, v, 'a number');
    } else if (info.bigint) {
      // Beyond 2^53 JSON.parse has already lost digits; below 0 a UINT64 would wrap.
      if (!Number.isSafeInteger(v)) throw badElement(tensorName, datatype, i, v, 'an integer within ±(2^53-1) (send larger values as binary data)');
      if (datatype === 'UINT64' && v < 0) throw badElement(tensorName, datatype, i, v, 'a non-negative integer');
      target[i] = BigInt(v);
    } else if (datatype === 'FP32' || datatype === 'FP64') {
      target[i] = v;
    } else {
      if (!Number.isInteger(v)) throw badElement(tensorName, datatype, i, v, 'an integer');
      target[i] = v;
      if (target[i] !== v) throw badElement(tensorName, datatype, i, v, `an integer in range of ${datatype}`);
    }
  }
  return out;
}

function badElement(tensor: string, datatype: Datatype, index: number, got: unknown, expected: string): SwitchyardError {
  return new SwitchyardError(
    'SY_ERR_INVALID_TENSOR',
    `input '${tensor}' (${datatype}): element ${index} is ${JSON.stringify(got)}, expected ${expected}`,
  );
}

/**
 * A typed array over raw little-endian bytes: a view where they lie when they
 * are aligned for the datatype (the transports place bodies so that they are),
 * an aligned copy otherwise.
 */
export function fromBytes(datatype: Datatype, bytes: Uint8Array): TypedArray {
  const { bytes: size, array } = DATATYPES[datatype];
  if (bytes.byteOffset % size === 0) return new array(bytes.buffer, bytes.byteOffset, bytes.byteLength / size);
  const out = new array(bytes.byteLength / size);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** The tensor's bytes, without copying. */
export function toBytes(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Plain JSON values: BOOL as booleans, 64-bit integers as numbers. */
export function toJsonValues(datatype: Datatype, data: TypedArray): Array<number | boolean> {
  const out = new Array<number | boolean>(data.length);
  if (datatype === 'BOOL') {
    for (let i = 0; i < data.length; i++) out[i] = data[i] !== 0;
  } else if (DATATYPES[datatype].bigint) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  } else {
    for (let i = 0; i < data.length; i++) out[i] = data[i] as number;
  }
  return out;
}
