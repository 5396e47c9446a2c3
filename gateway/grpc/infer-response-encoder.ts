/**
 * ModelInferResponse (and ModelStreamInferResponse, which wraps it) encoded by
 * hand straight into the gRPC frame it is sent in: one allocation, sized by a
 * first pass, no copy of the encoded message into a frame afterwards.
 * protobufjs' reflection encoder plus that copy takes several times as long for
 * a single-row answer (loadtest figures in the commit log).
 *
 * proto3 rules: fields at their default are not written, repeated int64s are
 * packed, tensor bytes are the typed array's little-endian memory as given.
 */
import { GRPC_PREFIX_BYTES } from '../../runtime/grpc-message-counter.js';
import { allocateFrame } from './framing.js';
import type { InferParameterMessage, Int64, ModelInferResponseMessage, ModelStreamInferResponseMessage, ParameterMap, TensorMetadataMessage } from './messages.js';

const TWO_32 = 2 ** 32;

/** The response framed: compressed flag 0, big-endian length, the message. */
export function encodeModelInferResponse(message: ModelInferResponseMessage): Buffer {
  const frame = allocateFrame(responseSize(message));
  writeResponse(frame, GRPC_PREFIX_BYTES, message);
  return frame;
}

export function encodeModelStreamInferResponse(message: ModelStreamInferResponseMessage): Buffer {
  const { error_message: error, infer_response: response } = message;
  const responseBytes = response ? responseSize(response) : 0;
  const frame = allocateFrame(stringFieldSize(error) + (response ? delimitedSize(responseBytes) : 0));
  const at = writeString(frame, GRPC_PREFIX_BYTES, 1, error);
  if (response) writeResponse(frame, writeDelimitedHeader(frame, at, 2, responseBytes), response);
  return frame;
}

function responseSize(m: ModelInferResponseMessage): number {
  let size = stringFieldSize(m.model_name) + stringFieldSize(m.model_version) + stringFieldSize(m.id) + parametersSize(m.parameters);
  for (const output of m.outputs) size += delimitedSize(outputSize(output));
  for (const raw of m.raw_output_contents) size += delimitedSize(raw.byteLength);
  return size;
}

function writeResponse(buf: Buffer, at: number, m: ModelInferResponseMessage): number {
  at = writeString(buf, at, 1, m.model_name);
  at = writeString(buf, at, 2, m.model_version);
  at = writeString(buf, at, 3, m.id);
  at = writeParameters(buf, at, 4, m.parameters);
  for (const output of m.outputs) at = writeOutput(buf, writeDelimitedHeader(buf, at, 5, outputSize(output)), output);
  for (const raw of m.raw_output_contents) {
    at = writeDelimitedHeader(buf, at, 6, raw.byteLength);
    buf.set(raw, at);
    at += raw.byteLength;
  }
  return at;
}

function outputSize(output: TensorMetadataMessage): number {
  const shape = shapeSize(output.shape);
  return stringFieldSize(output.name) + stringFieldSize(output.datatype) + (shape > 0 ? delimitedSize(shape) : 0);
}

function writeOutput(buf: Buffer, at: number, output: TensorMetadataMessage): number {
  at = writeString(buf, at, 1, output.name);
  at = writeString(buf, at, 2, output.datatype);
  const shape = shapeSize(output.shape);
  if (shape === 0) return at;
  at = writeDelimitedHeader(buf, at, 3, shape);
  for (const dim of output.shape) at = writeInt64(buf, at, dim);
  return at;
}

function shapeSize(shape: readonly Int64[]): number {
  let size = 0;
  for (const dim of shape) size += int64Size(dim);
  return size;
}

function parametersSize(parameters: ParameterMap | undefined): number {
  let size = 0;
  for (const key in parameters) size += delimitedSize(entrySize(key, parameters[key]!));
  return size;
}

function writeParameters(buf: Buffer, at: number, field: number, parameters: ParameterMap | undefined): number {
  for (const key in parameters) {
    const value = parameters[key]!;
    at = writeDelimitedHeader(buf, at, field, entrySize(key, value));
    at = writeString(buf, at, 1, key);
    at = writeParameter(buf, writeDelimitedHeader(buf, at, 2, parameterSize(value)), value);
  }
  return at;
}

