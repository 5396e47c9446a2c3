/**
 * The hand-written ModelInferResponse / ModelStreamInferResponse encoder,
 * decoded by protobufjs (reflection from the same .proto) and compared with
 * what protobufjs itself encodes, on random messages: long fields (lengths of
 * two bytes and more), multi-byte UTF-8, negative and 64-bit integers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type protobuf from 'protobufjs';
import { encodeModelInferResponse, encodeModelStreamInferResponse } from '../../../gateway/grpc/infer-response-encoder.js';
import { mulberry32 } from '../../../models/examples.js';
import { GRPC_PREFIX_BYTES } from '../../../runtime/grpc-message-counter.js';
import { randomInferResponse, randomString, schema } from './random-messages.js';

const AS_PLAIN = { longs: String, enums: String, defaults: true, arrays: true, objects: true, oneofs: true };

/** The frame's message, checked against its prefix. */
function unframed(frame: Buffer): Buffer {
  assert.equal(frame[0], 0, 'not compressed');
  assert.equal(frame.readUInt32BE(1), frame.length - GRPC_PREFIX_BYTES, 'the prefix gives the message length');
  return frame.subarray(GRPC_PREFIX_BYTES);
}

function assertSameMessage(type: protobuf.Type, ours: Buffer, message: object, what: string): void {
  const reference = type.encode(type.fromObject(message)).finish();
  assert.deepEqual(type.toObject(type.decode(ours), AS_PLAIN), type.toObject(type.decode(reference), AS_PLAIN), what);
}

describe('encodeModelInferResponse', () => {
  const ModelInferResponse = schema.lookupType('inference.ModelInferResponse');

  it('encodes 2000 random responses as protobufjs reads and writes them', () => {
    const random = mulberry32(0xe2c0de);
    for (let i = 0; i < 2000; i++) {
      const response = randomInferResponse(random);
      assertSameMessage(ModelInferResponse, unframed(encodeModelInferResponse(response)), response, `response #${i}: ${JSON.stringify(response)}`);
    }
  });

  it('copies only the output bytes given, not the rest of their buffer', () => {
    const backing = Uint8Array.from([9, 9, 1, 2, 3, 9]);
    const frame = encodeModelInferResponse({ model_name: 'm', model_version: '1', id: 'a', outputs: [], raw_output_contents: [backing.subarray(2, 5)] });
    assert.deepEqual([...(ModelInferResponse.decode(unframed(frame)) as unknown as { raw_output_contents: Uint8Array[] }).raw_output_contents[0]!], [1, 2, 3]);
  });
});

describe('encodeModelStreamInferResponse', () => {
  const ModelStreamInferResponse = schema.lookupType('inference.ModelStreamInferResponse');

  it('encodes 1000 random stream responses, with and without an error and a response', () => {
    const random = mulberry32(0x57e4a);
    for (let i = 0; i < 1000; i++) {
      const message = { error_message: random() < 0.5 ? randomString(random) : '', infer_response: random() < 0.7 ? randomInferResponse(random) : null };
      assertSameMessage(ModelStreamInferResponse, unframed(encodeModelStreamInferResponse(message)), message, `stream response #${i}: ${JSON.stringify(message)}`);
    }
  });
});
