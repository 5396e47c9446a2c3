/**
 * The methods beyond inference, over gRPC on real gateways: RepositoryIndex
 * honouring `ready`, and Feedback/SendFeedback — accepted when the gateway
 * records to a monitor, refused with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { loadFeedbackService } from '../../../gateway/grpc/proto.js';
import { ERROR_CODE_METADATA_KEY } from '../../../gateway/grpc/status.js';
import { exampleRepository, startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { InferenceClient } from '../../helpers/grpc-client.js';
import { freePort } from '../../helpers/monitor-process.js';
import { writeSmallModel } from '../../helpers/small-models.js';

/** A model whose file no longer matches its manifest's sha256: listed, never served. */
async function writeBrokenModel(repository: string): Promise<void> {
  const manifest = await writeSmallModel(repository, 'broken', 1, 1, (graph) => graph.relu('x', 'y'));
  await writeFile(join(repository, 'broken', manifest.version, 'model.onnx'), 'not the model');
}

function sendFeedback(address: string, request: object): Promise<{ accepted: string }> {
  const method = loadFeedbackService()['SendFeedback']!;
  const client = new Client(address, credentials.createInsecure());
  return new Promise<{ accepted: string }>((resolve, reject) => {
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize as (b: Buffer) => { accepted: string }, request, (err, response) =>
      err ? reject(err) : resolve(response!),
    );
  }).finally(() => client.close());
}

function refusedWith(code: status, errorCode: string, fragment: string) {
  return (err: ServiceError): boolean => {
    assert.equal(err.code, code, err.details);
    assert.deepEqual(err.metadata.get(ERROR_CODE_METADATA_KEY), [errorCode]);
    assert.ok(err.details.includes(fragment), err.details);
    return true;
  };
}

describe('RepositoryIndex and SendFeedback over gRPC', () => {
  let repository: Awaited<ReturnType<typeof exampleRepository>>;
  let tg: TestGateway;
  /** The same repository, recording to a monitor address where none listens yet: feedback is taken and kept. */
  let recording: TestGateway;

  before(async () => {
    repository = await exampleRepository();
    await writeBrokenModel(repository.dir);
    tg = await startTestGateway({}, repository.dir);
    recording = await startTestGateway({ monitorAddress: `127.0.0.1:${await freePort()}` }, repository.dir);
  });

  after(async () => {
    await tg?.stop();
    await recording?.stop();
    await repository?.remove();
  });

  it('RepositoryIndex lists every model, and with ready only those ready for inferencing', async () => {
    const client = new InferenceClient(tg.grpc);
    try {
      assert.deepEqual((await client.repositoryIndex(false)).map((e) => `${e.name}:${e.state}`).sort(), ['broken:UNAVAILABLE', 'mlp:READY', 'tabular:READY']);
      assert.deepEqual((await client.repositoryIndex(true)).map((e) => e.name).sort(), ['mlp', 'tabular']);
    } finally {
      client.close();
    }
  });

  it('SendFeedback counts the labels it accepts', async () => {
    const answer = await sendFeedback(recording.grpc, { model_name: 'tabular', items: [{ id: 'a', labels: [1] }, { id: 'b', labels: [0, 2] }] });
    assert.equal(Number(answer.accepted), 2);
  });

  it('SendFeedback refuses bad items, unknown models, and a gateway with no monitor to send them to', async () => {
    await assert.rejects(sendFeedback(recording.grpc, { model_name: 'tabular', items: [] }), refusedWith(status.INVALID_ARGUMENT, 'SY_ERR_INVALID_REQUEST', 'non-empty'));
    await assert.rejects(sendFeedback(recording.grpc, { model_name: 'tabular', items: [{ id: '', labels: [1] }] }), refusedWith(status.INVALID_ARGUMENT, 'SY_ERR_INVALID_REQUEST', 'feedback[0].id'));
    await assert.rejects(sendFeedback(recording.grpc, { model_name: 'nope', items: [{ id: 'a', labels: [1] }] }), refusedWith(status.NOT_FOUND, 'SY_ERR_MODEL_NOT_FOUND', 'nope'));
    await assert.rejects(sendFeedback(tg.grpc, { model_name: 'tabular', items: [{ id: 'a', labels: [1] }] }), refusedWith(status.UNAVAILABLE, 'SY_ERR_MONITOR_NOT_CONFIGURED', 'monitor'));
  });
});