/** A map entry always carries its key and value, even at their defaults. */
function entrySize(key: string, value: InferParameterMessage): number {
  return delimitedSize(utf8Length(key)) + delimitedSize(parameterSize(value));
}

/** The InferParameter oneof: whichever value is present (an outgoing message need not name parameter_choice). */
function parameterSize(p: InferParameterMessage): number {
  if (p.bool_param !== undefined) return 2;
  if (p.int64_param !== undefined) return 1 + int64Size(p.int64_param);
  if (p.string_param !== undefined) return delimitedSize(utf8Length(p.string_param));
  if (p.double_param !== undefined) return 9;
  if (p.uint64_param !== undefined) return 1 + int64Size(p.uint64_param);
  return 0;
}

function writeParameter(buf: Buffer, at: number, p: InferParameterMessage): number {
  if (p.bool_param !== undefined) {
    buf[at] = tag(1, 0);
    buf[at + 1] = p.bool_param ? 1 : 0;
    return at + 2;
  }
  if (p.int64_param !== undefined) return writeInt64(buf, writeTag(buf, at, 2, 0), p.int64_param);
  if (p.string_param !== undefined) return writeDelimitedString(buf, at, 3, p.string_param);
  if (p.double_param !== undefined) {
    buf[at] = tag(4, 1);
    buf.writeDoubleLE(p.double_param, at + 1);
    return at + 9;
  }
  if (p.uint64_param !== undefined) return writeInt64(buf, writeTag(buf, at, 5, 0), p.uint64_param);
  return at;
}

const tag = (field: number, wireType: number): number => (field << 3) | wireType;

/** Field numbers here are below 16: every tag is one byte. */
function writeTag(buf: Buffer, at: number, field: number, wireType: number): number {
  buf[at] = tag(field, wireType);
  return at + 1;
}

function delimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

function writeDelimitedHeader(buf: Buffer, at: number, field: number, length: number): number {
  return writeVarint(buf, writeTag(buf, at, field, 2), length);
}

/** A string field, omitted when empty (proto3 default). */
function stringFieldSize(value: string): number {
  return value === '' ? 0 : delimitedSize(utf8Length(value));
}

function writeString(buf: Buffer, at: number, field: number, value: string): number {
  return value === '' ? at : writeDelimitedString(buf, at, field, value);
}

function writeDelimitedString(buf: Buffer, at: number, field: number, value: string): number {
  const length = utf8Length(value);
  at = writeDelimitedHeader(buf, at, field, length);
  if (length !== value.length) return at + buf.write(value, at, length, 'utf8');
  for (let i = 0; i < length; i++) buf[at + i] = value.charCodeAt(i);
  return at + length;
}

/** ASCII strings (names, datatypes, ids) measured in JS: cheaper than a call into the native encoder. */
function utf8Length(value: string): number {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) return Buffer.byteLength(value);
  return value.length;
}

function varintSize(value: number): number {
  let size = 1;
  for (; value >= 0x80; size++) value = Math.floor(value / 0x80);
  return size;
}

function writeVarint(buf: Buffer, at: number, value: number): number {
  for (; value >= 0x80; value = value >= TWO_32 ? Math.floor(value / 0x80) : value >>> 7) buf[at++] = (value & 0x7f) | 0x80;
  buf[at] = value;
  return at + 1;
}

/** Negative int64s (and decimal strings) take the exact two's-complement route; dims and counts do not. */
function int64Size(value: Int64): number {
  return typeof value === 'number' && value >= 0 ? varintSize(value) : bigVarintSize(BigInt.asUintN(64, BigInt(value)));
}

function writeInt64(buf: Buffer, at: number, value: Int64): number {
  if (typeof value === 'number' && value >= 0) return writeVarint(buf, at, value);
  for (let v = BigInt.asUintN(64, BigInt(value)); ; v >>= 7n) {
    if (v < 0x80n) {
      buf[at] = Number(v);
      return at + 1;
    }
    buf[at++] = Number(v & 0x7fn) | 0x80;
  }
}

function bigVarintSize(value: bigint): number {
  let size = 1;
  for (; value >= 0x80n; size++) value >>= 7n;
  return size;
}
