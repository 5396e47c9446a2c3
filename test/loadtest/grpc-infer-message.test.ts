/**
 * The ModelInfer request the load clients send, read back with a separate protobufjs
 * load of proto/grpc_service.proto (default options: camelCase names), and on the wire:
 * the published field numbers, which any Triton/KServe server decodes.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { decodeModelInferOutput, encodeModelInferRequest, grpcFrame } from '../../loadtest/grpc-infer-message.js';
import { buildPayload } from '../../loadtest/payload.js';

const PROTO = fileURLToPath(new URL('../../../proto/grpc_service.proto', import.meta.url));
const root = new protobuf.Root().loadSync(PROTO);
const payload = buildPayload({ model: 'tabular', input: 'features', output: 'probabilities', rows: 2, width: 8, seed: 7 });

describe('grpc-infer-message', () => {
  it('encodes model, input tensor, requested output and raw_input_contents', () => {
    const bytes = encodeModelInferRequest(payload);
    const decoded = root.lookupType('inference.ModelInferRequest').toObject(root.lookupType('inference.ModelInferRequest').decode(bytes), { longs: Number });
    assert.equal(decoded['modelName'], 'tabular');
    assert.deepEqual(decoded['inputs'], [{ name: 'features', datatype: 'FP32', shape: [2, 8] }]);
    assert.deepEqual(decoded['outputs'], [{ name: 'probabilities' }]);
    const raw = (decoded['rawInputContents'] as Uint8Array[])[0]!;
    assert.deepEqual(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), payload.data);
    // Field 1 (model_name) first; field 7 (raw_input_contents) last: tag (7 << 3 | 2), length 64, the floats.
    assert.equal(bytes[0], (1 << 3) | 2);
    const tail = Buffer.concat([Buffer.from([(7 << 3) | 2, 64]), Buffer.from(payload.data.buffer)]);
    assert.deepEqual(bytes.subarray(bytes.byteLength - tail.byteLength), tail);
  });

  it('reads the named output of a response from raw_output_contents', () => {
    const values = Float32Array.of(0.25, 0.75);
    const type = root.lookupType('inference.ModelInferResponse');
    const response = type
      .encode(
        type.fromObject({
          modelName: 'tabular',
          outputs: [
            { name: 'other', datatype: 'FP32', shape: [1, 1] },
            { name: 'probabilities', datatype: 'FP32', shape: [1, 2] },
          ],
          rawOutputContents: [new Uint8Array(Float32Array.of(9).buffer), new Uint8Array(values.buffer)],
        }),
      )
      .finish();
    assert.deepEqual(decodeModelInferOutput(response, 'probabilities'), values);
    assert.throws(() => decodeModelInferOutput(response, 'nope'), /no raw output 'nope'/);
  });

  it('frames a message with gRPC\'s 5-byte prefix', () => {
    assert.deepEqual([...grpcFrame(Uint8Array.of(7, 8, 9))], [0, 0, 0, 0, 3, 7, 8, 9]);
  });
});
