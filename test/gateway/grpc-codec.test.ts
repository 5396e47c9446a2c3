import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { SwitchyardError, type ErrorCode } from '../../runtime/errors.js';
import { decodeInferRequest, encodeInferResponse } from '../../gateway/grpc/codec.js';
import type { ModelInferRequestMessage } from '../../gateway/grpc/messages.js';
import { decodeModelInferRequest } from '../../gateway/grpc/infer-request-decoder.js';
import { loadInferenceService } from '../../gateway/grpc/proto.js';
import { PROTO_FILE } from '../../gateway/grpc/schema.js';
import { fromBytes, toBytes } from '../../gateway/inference/tensor.js';
import type { InferResponse } from '../../gateway/inference/types.js';
import { outputTensors, rawInferRequest, type ModelInferRequestInit } from '../helpers/grpc-client.js';

const modelInfer = loadInferenceService()['ModelInfer']!;

/** The request as the server's handler receives it: encoded by a grpc-js client, decoded by the server. */
function received(init: ModelInferRequestInit): ModelInferRequestMessage {
  return decodeModelInferRequest(modelInfer.requestSerialize(init));
}

function decode(init: ModelInferRequestInit) {
  return decodeInferRequest(received(init));
}

function typed(datatype: string, shape: number[], contents: ModelInferRequestInit['inputs'][number]['contents']): ModelInferRequestInit {
  return { model_name: 'm', inputs: [{ name: 'x', datatype, shape, contents }] };
}

