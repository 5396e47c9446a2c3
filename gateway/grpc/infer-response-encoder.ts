/**
 * ModelInferResponse (and ModelStreamInferResponse, which wraps it) encoded by
 * hand in one pass, straight into the gRPC frame it is sent in: the frame is
 * allocated at an upper bound of the message's size (cheap to compute: no
 * string is measured), fields are written in order, and the frame handed back
 * is the part written. The output tensors are copied once, into the frame.
 *
 * A nested message's or string's length is written after its body: the body
 * starts one byte after its tag, and in the rare case that it is 128 bytes or
 * more it is moved up to make room for a longer length. The one nested message
 * that can be large, a stream response's infer_response, is written first and
 * its headers placed before it instead, so tensors are never moved.
 *
 * Against protobufjs' reflection encoder and the copy into a frame, measured
 * on this machine: ~0.5 against ~0.7 µs for a single-row answer, 0.29 against
 * 0.65 ms for a 1 MiB output (protobufjs copies the tensor twice).
 *
 * proto3 rules: fields at their default are not written, repeated int64s are
 * packed, tensor bytes are the typed array's little-endian memory as given.
 */
import { GRPC_PREFIX_BYTES } from '../../runtime/grpc-message-counter.js';
import type { InferParameterMessage, Int64, ModelInferResponseMessage, ModelStreamInferResponseMessage, ParameterMap, TensorMetadataMessage } from './messages.js';

const TWO_32 = 2 ** 32;
/** A tag (field numbers here are below 16) and the longest length varint a message can need. */
const FIELD_HEADER_BOUND = 1 + 5;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit. */
const UTF8_BYTES_PER_UNIT = 3;
const INT64_BOUND = 10;

export function encodeModelInferResponse(message: ModelInferResponseMessage): Buffer {
  const frame = Buffer.allocUnsafe(GRPC_PREFIX_BYTES + responseBound(message));
  return framed(frame, 0, writeResponse(frame, GRPC_PREFIX_BYTES, message));
}

export function encodeModelStreamInferResponse(message: ModelStreamInferResponseMessage): Buffer {
  const { error_message: error, infer_response: response } = message;
  const errorBytes = utf8Length(error);
  const errorField = errorBytes === 0 ? 0 : 1 + varintSize(errorBytes) + errorBytes;
  const bodyStart = GRPC_PREFIX_BYTES + errorField + (response ? FIELD_HEADER_BOUND : 0);
  const frame = Buffer.allocUnsafe(bodyStart + (response ? responseBound(response) : 0));
  const end = response ? writeResponse(frame, bodyStart, response) : bodyStart;
  const responseHeader = response ? 1 + varintSize(end - bodyStart) : 0;
  const start = bodyStart - responseHeader - errorField - GRPC_PREFIX_BYTES;
  const at = writeString(frame, start + GRPC_PREFIX_BYTES, 1, error);
  if (response) writeVarint(frame, writeTag(frame, at, 2, 2), end - bodyStart);
  return framed(frame, start, end);
}

/** The frame from `start` to `end`, its prefix written: compressed flag 0, big-endian message length. */
function framed(buf: Buffer, start: number, end: number): Buffer {
  buf[start] = 0;
  buf.writeUInt32BE(end - start - GRPC_PREFIX_BYTES, start + 1);
  return buf.subarray(start, end);
}

function responseBound(m: ModelInferResponseMessage): number {
  let bound = stringBound(m.model_name) + stringBound(m.model_version) + stringBound(m.id) + parametersBound(m.parameters);
  for (const output of m.outputs) bound += FIELD_HEADER_BOUND + stringBound(output.name) + stringBound(output.datatype) + FIELD_HEADER_BOUND + INT64_BOUND * output.shape.length;
  for (const raw of m.raw_output_contents) bound += FIELD_HEADER_BOUND + raw.byteLength;
  return bound;
}

function parametersBound(parameters: ParameterMap | undefined): number {
  let bound = 0;
  for (const key in parameters) {
    const value = parameters[key]!;
    // entry header, key, value header, then the value: a string, or a tag and at most a 10-byte varint
    bound += FIELD_HEADER_BOUND + stringBound(key) + FIELD_HEADER_BOUND + (value.string_param === undefined ? 1 + INT64_BOUND : stringBound(value.string_param));
  }
  return bound;
}

