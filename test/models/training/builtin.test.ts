/**
 * Acceptance 2: the built-in trainer through a job. The bundled `tabular` model is stable; the
 * new data is labelled by a rule it did not learn. The job trains a logistic regression on all
 * but the newest 20 % of the rows, and on those newest rows the new version beats stable; its
 * ONNX file through ONNX Runtime equals the TypeScript forward pass of the same training run,
 * and agrees with the accuracy the job reported; lineage names parent, data hash and trigger;
 * the canary starter got the version. A second job merges the training set of the (new) stable.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { mlpForward } from '../../../models/onnx/forward.js';
import { trainClassifier } from '../../../models/training/builtin-trainer.js';
import { datasetHash, parseDatasetCsv, sliceDataset } from '../../../models/training/dataset.js';
import { keptDatasetPath } from '../../../models/training/training-data.js';
import { assertClose } from '../../helpers/assert-close.js';
import {
  ADMIN_TOKEN,
  call,
  deliver,
  finished,
  jobLog,
  OTHER_RULE,
  registerTabular,
  signedDelivery,
  startTrainingRegistry,
  tabularRows,
  tempDir,
  writeDataset,
  type TrainingRegistry,
} from './helpers.js';

const ROWS = 1000;

describe('built-in trainer job', () => {
  let r: TrainingRegistry;
  let dir: string;
  let datasetPath: string;

  before(async () => {
    dir = await tempDir('builtin-test');
    datasetPath = await writeDataset(dir, 'relabelled.csv', tabularRows(ROWS, 11, OTHER_RULE));
    r = await startTrainingRegistry([{ model: 'tabular', trainer: { builtin: { algorithm: 'logistic', epochs: 30 }, timeout_s: 120 }, data: { dataset: datasetPath, min_rows: 200 } }]);
    await registerTabular(r.url);
  });

  after(async () => {
    await r?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('trains a version that beats stable on the newest rows, registers it with lineage and starts its canary', async () => {
    const delivery = signedDelivery('tabular');
    const trigger = delivery.headers['webhook-id']!;
    const accepted = await deliver(r.url, delivery);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const done = await finished(r.url, accepted.body.job.id);
    const log = await jobLog(r.url, done.id);
    assert.equal(done.state, 'succeeded', `${done.error}\n${log}`);
    const result = done.result!;
    assert.equal(result.version, '2');
    const m = result.metrics!;
    assert.equal(m.train_rows, 800);
    assert.equal(m.holdout_rows, 200);
    assert.ok(m.holdout_accuracy! > m.stable_holdout_accuracy! + 0.2, `new ${m.holdout_accuracy} vs stable ${m.stable_holdout_accuracy}`);
    assert.ok(m.holdout_log_loss! < m.stable_holdout_log_loss!);
    assert.ok(m.train_accuracy! > 0.9, 'the trainer reported its own metrics too');
    assert.equal(result.canary, true);
    assert.match(result.canary_reason, /beats stable v1's/);
    assert.deepEqual(r.canary.calls, [{ model: 'tabular', version: '2', cause: { job: done.id, trigger } }]);
    for (const step of ['data', 'holdout', 'train', 'evaluate', 'register', 'canary']) assert.match(log, new RegExp(`--- ${step}`));

    // lineage
    const version = (await call(r.url, 'GET', '/api/v1/models/tabular/versions/2', { token: ADMIN_TOKEN })).body;
    const manifest = version.manifest;
    const data = parseDatasetCsv(await readFile(datasetPath, 'utf8'), datasetPath);
    assert.equal(manifest.lineage.parent_version, '1');
    assert.equal(manifest.lineage.data_hash, datasetHash(data));
    assert.equal(manifest.lineage.data_hash, result.data_hash);
    assert.equal(manifest.lineage.trigger_id, trigger);
    assert.equal(manifest.lineage.parameters.algorithm, 'logistic');
    assert.deepEqual(manifest.lineage.metrics, m);
    assert.deepEqual(manifest.inputs, [{ name: 'features', datatype: 'FP32', shape: [-1, 8] }], "stable's tensor specs");
    assert.deepEqual(Object.keys(manifest.reference_profile.features), ['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7']);
    assert.ok(manifest.reference_profile.prediction, 'the profile has the predicted classes');
    assert.equal(datasetHash(parseDatasetCsv(await readFile(keptDatasetPath(r.dataDir, result.data_hash!), 'utf8'), 'kept')), result.data_hash, 'the training set is kept by its hash');

    // ONNX Runtime on the registered file = the TypeScript forward pass of the same (deterministic) training run
    const train = sliceDataset(data, 0, 800);
    const holdout = sliceDataset(data, 800, ROWS);
    const { layers } = trainClassifier(train, { algorithm: 'logistic', epochs: 30, classes: 2 });
    const session = await ort.InferenceSession.create(join(r.dataDir, 'models', 'tabular', '2', 'model.onnx'));
    try {
      const out = await session.run({ features: new ort.Tensor('float32', holdout.features, [holdout.rows, 8]) });
      const probabilities = out.probabilities!.data as Float32Array;
      assertClose(probabilities, mlpForward(layers, holdout.features, holdout.rows), 'ORT vs mlpForward on the holdout');
      let correct = 0;
      for (let i = 0; i < holdout.rows; i++) if ((probabilities[2 * i + 1]! > probabilities[2 * i]! ? 1 : 0) === holdout.labels[i]) correct++;
      assert.equal(correct / holdout.rows, m.holdout_accuracy, 'the reported holdout accuracy is what ONNX Runtime answers');
    } finally {
      await session.release();
    }

    const audit = (await call(r.url, 'GET', '/api/v1/audit?model=tabular', { token: ADMIN_TOKEN })).body.records;
    assert.ok(audit.some((a: { actor: string; action: string; version?: string }) => a.actor === 'trainer' && a.action === 'register' && a.version === '2'));
  });

  it('merges the training set of the stable version with new rows, and keeps stable when the new version is no better', async () => {
    await call(r.url, 'PUT', '/api/v1/models/tabular/aliases/stable', { token: ADMIN_TOKEN, body: { version: '2' } });
    const more = await writeDataset(dir, 'more.csv', tabularRows(300, 12, OTHER_RULE));
    const reply = await call(r.url, 'POST', '/api/v1/models/tabular/train', { token: ADMIN_TOKEN, body: { dataset: more } });
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    assert.equal(reply.body.job.dataset, more);
    const done = await finished(r.url, reply.body.job.id);
    assert.equal(done.state, 'succeeded', `${done.error}\n${await jobLog(r.url, done.id)}`);
    const m = done.result!.metrics!;
    assert.equal(m.train_rows! + m.holdout_rows!, ROWS + 300, 'stable v2 was trained on the first set: it is merged before the new rows');
    assert.equal(done.triggers[0], 'manual:alice');
    const lineage = (await call(r.url, 'GET', '/api/v1/models/tabular/versions/3', { token: ADMIN_TOKEN })).body.manifest.lineage;
    assert.equal(lineage.parent_version, '2');
    assert.equal(lineage.parameters.previous_rows, ROWS);
    if (!done.result!.canary) assert.match(done.result!.canary_reason, /does not beat stable v2's [0-9.]+ by the margin 0\.01/);
    assert.equal(r.canary.calls.length, done.result!.canary ? 2 : 1);
  });

  it('refuses a training request with a relative dataset path, and one for an unknown model', async () => {
    const relative = await call(r.url, 'POST', '/api/v1/models/tabular/train', { token: ADMIN_TOKEN, body: { dataset: 'data.csv' } });
    assert.equal(relative.status, 400);
    assert.match(relative.body.error, /absolute/);
    const unknown = await call(r.url, 'POST', '/api/v1/models/nope/train', { token: ADMIN_TOKEN });
    assert.equal(unknown.status, 404);
    const anonymous = await call(r.url, 'POST', '/api/v1/models/tabular/train', {});
    assert.equal(anonymous.status, 401);
  });
});
