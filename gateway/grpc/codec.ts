/**
 * ModelInferRequest → InferRequest and InferResponse → ModelInferResponse.
 * Malformed input is rejected here, before it reaches the service, with a
 * message naming the tensor and what was expected (DESIGN: request path, 1).
 */
import { SwitchyardError } from '../../runtime/errors.js';
import {
  allocate,
  elementBytes,
  elementCount,
  fromBytes,
  fromJsonValues,
  isDatatype,
  SUPPORTED_DATATYPES,
  toBytes,
  type Datatype,
  type TypedArray,
} from '../inference/tensor.js';
import type { InferRequest, InferResponse, InputTensor, Parameters, ParameterValue, RequestedOutput } from '../inference/types.js';
import type {
  ContentsField,
  InferInputTensorMessage,
  InferParameterMessage,
  InferTensorContentsMessage,
  Int64,
  ModelInferRequestMessage,
  ModelInferResponseMessage,
  ParameterMap,
} from './messages.js';
import { TIMEOUT_PARAMETER, timeoutDeadline } from '../inference/deadline.js';

/** Which InferTensorContents field carries each datatype (as in Triton's proto). */
const CONTENTS_FIELD: Readonly<Record<Datatype, ContentsField>> = Object.freeze({
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
});

const ALL_CONTENTS_FIELDS: readonly ContentsField[] = [
  'bool_contents',
  'int_contents',
  'int64_contents',
  'uint_contents',
  'uint64_contents',
  'fp32_contents',
  'fp64_contents',
  'bytes_contents',
];

/**
 * `callDeadline` is the gRPC call's deadline (grpc-timeout) as a
 * performance.now() time; the request's deadline is the earlier of it and the
 * `timeout` parameter.
 */
export function decodeInferRequest(message: ModelInferRequestMessage, callDeadline = Infinity): InferRequest {
  if (message.model_name === '') throw invalidRequest('model_name is empty: name the model to run');
  const raw = message.raw_input_contents;
  if (raw.length > 0 && raw.length !== message.inputs.length) {
    throw invalidRequest(
      `raw_input_contents has ${raw.length} entries but the request has ${message.inputs.length} inputs: send one entry per input, in the order of inputs`,
    );
  }
  const request: InferRequest = {
    id: message.id,
    model: message.model_name,
    inputs: message.inputs.map((input, i) => decodeInput(input, raw.length > 0 ? { bytes: raw[i]!, index: i } : undefined)),
    protocol: 'grpc',
  };
  if (message.model_version !== '') request.version = message.model_version;
  if (message.outputs.length > 0) request.outputs = message.outputs.map(decodeRequestedOutput);
  const parameters = decodeParameters(message.parameters);
  if (parameters) request.parameters = parameters;
  const deadline = Math.min(callDeadline, timeoutDeadline(parameters?.[TIMEOUT_PARAMETER]));
  if (deadline !== Infinity) request.deadline = deadline;
  return request;
}

/** Outputs go back as raw little-endian bytes, as Triton sends them; standard clients read these. */
export function encodeInferResponse(response: InferResponse): ModelInferResponseMessage {
  return {
    model_name: response.model_name,
    model_version: response.model_version,
    id: response.id,
    // Which role of the traffic policy answered (stable, canary): Switchyard's response parameter.
    parameters: { role: { string_param: response.role } },
    outputs: response.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
    raw_output_contents: response.outputs.map((output) => toBytes(output.data)),
  };
}

interface RawInput {
  bytes: Uint8Array;
  /** Position in raw_input_contents, for messages. */
  index: number;
}

function decodeInput(input: InferInputTensorMessage, raw: RawInput | undefined): InputTensor {
  const { name } = input;
  if (!isDatatype(input.datatype)) {
    throw invalidTensor(`input '${name}': datatype '${input.datatype}' is not supported; supported datatypes: ${SUPPORTED_DATATYPES.join(', ')}`);
  }
  const datatype = input.datatype;
  const shape = decodeShape(input.shape, name);
  const given = contentsFieldsGiven(input.contents);
  if (raw && given.length > 0) {
    throw invalidRequest(`input '${name}' has contents.${given[0]} and the request also has raw_input_contents: send all inputs one way or the other`);
  }
  const data = raw ? decodeRaw(name, datatype, shape, raw) : decodeContents(name, datatype, shape, input.contents, given);
  const tensor: InputTensor = { name, datatype, shape, data };
  const parameters = decodeParameters(input.parameters);
  if (parameters) tensor.parameters = parameters;
  return tensor;
}

