/**
 * Acceptance 2: JSON, binary and gRPC requests with the same inputs return the
 * same outputs, equal to the TypeScript forward pass of the same weights.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mlpExample, tabularExample } from '../../models/examples.js';
import { mlpForward, type DenseLayer } from '../../models/onnx/forward.js';
import { mulberry32 } from '../../models/examples.js';
import { assertClose } from '../helpers/assert-close.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { InferenceClient, outputTensors, rawInferRequest } from '../helpers/grpc-client.js';
import { postBinary, postJson } from '../helpers/http-client.js';

function randomRows(rows: number, features: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: rows * features }, () => random() * 4 - 2);
}

const MODELS: Array<{ name: string; features: number; layers: DenseLayer[] }> = [
  { name: 'tabular', features: 8, layers: tabularExample().layers },
  { name: 'mlp', features: 256, layers: mlpExample().layers },
];

describe('inference over JSON, binary and gRPC', () => {
  let tg: TestGateway;
  let grpc: InferenceClient;
  before(async () => {
    tg = await startTestGateway();
    grpc = new InferenceClient(tg.grpc);
  });
  after(async () => {
    grpc.close();
    await tg.stop();
  });

  for (const model of MODELS) {
    it(`${model.name}: all three transports equal the reference forward pass`, async () => {
      const rows = 3;
      const input = randomRows(rows, model.features, 7);
      const expected = mlpForward(model.layers, input, rows);
      const shape = [rows, model.features];

      const json = await postJson(`${tg.http}/v2/models/${model.name}/infer`, {
        id: 'req-json',
        inputs: [{ name: 'features', shape, datatype: 'FP32', data: Array.from(input) }],
      });
      assert.equal(json.status, 200, JSON.stringify(json.body));
      assert.equal(json.body.id, 'req-json');
      assert.equal(json.body.model_name, model.name);
      assert.equal(json.body.model_version, '1');
      assert.equal(json.headers.get('x-switchyard-model-version'), '1');
      assert.deepEqual(json.body.outputs[0].shape, [rows, expected.length / rows]);
      assertClose(json.body.outputs[0].data, expected, 'JSON');

      const binary = await postBinary(`${tg.http}/v2/models/${model.name}/infer`, { name: 'features', shape, datatype: 'FP32', data: input });
      assert.equal(binary.status, 200);
      assertClose(binary.outputs.get('probabilities')!, expected, 'binary');

      const response = await grpc.modelInfer(rawInferRequest(model.name, [{ name: 'features', datatype: 'FP32', shape, data: input }], { id: 'req-grpc' }));
      assert.equal(response.id, 'req-grpc');
      assert.equal(response.model_version, '1');
      const [out] = outputTensors(response);
      assert.deepEqual(out!.shape, [rows, expected.length / rows]);
      assertClose(out!.data as Float32Array, expected, 'gRPC raw');

      const typed = await grpc.modelInfer({
        model_name: model.name,
        inputs: [{ name: 'features', datatype: 'FP32', shape, contents: { fp32_contents: Array.from(input) } }],
      });
      assertClose(outputTensors(typed)[0]!.data as Float32Array, expected, 'gRPC typed contents');
    });
  }

  it('accepts nested JSON data and generates an id when none is sent', async () => {
    const input = randomRows(2, 8, 11);
    const nested = [Array.from(input.subarray(0, 8)), Array.from(input.subarray(8))];
    const res = await postJson(`${tg.http}/v2/models/tabular/versions/1/infer`, { inputs: [{ name: 'features', shape: [2, 8], datatype: 'FP32', data: nested }] });
    assert.equal(res.status, 200);
    assert.match(res.body.id, /^[0-9a-f-]{36}$/);
    assertClose(res.body.outputs[0].data, mlpForward(MODELS[0]!.layers, input, 2), 'nested');
  });

  it('returns only the requested outputs, binary per output', async () => {
    const input = randomRows(1, 8, 12);
    const res = await postBinary(`${tg.http}/v2/models/tabular/infer`, { name: 'features', shape: [1, 8], datatype: 'FP32', data: input }, { binaryOutput: false });
    assert.equal(res.status, 200);
    assert.equal(res.headerLength, undefined, 'JSON output was asked for, no binary section expected');
    assertClose(res.json.outputs[0].data, mlpForward(MODELS[0]!.layers, input, 1), 'binary in, JSON out');
  });

  it('serves health, server and model metadata, readiness and the repository index on both transports', async () => {
    assert.equal((await fetch(`${tg.http}/v2/health/live`)).status, 200);
    assert.equal((await fetch(`${tg.http}/v2/health/ready`)).status, 200);
    const server = await (await fetch(`${tg.http}/v2`)).json();
    assert.equal(server.name, 'switchyard');
    assert.ok(server.extensions.includes('binary_tensor_data'));
    const meta = await (await fetch(`${tg.http}/v2/models/mlp`)).json();
    assert.deepEqual(meta, {
      name: 'mlp',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 256] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 16] }],
    });
    assert.equal((await fetch(`${tg.http}/v2/models/mlp/versions/1`)).status, 200);
    assert.equal((await fetch(`${tg.http}/v2/models/mlp/ready`)).status, 200);
    assert.equal((await fetch(`${tg.http}/v2/models/mlp/versions/1/ready`)).status, 200);
    assert.equal((await fetch(`${tg.http}/v2/models/mlp/versions/9/ready`)).status, 404);
    const index = await (await fetch(`${tg.http}/v2/repository/index`, { method: 'POST', body: '{}' })).json();
    assert.deepEqual(index.map((e: { name: string; state: string }) => `${e.name}:${e.state}`), ['mlp:READY', 'tabular:READY']);

    assert.equal(await grpc.serverLive(), true);
    assert.equal(await grpc.serverReady(), true);
    assert.equal(await grpc.modelReady('tabular'), true);
    assert.equal((await grpc.serverMetadata()).name, 'switchyard');
    const grpcMeta = await grpc.modelMetadata('tabular');
    assert.deepEqual(grpcMeta.inputs[0]!.shape.map(Number), [-1, 8]);
    assert.deepEqual((await grpc.repositoryIndex()).map((e) => e.name), ['mlp', 'tabular']);
  });
});