function stringBound(value: string): number {
  return FIELD_HEADER_BOUND + UTF8_BYTES_PER_UNIT * value.length;
}

function writeResponse(buf: Buffer, at: number, m: ModelInferResponseMessage): number {
  at = writeString(buf, at, 1, m.model_name);
  at = writeString(buf, at, 2, m.model_version);
  at = writeString(buf, at, 3, m.id);
  for (const key in m.parameters) {
    const start = openNested(buf, at, 4);
    at = closeNested(buf, start, writeParameterEntry(buf, start, key, m.parameters[key]!));
  }
  for (const output of m.outputs) {
    const start = openNested(buf, at, 5);
    at = closeNested(buf, start, writeOutput(buf, start, output));
  }
  for (const raw of m.raw_output_contents) {
    at = writeVarint(buf, writeTag(buf, at, 6, 2), raw.byteLength);
    buf.set(raw, at);
    at += raw.byteLength;
  }
  return at;
}

function writeOutput(buf: Buffer, at: number, output: TensorMetadataMessage): number {
  at = writeString(buf, at, 1, output.name);
  at = writeString(buf, at, 2, output.datatype);
  if (output.shape.length === 0) return at;
  const start = openNested(buf, at, 3);
  at = start;
  for (const dim of output.shape) at = writeInt64(buf, at, dim);
  return closeNested(buf, start, at);
}

/** A map entry always carries its key and value, even at their defaults. */
function writeParameterEntry(buf: Buffer, at: number, key: string, value: InferParameterMessage): number {
  const keyStart = openNested(buf, at, 1);
  const valueStart = openNested(buf, closeNested(buf, keyStart, writeUtf8(buf, keyStart, key)), 2);
  return closeNested(buf, valueStart, writeParameter(buf, valueStart, value));
}

/** The InferParameter oneof: whichever value is present (an outgoing message need not name parameter_choice). */
function writeParameter(buf: Buffer, at: number, p: InferParameterMessage): number {
  if (p.bool_param !== undefined) return writeVarint(buf, writeTag(buf, at, 1, 0), p.bool_param ? 1 : 0);
  if (p.int64_param !== undefined) return writeInt64(buf, writeTag(buf, at, 2, 0), p.int64_param);
  if (p.string_param !== undefined) {
    // A oneof's value is written even when it is the default ('').
    const start = openNested(buf, at, 3);
    return closeNested(buf, start, writeUtf8(buf, start, p.string_param));
  }
  if (p.double_param !== undefined) {
    buf.writeDoubleLE(p.double_param, writeTag(buf, at, 4, 1));
    return at + 9;
  }
  if (p.uint64_param !== undefined) return writeInt64(buf, writeTag(buf, at, 5, 0), p.uint64_param);
  return at;
}

/**
 * A length-delimited field (a nested message, a string) is written as its tag,
 * one byte left for its length, then its body from the returned position;
 * `closeNested` writes the length, moving the body up when it needs more
 * than that byte.
 */
function openNested(buf: Buffer, at: number, field: number): number {
  return writeTag(buf, at, field, 2) + 1;
}

function closeNested(buf: Buffer, start: number, end: number): number {
  const length = end - start;
  if (length < 0x80) {
    buf[start - 1] = length;
    return end;
  }
  const moveBy = varintSize(length) - 1;
  buf.copyWithin(start + moveBy, start, end);
  writeVarint(buf, start - 1, length);
  return end + moveBy;
}

/** A string field, omitted when empty (proto3 default). */
function writeString(buf: Buffer, at: number, field: number, value: string): number {
  if (value === '') return at;
  const start = openNested(buf, at, field);
  return closeNested(buf, start, writeUtf8(buf, start, value));
}

/** ASCII (names, datatypes, ids) copied in JS: cheaper than a call into the native encoder. */
function writeUtf8(buf: Buffer, at: number, value: string): number {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0x80) return at - i + buf.write(value, at - i, 'utf8');
    buf[at++] = unit;
  }
  return at;
}

function utf8Length(value: string): number {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) return Buffer.byteLength(value);
  return value.length;
}

function writeTag(buf: Buffer, at: number, field: number, wireType: number): number {
  buf[at] = (field << 3) | wireType;
  return at + 1;
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
