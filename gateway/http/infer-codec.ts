/**
 * Open Inference Protocol v2 REST bodies: JSON tensors (flat or nested `data`)
 * and the binary tensor extension (`Inference-Header-Content-Length`, raw
 * little-endian bytes after the JSON header), in and out.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import { elementBytes, fromBytes, fromJsonValues, isDatatype, SUPPORTED_DATATYPES, toBytes, toJsonValues } from '../inference/tensor.js';
import { TIMEOUT_PARAMETER, timeoutDeadline } from '../inference/deadline.js';
import type { InferRequest, InferResponse, InputTensor, Parameters, RequestedOutput } from '../inference/types.js';

export interface DecodedHttpInfer {
  request: InferRequest;
  /** Outputs are returned as binary data unless they say otherwise (`binary_data_output`). */
  binaryByDefault: boolean;
}

const MAX_NESTING = 32;

function invalid(code: 'SY_ERR_INVALID_JSON' | 'SY_ERR_INVALID_BINARY' | 'SY_ERR_INVALID_REQUEST' | 'SY_ERR_INVALID_TENSOR', message: string): SwitchyardError {
  return new SwitchyardError(code, message);
}

/**
 * Where the body should start so that its binary part — after an
 * `Inference-Header-Content-Length` JSON header — lies on an 8-byte boundary,
 * the widest element's: the tensors are then views of the body, not copies.
 */
export function binaryAlignmentLead(headerLength: string): number {
  const n = Number(headerLength);
  return headerLength === '' || !Number.isSafeInteger(n) || n < 0 ? 0 : (8 - (n % 8)) % 8;
}

export function decodeInferBody(body: Buffer, headerLength: string, model: string, version: string | undefined): DecodedHttpInfer {
  let jsonEnd = body.byteLength;
  if (headerLength !== '') {
    const n = Number(headerLength);
    if (!Number.isInteger(n) || n < 0) throw invalid('SY_ERR_INVALID_BINARY', `Inference-Header-Content-Length must be a non-negative integer, got '${headerLength}'`);
    if (n > body.byteLength) throw invalid('SY_ERR_INVALID_BINARY', `Inference-Header-Content-Length is ${n} but the body has only ${body.byteLength} bytes`);
    jsonEnd = n;
  }
  const json = parseJsonBody(body.subarray(0, jsonEnd));
  if (!isObject(json)) throw invalid('SY_ERR_INVALID_REQUEST', 'request body must be a JSON object with an "inputs" list');
  if (json.id !== undefined && typeof json.id !== 'string') throw invalid('SY_ERR_INVALID_REQUEST', '"id" must be a string');
  const parameters = parseParameters(json.parameters, 'request "parameters"');
  if (!Array.isArray(json.inputs) || json.inputs.length === 0) throw invalid('SY_ERR_INVALID_REQUEST', '"inputs" must be a non-empty list of tensors');

  const binary = { bytes: body, at: jsonEnd };
  const inputs = json.inputs.map((raw, i) => decodeInput(raw, i, binary));
  if (binary.at !== body.byteLength) {
    throw invalid('SY_ERR_INVALID_BINARY', `the body has ${body.byteLength - jsonEnd} bytes of binary tensor data but the inputs' binary_data_size add up to ${binary.at - jsonEnd}`);
  }
  const outputs = parseRequestedOutputs(json.outputs);
  const deadline = timeoutDeadline(parameters?.[TIMEOUT_PARAMETER]);
  return {
    request: { id: (json.id as string | undefined) ?? '', model, version, inputs, outputs, parameters, deadline: Number.isFinite(deadline) ? deadline : undefined, protocol: 'http' },
    binaryByDefault: parameters?.binary_data_output === true,
  };
}

/** Whether output `name` goes back as binary data: its own `binary_data` parameter, else the request's default. */
export function wantsBinary(decoded: DecodedHttpInfer, name: string): boolean {
  const requested = decoded.request.outputs;
  if (requested) {
    for (const o of requested) {
      const own = o.name === name ? o.parameters?.binary_data : undefined;
      if (typeof own === 'boolean') return own;
    }
  }
  return decoded.binaryByDefault;
}

export function parseJsonBody(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalid('SY_ERR_INVALID_JSON', `request body is not valid JSON: ${(err as Error).message}`);
  }
}