function assertRejected(init: ModelInferRequestInit, code: ErrorCode, ...fragments: string[]): void {
  assert.throws(
    () => decode(init),
    (err: unknown) => {
      assert.ok(err instanceof SwitchyardError, `expected a SwitchyardError, got ${String(err)}`);
      assert.equal(err.code, code, err.message);
      for (const fragment of fragments) assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`);
      return true;
    },
  );
}

describe('decodeInferRequest: typed contents', () => {
  it('FP32 from fp32_contents', () => {
    const [x] = decode(typed('FP32', [2, 2], { fp32_contents: [1.5, -2, 3.25, 0.1] })).inputs;
    assert.deepEqual(x, { name: 'x', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([1.5, -2, 3.25, 0.1]) });
  });

  it('FP64 from fp64_contents, at full precision', () => {
    const [x] = decode(typed('FP64', [3], { fp64_contents: [0.1, 1e300, -0] })).inputs;
    assert.deepEqual(x!.data, Float64Array.from([0.1, 1e300, -0]));
  });

  it('INT32 from int_contents, including the extremes', () => {
    const [x] = decode(typed('INT32', [3], { int_contents: [-2147483648, 2147483647, 0] })).inputs;
    assert.deepEqual(x!.data, Int32Array.from([-2147483648, 2147483647, 0]));
  });

  it('INT64 and UINT64 keep all 64 bits', () => {
    const [a] = decode(typed('INT64', [3], { int64_contents: ['-9223372036854775808', '9223372036854775807', 5] })).inputs;
    assert.deepEqual(a!.data, BigInt64Array.from([-9223372036854775808n, 9223372036854775807n, 5n]));
    const [b] = decode(typed('UINT64', [1], { uint64_contents: ['18446744073709551615'] })).inputs;
    assert.deepEqual(b!.data, BigUint64Array.from([18446744073709551615n]));
  });

  it('BOOL from bool_contents, as 0/1 bytes', () => {
    const [x] = decode(typed('BOOL', [3], { bool_contents: [true, false, true] })).inputs;
    assert.deepEqual(x!.data, Uint8Array.from([1, 0, 1]));
  });

  it('a zero-element tensor needs no data', () => {
    const [x] = decode(typed('FP32', [0, 4], undefined)).inputs;
    assert.deepEqual(x!.data, new Float32Array(0));
  });
});

describe('decodeInferRequest: raw_input_contents', () => {
  it('decodes each input from its entry, in order', () => {
    const request = decode(
      rawInferRequest('m', [
        { name: 'a', datatype: 'FP32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
        { name: 'b', datatype: 'INT64', shape: [2], data: BigInt64Array.from([-1n, 2n ** 62n]) },
        { name: 'c', datatype: 'UINT8', shape: [1], data: Uint8Array.from([255]) },
      ]),
    );
    assert.deepEqual(
      request.inputs.map((t) => [t.name, t.datatype, t.shape, t.data]),
      [
        ['a', 'FP32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6])],
        ['b', 'INT64', [2], BigInt64Array.from([-1n, 2n ** 62n])],
        ['c', 'UINT8', [1], Uint8Array.from([255])],
      ],
    );
  });
});

describe('decodeInferRequest: request fields', () => {
  it('passes id, version, requested outputs and parameters through; protocol is grpc', () => {
    const request = decode({
      ...typed('FP32', [1], { fp32_contents: [1] }),
      id: 'req-7',
      model_version: '3',
      outputs: [{ name: 'y', parameters: { binary_data: { bool_param: true } } }, { name: 'z' }],
      parameters: {
        priority: { int64_param: 2 },
        big: { uint64_param: '4096' },
        ratio: { double_param: 0.5 },
        tag: { string_param: 'a' },
        flag: { bool_param: false },
      },
    });
    assert.deepEqual(request, {
      id: 'req-7',
      model: 'm',
      version: '3',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: Float32Array.from([1]) }],
      outputs: [{ name: 'y', parameters: { binary_data: true } }, { name: 'z' }],
      parameters: { priority: 2, big: 4096, ratio: 0.5, tag: 'a', flag: false },
      protocol: 'grpc',
    });
  });

  it('leaves id empty and version, outputs, parameters and deadline absent when not given', () => {
    assert.deepEqual(Object.keys(decode(typed('FP32', [1], { fp32_contents: [1] }))).sort(), ['id', 'inputs', 'model', 'protocol']);
  });

  it('takes the earlier of the timeout parameter (µs) and the call deadline', () => {
    const base = typed('FP32', [1], { fp32_contents: [1] });
    const withTimeout = { ...base, parameters: { timeout: { int64_param: 5_000_000 } } };

    let before = performance.now();
    let deadline = decodeInferRequest(received(withTimeout)).deadline!;
    assert.ok(deadline >= before + 5000 && deadline <= performance.now() + 5000, `timeout only: ${deadline - before} ms`);

    before = performance.now();
    deadline = decodeInferRequest(received(withTimeout), performance.now() + 1000).deadline!;
    assert.ok(Math.abs(deadline - (before + 1000)) < 50, `call deadline earlier: ${deadline - before} ms`);

    before = performance.now();
    deadline = decodeInferRequest(received({ ...base, parameters: { timeout: { int64_param: 200_000 } } }), performance.now() + 60_000).deadline!;
    assert.ok(Math.abs(deadline - (before + 200)) < 50, `timeout earlier: ${deadline - before} ms`);

    assert.equal(decodeInferRequest(received({ ...base, parameters: { timeout: { int64_param: 0 } } }), Infinity).deadline, undefined);
  });
});

describe('decodeInferRequest: malformed requests', () => {
  it('a contents field that does not match the datatype', () => {
    assertRejected(typed('FP32', [2], { int_contents: [1, 2] }), 'SY_ERR_INVALID_TENSOR', "input 'x'", 'int_contents', 'fp32_contents');
    assertRejected(typed('INT64', [1], { int_contents: [1] }), 'SY_ERR_INVALID_TENSOR', "input 'x'", 'int64_contents');
  });

  it('a value out of range of the datatype', () => {
    assertRejected(typed('INT8', [2], { int_contents: [1, 300] }), 'SY_ERR_INVALID_TENSOR', "input 'x'", 'element 1', '300');
  });

  it('an element count that does not match the shape', () => {
    assertRejected(typed('FP32', [2, 3], { fp32_contents: [1, 2, 3, 4, 5] }), 'SY_ERR_INVALID_TENSOR', "input 'x'", 'needs 6 elements', 'got 5');
    assertRejected(typed('FP32', [2], undefined), 'SY_ERR_INVALID_TENSOR', "input 'x'", 'needs 2 elements', 'got no data');
  });

  it('raw bytes that are not a whole number of elements', () => {
    const init = { ...rawInferRequest('m', [{ name: 'x', datatype: 'FP32', shape: [2], data: new Float32Array(2) }]), raw_input_contents: [new Uint8Array(7)] };
    assertRejected(init, 'SY_ERR_INVALID_TENSOR', "input 'x'", 'raw_input_contents[0]', '7 bytes', '4-byte');
  });

  it('raw bytes that do not match the shape', () => {
    const init = rawInferRequest('m', [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: new Float32Array(3) }]);
    assertRejected(init, 'SY_ERR_INVALID_TENSOR', "input 'x'", 'needs 4 elements (16 bytes)', 'got 3 elements (12 bytes)');
  });

  it('raw_input_contents with a different number of entries than inputs', () => {
    const init = rawInferRequest('m', [{ name: 'x', datatype: 'FP32', shape: [1], data: new Float32Array(1) }]);
    init.inputs.push({ name: 'y', datatype: 'FP32', shape: [1] });
    assertRejected(init, 'SY_ERR_INVALID_REQUEST', 'raw_input_contents has 1 entries', '2 inputs');
  });

  it('typed contents mixed with raw_input_contents', () => {
    const init = rawInferRequest('m', [{ name: 'x', datatype: 'FP32', shape: [1], data: new Float32Array(1) }]);
    init.inputs[0]!.contents = { fp32_contents: [1] };
    assertRejected(init, 'SY_ERR_INVALID_REQUEST', "input 'x'", 'contents.fp32_contents', 'raw_input_contents');
  });

  it('an unsupported datatype, listing the supported ones', () => {
    assertRejected(typed('FP16', [1], undefined), 'SY_ERR_INVALID_TENSOR', "input 'x'", "'FP16'", 'FP32', 'INT64', 'BOOL');
    assertRejected(typed('BYTES', [1], { bytes_contents: [new Uint8Array([104])] }), 'SY_ERR_INVALID_TENSOR', "input 'x'", "'BYTES'");
  });

  it('a negative dimension', () => {
    assertRejected(typed('FP32', [-1, 2], { fp32_contents: [1, 2] }), 'SY_ERR_INVALID_TENSOR', "input 'x'", '[-1, 2]');
  });

  it('an empty model name or a timeout that is not a number of microseconds', () => {
    assertRejected({ ...typed('FP32', [1], { fp32_contents: [1] }), model_name: '' }, 'SY_ERR_INVALID_REQUEST', 'model_name');
    assertRejected({ ...typed('FP32', [1], { fp32_contents: [1] }), parameters: { timeout: { string_param: '5s' } } }, 'SY_ERR_INVALID_REQUEST', "'timeout'", '"5s"');
  });
});

describe('encodeInferResponse', () => {
  // A view into a larger buffer: only its own bytes may be sent.
  const scores = new Float32Array(new Float32Array([9, 9, 0.25, -1, 2, 3.5, 9]).buffer, 8, 4);
  const response: InferResponse = {
    id: 'req-1',
    model_name: 'iris',
    model_version: '2',
    role: 'canary',
    outputs: [
      { name: 'scores', datatype: 'FP32', shape: [2, 2], data: scores },
      { name: 'label', datatype: 'INT64', shape: [2], data: BigInt64Array.from([-(2n ** 63n), 7n]) },
      { name: 'ok', datatype: 'BOOL', shape: [3], data: Uint8Array.from([1, 0, 1]) },
    ],
  };

  it('round-trips through protobuf as raw_output_contents with tensor metadata in outputs', () => {
    const wire = modelInfer.responseSerialize(encodeInferResponse(response));
    const root = new protobuf.Root().loadSync(PROTO_FILE, { keepCase: true });
    const decoded = root.lookupType('inference.ModelInferResponse').toObject(root.lookupType('inference.ModelInferResponse').decode(wire), { longs: String });

    assert.equal(decoded.id, 'req-1');
    assert.equal(decoded.model_name, 'iris');
    assert.equal(decoded.model_version, '2');
    assert.equal(decoded.parameters.role.string_param, 'canary');
    assert.deepEqual(
      decoded.outputs.map((o: { name: string; datatype: string; shape: string[]; contents?: unknown }) => [o.name, o.datatype, o.shape.map(Number), o.contents]),
      [
        ['scores', 'FP32', [2, 2], undefined],
        ['label', 'INT64', [2], undefined],
        ['ok', 'BOOL', [3], undefined],
      ],
    );
    assert.deepEqual(
      decoded.raw_output_contents.map((bytes: Uint8Array) => [...bytes]),
      response.outputs.map((o) => [...toBytes(o.data)]),
    );
    assert.deepEqual(fromBytes('FP32', decoded.raw_output_contents[0]), Float32Array.from([0.25, -1, 2, 3.5]));
    assert.deepEqual(fromBytes('INT64', decoded.raw_output_contents[1]), BigInt64Array.from([-(2n ** 63n), 7n]));
  });

  it('reads back with the test client helper', () => {
    const received = modelInfer.responseDeserialize(modelInfer.responseSerialize(encodeInferResponse(response)));
    assert.deepEqual(
      outputTensors(received as Parameters<typeof outputTensors>[0]),
      response.outputs.map(({ name, datatype, shape, data }) => ({ name, datatype, shape, data: fromBytes(datatype, toBytes(data)) })),
    );
  });
});

describe('proto/grpc_service.proto', () => {
  // Field numbers of triton-inference-server/common protobuf/grpc_service.proto; a client built from that file must interoperate.
  const TRITON_FIELDS: Record<string, Record<string, number>> = {
    'inference.ModelInferRequest': { model_name: 1, model_version: 2, id: 3, parameters: 4, inputs: 5, outputs: 6, raw_input_contents: 7 },
    'inference.ModelInferRequest.InferInputTensor': { name: 1, datatype: 2, shape: 3, parameters: 4, contents: 5 },
    'inference.ModelInferRequest.InferRequestedOutputTensor': { name: 1, parameters: 2 },
    'inference.ModelInferResponse': { model_name: 1, model_version: 2, id: 3, parameters: 4, outputs: 5, raw_output_contents: 6 },
    'inference.ModelInferResponse.InferOutputTensor': { name: 1, datatype: 2, shape: 3, parameters: 4, contents: 5 },
    'inference.ModelStreamInferResponse': { error_message: 1, infer_response: 2 },
    'inference.InferParameter': { bool_param: 1, int64_param: 2, string_param: 3, double_param: 4, uint64_param: 5 },
    'inference.InferTensorContents': {
      bool_contents: 1, int_contents: 2, int64_contents: 3, uint_contents: 4, uint64_contents: 5, fp32_contents: 6, fp64_contents: 7, bytes_contents: 8,
    },
    'inference.ModelMetadataResponse': { name: 1, versions: 2, platform: 3, inputs: 4, outputs: 5 },
    'inference.ModelMetadataResponse.TensorMetadata': { name: 1, datatype: 2, shape: 3 },
    'inference.ServerMetadataResponse': { name: 1, version: 2, extensions: 3 },
    'inference.RepositoryIndexRequest': { repository_name: 1, ready: 2 },
    'inference.RepositoryIndexResponse.ModelIndex': { name: 1, version: 2, state: 3, reason: 4 },
  };

  it("uses Triton's field numbers", () => {
    const root = new protobuf.Root().loadSync(PROTO_FILE, { keepCase: true });
    for (const [message, fields] of Object.entries(TRITON_FIELDS)) {
      const type = root.lookupType(message);
      assert.deepEqual(Object.fromEntries(Object.entries(type.fields).map(([name, field]) => [name, field.id])), fields, message);
    }
  });
});