function decodeShape(dims: readonly Int64[], tensor: string): number[] {
  const shape = dims.map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalidTensor(`input '${tensor}': shape [${dims.join(', ')}] must be non-negative integers`);
  }
  return shape;
}

function contentsFieldsGiven(contents: InferTensorContentsMessage | null): ContentsField[] {
  return contents ? ALL_CONTENTS_FIELDS.filter((field) => contents[field].length > 0) : [];
}

function decodeRaw(name: string, datatype: Datatype, shape: number[], raw: RawInput): TypedArray {
  const size = elementBytes(datatype);
  const got = raw.bytes.byteLength;
  const where = `raw_input_contents[${raw.index}]`;
  if (got % size !== 0) {
    throw invalidTensor(`input '${name}' (${datatype}): ${where} has ${got} bytes, not a multiple of the ${size}-byte element size`);
  }
  const count = elementCount(shape);
  if (got !== count * size) {
    throw invalidTensor(
      `input '${name}' (${datatype}): shape [${shape.join(', ')}] needs ${count} elements (${count * size} bytes), got ${got / size} elements (${got} bytes) in ${where}`,
    );
  }
  return fromBytes(datatype, raw.bytes);
}

function decodeContents(
  name: string,
  datatype: Datatype,
  shape: number[],
  contents: InferTensorContentsMessage | null,
  given: readonly ContentsField[],
): TypedArray {
  const field = CONTENTS_FIELD[datatype];
  const wrong = given.find((f) => f !== field);
  if (wrong) throw invalidTensor(`input '${name}' (${datatype}): data is in contents.${wrong}, but ${datatype} data belongs in contents.${field}`);
  const values = contents ? contents[field] : [];
  const count = elementCount(shape);
  if (values.length !== count) {
    const got = values.length === 0 ? 'no data' : `${values.length} elements in contents.${field}`;
    throw invalidTensor(`input '${name}' (${datatype}): shape [${shape.join(', ')}] needs ${count} elements in contents.${field} or raw_input_contents, got ${got}`);
  }
  if (datatype === 'INT64' || datatype === 'UINT64') return fromInt64s(datatype, values as Int64[]);
  return fromJsonValues(datatype, values as readonly unknown[], name);
}

/** int64/uint64 contents (numbers, or decimal strings past 2^53) become exact bigints. */
function fromInt64s(datatype: 'INT64' | 'UINT64', values: readonly Int64[]): TypedArray {
  const out = allocate(datatype, values.length) as BigInt64Array | BigUint64Array;
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]!);
  return out;
}

function decodeRequestedOutput(output: { name: string; parameters: ParameterMap }): RequestedOutput {
  const requested: RequestedOutput = { name: output.name };
  const parameters = decodeParameters(output.parameters);
  if (parameters) requested.parameters = parameters;
  return requested;
}

/** Undefined when there are none, so that absent parameters stay absent. */
function decodeParameters(map: ParameterMap): Parameters | undefined {
  let out: Parameters | undefined;
  // for-in, not Object.entries: no array for the (usual) empty map
  for (const name in map) {
    const value = parameterValue(map[name]!);
    if (value !== undefined) (out ??= {})[name] = value;
  }
  return out;
}

/** 64-bit integer parameters become numbers: parameters are small counts and durations. */
function parameterValue(parameter: InferParameterMessage): ParameterValue | undefined {
  switch (parameter.parameter_choice) {
    case 'bool_param':
      return parameter.bool_param === true;
    case 'int64_param':
      return Number(parameter.int64_param);
    case 'uint64_param':
      return Number(parameter.uint64_param);
    case 'double_param':
      return Number(parameter.double_param);
    case 'string_param':
      return String(parameter.string_param);
    default:
      return undefined;
  }
}

function invalidTensor(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_INVALID_TENSOR', message);
}

function invalidRequest(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_INVALID_REQUEST', message);
}