function decodeInput(raw: unknown, index: number, binary: { bytes: Uint8Array; at: number }): InputTensor {
  if (!isObject(raw)) throw invalid('SY_ERR_INVALID_REQUEST', `inputs[${index}] must be an object with name, shape, datatype and data`);
  const name = raw.name;
  if (typeof name !== 'string' || name === '') throw invalid('SY_ERR_INVALID_REQUEST', `inputs[${index}].name must be a non-empty string`);
  const shape = raw.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalid('SY_ERR_INVALID_TENSOR', `input '${name}': shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const datatype = raw.datatype;
  if (!isDatatype(datatype)) {
    throw invalid('SY_ERR_INVALID_TENSOR', `input '${name}': datatype ${JSON.stringify(datatype)} is not supported; expected one of ${SUPPORTED_DATATYPES.join(', ')}`);
  }
  const parameters = parseParameters(raw.parameters, `input '${name}' parameters`);
  const size = parameters?.binary_data_size;
  if (size !== undefined) {
    if (!Number.isSafeInteger(size) || (size as number) < 0) throw invalid('SY_ERR_INVALID_BINARY', `input '${name}': binary_data_size must be a non-negative integer`);
    const n = size as number;
    if (binary.at + n > binary.bytes.byteLength) {
      throw invalid('SY_ERR_INVALID_BINARY', `input '${name}': binary_data_size ${n} runs past the end of the body (${binary.bytes.byteLength - binary.at} bytes left)`);
    }
    if (n % elementBytes(datatype) !== 0) throw invalid('SY_ERR_INVALID_BINARY', `input '${name}': binary_data_size ${n} is not a multiple of ${elementBytes(datatype)} bytes (${datatype})`);
    const data = fromBytes(datatype, binary.bytes.subarray(binary.at, binary.at + n));
    binary.at += n;
    return { name, datatype, shape, data, parameters };
  }
  if (raw.data === undefined) throw invalid('SY_ERR_INVALID_TENSOR', `input '${name}': has neither "data" nor parameters.binary_data_size`);
  const values = Array.isArray(raw.data) ? flatten(raw.data, name) : [raw.data];
  return { name, datatype, shape, data: fromJsonValues(datatype, values, name), parameters };
}

function flatten(data: unknown[], name: string): unknown[] {
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const walk = (items: unknown[], depth: number): void => {
    if (depth > MAX_NESTING) throw invalid('SY_ERR_INVALID_TENSOR', `input '${name}': data is nested more than ${MAX_NESTING} levels deep`);
    for (const item of items) {
      if (Array.isArray(item)) walk(item, depth + 1);
      else out.push(item);
    }
  };
  walk(data, 1);
  return out;
}

function parseRequestedOutputs(raw: unknown): RequestedOutput[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw invalid('SY_ERR_INVALID_REQUEST', '"outputs" must be a list of {"name": ...}');
  return raw.map((o, i) => {
    if (!isObject(o) || typeof o.name !== 'string') throw invalid('SY_ERR_INVALID_REQUEST', `outputs[${i}] must be an object with a "name"`);
    return { name: o.name, parameters: parseParameters(o.parameters, `output '${o.name}' parameters`) };
  });
}

function parseParameters(raw: unknown, where: string): Parameters | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw invalid('SY_ERR_INVALID_REQUEST', `${where} must be an object`);
  for (const key in raw) {
    const type = typeof raw[key];
    if (type !== 'string' && type !== 'number' && type !== 'boolean') throw invalid('SY_ERR_INVALID_REQUEST', `${where}: "${key}" must be a string, number or boolean`);
  }
  return raw as Parameters;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface EncodedHttpInfer {
  body: Uint8Array | string;
  /** Set when binary outputs follow the JSON header. */
  headerLength?: number;
}

/**
 * The answer's JSON header written out directly (strings escaped by
 * JSON.stringify, the rest is numbers and names the codec chose): no object
 * per output to serialise. Binary outputs follow the header in one buffer,
 * from Node's pool when small.
 */
export function encodeInferResponse(response: InferResponse, decoded: DecodedHttpInfer): EncodedHttpInfer {
  let json = `{"id":${JSON.stringify(response.id)},"model_name":${JSON.stringify(response.model_name)},"model_version":${JSON.stringify(response.model_version)},"parameters":{"role":"${response.role}"},"outputs":[`;
  let binaryBytes = 0;
  response.outputs.forEach((o, i) => {
    json += `${i > 0 ? ',' : ''}{"name":${JSON.stringify(o.name)},"datatype":"${o.datatype}","shape":[${o.shape.join(',')}],`;
    if (wantsBinary(decoded, o.name)) {
      json += `"parameters":{"binary_data_size":${o.data.byteLength}}}`;
      binaryBytes += o.data.byteLength;
    } else json += `"data":${JSON.stringify(toJsonValues(o.datatype, o.data))}}`;
  });
  json += ']}';
  if (binaryBytes === 0 && !response.outputs.some((o) => wantsBinary(decoded, o.name))) return { body: json };
  const headerLength = Buffer.byteLength(json);
  const body = Buffer.allocUnsafe(headerLength + binaryBytes);
  body.write(json, 0, headerLength);
  let at = headerLength;
  for (const o of response.outputs) {
    if (!wantsBinary(decoded, o.name)) continue;
    body.set(toBytes(o.data), at);
    at += o.data.byteLength;
  }
  return { body, headerLength };
}
