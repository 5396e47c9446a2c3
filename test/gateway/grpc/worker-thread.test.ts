/** The gRPC server inside a worker thread (where the gateway's shards will run it), not only on the main thread. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { GatewayPorts } from '../../../gateway/gateway.js';
import { exampleRepository } from '../../helpers/gateway.js';
import { InferenceClient, outputTensors, rawInferRequest } from '../../helpers/grpc-client.js';
import { assertClose, expectedTabular, seededRows } from '../../helpers/infer-fixtures.js';

describe('gRPC server in a worker thread', () => {
  it('serves ModelInfer and ModelStreamInfer, and closes gracefully with a stream open', async () => {
    const repository = await exampleRepository();
    const worker = new Worker(new URL('../../helpers/gateway-thread-main.js', import.meta.url), { workerData: repository.dir });
    try {
      const [ports] = (await once(worker, 'message')) as [GatewayPorts];
      const client = new InferenceClient(`127.0.0.1:${ports.grpc}`);
      try {
        const input = seededRows(3, 8, 1);
        const response = await client.modelInfer(rawInferRequest('tabular', [{ name: 'features', datatype: 'FP32', shape: [3, 8], data: input }]));
        assertClose(outputTensors(response)[0]!.data as Float32Array, expectedTabular(input, 3), 'answer from the worker thread');
        const stream = client.modelStreamInfer();
        const ended = once(stream, 'end');
        stream.on('data', () => {});
        stream.write(rawInferRequest('tabular', [{ name: 'features', datatype: 'FP32', shape: [1, 8], data: seededRows(1, 8, 2) }]));
        await once(stream, 'data');
        worker.postMessage('close');
        await ended;
        assert.deepEqual(await once(worker, 'message'), ['closed']);
      } finally {
        client.close();
      }
    } finally {
      await worker.terminate();
      await repository.remove();
    }
  });
});
