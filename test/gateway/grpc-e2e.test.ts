/**
 * The gRPC transport against a real gateway: status codes and error metadata,
 * decode failures counted once, ModelStreamInfer, and graceful close.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { ModelStreamInferResponseMessage } from '../../gateway/grpc/messages.js';
import { ERROR_CODE_METADATA_KEY } from '../../gateway/grpc/status.js';
import { mulberry32, tabularExample } from '../../models/examples.js';
import { mlpForward } from '../../models/onnx/forward.js';
import { assertClose } from '../helpers/assert-close.js';
import { metricValue, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { InferenceClient, outputTensors, rawInferRequest, type ModelInferRequestInit } from '../helpers/grpc-client.js';

const FEATURES = 8;
const LAYERS = tabularExample().layers;

function rows(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count * FEATURES }, () => random() * 4 - 2);
}

function tabularRequest(id: string, input: Float32Array): ModelInferRequestInit {
  return rawInferRequest('tabular', [{ name: 'features', datatype: 'FP32', shape: [input.length / FEATURES, FEATURES], data: input }], { id });
}

function isStatus(code: status, ...fragments: string[]) {
  return (err: unknown): boolean => {
    const e = err as ServiceError;
    assert.equal(e.code, code, `${e.code}: ${e.details}`);
    for (const fragment of fragments) assert.ok(e.details.includes(fragment), `details ${JSON.stringify(e.details)} lack ${JSON.stringify(fragment)}`);
    return true;
  };
}

/** Writes the requests, half-closes unless told not to, and collects every response until the server ends the stream. */
async function streamAll(client: InferenceClient, requests: ModelInferRequestInit[], halfClose = true): Promise<ModelStreamInferResponseMessage[]> {
  const stream = client.modelStreamInfer();
  const responses: ModelStreamInferResponseMessage[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('data', (response: ModelStreamInferResponseMessage) => responses.push(response));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  for (const request of requests) stream.write(request);
  if (halfClose) stream.end();
  await ended;
  return responses;
}

describe('gRPC transport on a real gateway', () => {
  let tg: TestGateway;
  let client: InferenceClient;
  before(async () => {
    tg = await startTestGateway();
    client = new InferenceClient(tg.grpc);
  });
  after(async () => {
    client.close();
    await tg.stop();
  });

  it('maps errors to gRPC status codes, with the SY_ERR_* code in trailing metadata', async () => {
    await assert.rejects(client.modelMetadata('nope'), (err: unknown) => {
      isStatus(status.NOT_FOUND, 'nope')(err);
      assert.deepEqual((err as ServiceError).metadata.get(ERROR_CODE_METADATA_KEY), ['SY_ERR_MODEL_NOT_FOUND']);
      return true;
    });
    await assert.rejects(client.modelInfer({ ...tabularRequest('b', rows(1, 2)), model_name: 'nope' }), isStatus(status.NOT_FOUND, 'nope'));
    await assert.rejects(client.modelMetadata('tabular', '9'), isStatus(status.NOT_FOUND));
    const wrongWidth = rawInferRequest('tabular', [{ name: 'features', datatype: 'FP32', shape: [1, 7], data: new Float32Array(7) }]);
    await assert.rejects(client.modelInfer(wrongWidth), isStatus(status.INVALID_ARGUMENT, 'features'));
  });

  it('counts a request that fails to decode once, under its model and outcome', async () => {
    const labels = { model: 'tabular', protocol: 'grpc', status: 'SY_ERR_INVALID_TENSOR' };
    const before = await metricValue(tg.gateway, 'switchyard_requests_total', labels);
    const fp16 = { model_name: 'tabular', inputs: [{ name: 'features', datatype: 'FP16', shape: [1, FEATURES] }], raw_input_contents: [new Uint8Array(2 * FEATURES)] };
    await assert.rejects(client.modelInfer(fp16), isStatus(status.INVALID_ARGUMENT, "'FP16'", 'FP32'));
    assert.equal(await metricValue(tg.gateway, 'switchyard_requests_total', labels), before + 1);
  });

  it('answers every ModelStreamInfer request, errors as error_message, and keeps the stream open after one', async () => {
    const first = rows(2, 3);
    const last = rows(1, 4);
    const broken = { model_name: 'tabular', id: 'broken', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, FEATURES], contents: { fp32_contents: [1, 2] } }] };
    const responses = await streamAll(client, [tabularRequest('first', first), broken, tabularRequest('last', last)]);

    const byId = new Map(responses.map((r) => [r.infer_response!.id, r]));
    assert.deepEqual([...byId.keys()].sort(), ['broken', 'first', 'last']);
    assert.match(byId.get('broken')!.error_message, /input 'features' \(FP32\): shape \[1, 8\] needs 8 elements/);
    for (const [id, input] of [['first', first], ['last', last]] as const) {
      const response = byId.get(id)!;
      assert.equal(response.error_message, '');
      assertClose(outputTensors(response.infer_response!)[0]!.data as Float32Array, mlpForward(LAYERS, input, input.length / FEATURES), id);
    }
  });
});

describe('gRPC transport: graceful close', () => {
  it('answers every request written to open streams, then ends them with OK, idle ones too', async () => {
    const tg = await startTestGateway();
    const client = new InferenceClient(tg.grpc);
    try {
      // Neither stream is half-closed by the client: only the gateway's close can end them.
      const idle = streamAll(client, [], false);
      const busy = streamAll(client, ['a', 'b', 'c'].map((id, i) => tabularRequest(id, rows(2, 10 + i))), false);
      await client.serverLive(); // the streams are open on the server by now
      await tg.stop();
      assert.deepEqual(await idle, []);
      // Each request is answered once: computed if it arrived before shutdown began, refused if after.
      const answers = await busy;
      assert.deepEqual(answers.map((r) => r.infer_response!.id).sort(), ['a', 'b', 'c']);
      for (const answer of answers) assert.match(answer.error_message, /^$|shutting down/);
    } finally {
      client.close();
      await tg.stop();
    }
  });
});
