/** The ModelInfer request the load clients send, encoded with protobufjs from the .proto, as the gateway reads it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadInferenceService } from '../../gateway/grpc/proto.js';
import { decodeModelInferOutput, encodeModelInferRequest, grpcFrame } from '../../loadtest/grpc-infer-message.js';
import { buildPayload } from '../../loadtest/payload.js';

const payload = buildPayload({ model: 'tabular', input: 'features', output: 'probabilities', rows: 2, width: 8, seed: 7 });

describe('grpc-infer-message', () => {
  it('encodes a request the gateway\'s own loader decodes to the same tensor', () => {
    const decoded = loadInferenceService()['ModelInfer']!.requestDeserialize(encodeModelInferRequest(payload)) as {
      model_name: string;
      inputs: Array<{ name: string; datatype: string; shape: string[] }>;
      outputs: Array<{ name: string }>;
      raw_input_contents: Buffer[];
    };
    assert.equal(decoded.model_name, 'tabular');
    assert.deepEqual(decoded.inputs.map((i) => [i.name, i.datatype, i.shape.map(Number)]), [['features', 'FP32', [2, 8]]]);
    assert.deepEqual(decoded.outputs.map((o) => o.name), ['probabilities']);
    const raw = decoded.raw_input_contents[0]!;
    assert.deepEqual(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), payload.data);
  });

  it('reads the named output of a response from raw_output_contents', () => {
    const values = Float32Array.of(0.25, 0.75);
    const response = loadInferenceService()['ModelInfer']!.responseSerialize({
      model_name: 'tabular',
      outputs: [
        { name: 'other', datatype: 'FP32', shape: [1, 1] },
        { name: 'probabilities', datatype: 'FP32', shape: [1, 2] },
      ],
      raw_output_contents: [Buffer.from(Float32Array.of(9).buffer), Buffer.from(values.buffer)],
    });
    assert.deepEqual(decodeModelInferOutput(response, 'probabilities'), values);
    assert.throws(() => decodeModelInferOutput(response, 'nope'), /no raw output 'nope'/);
  });

  it('frames a message with gRPC\'s 5-byte prefix', () => {
    assert.deepEqual([...grpcFrame(Uint8Array.of(7, 8, 9))], [0, 0, 0, 0, 3, 7, 8, 9]);
  });
});
