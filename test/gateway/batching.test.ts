/**
 * Acceptance 3: 200 concurrent single-row requests are served in far fewer ONNX
 * runs than requests, and every answer matches its own input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mulberry32, tabularExample } from '../../models/examples.js';
import { mlpForward } from '../../models/onnx/forward.js';
import { assertClose } from '../helpers/assert-close.js';
import { metricValue, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { InferenceClient, outputTensors, rawInferRequest } from '../helpers/grpc-client.js';
import { postJson } from '../helpers/http-client.js';

const layers = tabularExample().layers;

function row(seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: 8 }, () => random() * 6 - 3);
}

describe('dynamic batching', () => {
  let tg: TestGateway;
  before(async () => {
    tg = await startTestGateway();
  });
  after(() => tg.stop());

  it('batches 200 concurrent single-row HTTP requests and answers each with its own row', async () => {
    const runsBefore = await metricValue(tg.gateway, 'switchyard_batches_total', { model: 'tabular' });
    const rows = Array.from({ length: 200 }, (_, i) => row(1000 + i));
    const replies = await Promise.all(
      rows.map((input, i) => postJson(`${tg.http}/v2/models/tabular/infer`, { id: `r${i}`, inputs: [{ name: 'features', shape: [1, 8], datatype: 'FP32', data: Array.from(input) }] })),
    );
    replies.forEach((reply, i) => {
      assert.equal(reply.status, 200);
      assert.equal(reply.body.id, `r${i}`);
      assertClose(reply.body.outputs[0].data, mlpForward(layers, rows[i]!, 1), `request ${i}`);
    });
    const runs = (await metricValue(tg.gateway, 'switchyard_batches_total', { model: 'tabular' })) - runsBefore;
    assert.ok(runs <= 50, `200 requests took ${runs} ONNX runs; batching should need far fewer`);
    const multiRowBatches = await metricValue(tg.gateway, 'switchyard_batch_size_rows_count', { model: 'tabular' }) - await metricValue(tg.gateway, 'switchyard_batch_size_rows_bucket', { model: 'tabular', le: '1' });
    assert.ok(multiRowBatches > 0, 'the batch-size histogram shows batches of more than one row');
  });

  it('batches concurrent gRPC requests of different sizes and splits them back exactly', async () => {
    const client = new InferenceClient(tg.grpc);
    try {
      const runsBefore = await metricValue(tg.gateway, 'switchyard_batches_total', { model: 'tabular' });
      const sizes = Array.from({ length: 60 }, (_, i) => 1 + (i % 4));
      const inputs = sizes.map((n, i) => Float32Array.from({ length: n * 8 }, (_, k) => row(5000 + i * 10 + Math.floor(k / 8))[k % 8]!));
      const responses = await Promise.all(inputs.map((data, i) => client.modelInfer(rawInferRequest('tabular', [{ name: 'features', datatype: 'FP32', shape: [sizes[i]!, 8], data }]))));
      responses.forEach((response, i) => {
        const [out] = outputTensors(response);
        assert.deepEqual(out!.shape, [sizes[i], 2]);
        assertClose(out!.data as Float32Array, mlpForward(layers, inputs[i]!, sizes[i]!), `gRPC request ${i}`);
      });
      const runs = (await metricValue(tg.gateway, 'switchyard_batches_total', { model: 'tabular' })) - runsBefore;
      assert.ok(runs < 60, `60 requests took ${runs} ONNX runs`);
    } finally {
      client.close();
    }
  });
});
