/**
 * Acceptance 3: an external trainer command — success, non-zero exit, timeout, missing output,
 * and a model that breaks stable's tensor contract — each job ends in the right state, with its
 * log kept and served (GET /api/v1/jobs/:id/log). Also: too little data fails with that reason.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mlpToOnnx } from '../../../models/onnx/writer.js';
import { metricValue } from '../../helpers/metrics.js';
import { ADMIN_TOKEN, call, finished, jobLog, registerTabular, shellQuote, startTrainingRegistry, tabularRows, tempDir, writeDataset, type TrainingRegistry } from './helpers.js';

describe('external trainer command', () => {
  let r: TrainingRegistry;
  let dir: string;

  before(async () => {
    dir = await tempDir('command-test');
    const stable = join(dir, 'stable.onnx');
    const renamed = join(dir, 'renamed.onnx');
    const layer = { inFeatures: 8, outFeatures: 2, weights: new Float32Array(16), bias: new Float32Array(2), activation: 'softmax' as const };
    await writeFile(renamed, mlpToOnnx([layer], { inputName: 'x', outputName: 'probabilities', graphName: 'renamed' }));
    const dataset = await writeDataset(dir, 'data.csv', tabularRows(300, 5, (x) => (x[0]! > 50 ? 1 : 0)));
    const small = await writeDataset(dir, 'small.csv', tabularRows(50, 6, (x) => (x[0]! > 50 ? 1 : 0)));
    const spec = (model: string, command: string, extra: Record<string, unknown> = {}): unknown => ({ model, trainer: { command, timeout_s: 30, ...extra }, data: { dataset, min_rows: 100 } });
    r = await startTrainingRegistry([
      spec('ok', `echo "reading {data}"; head -c 20 {data}; echo; cp ${shellQuote(stable)} {out}/model.onnx && echo '{"custom_score": 0.5}' > {out}/metrics.json; echo progress 100% >&2`),
      spec('exits', `echo 'out of memory' >&2; exit 3 # {data} {out}`),
      spec('slow', `sleep 30 # {data} {out}`, { timeout_s: 0.3 }),
      spec('silent', `echo '{}' > {out}/metrics.json # {data}`),
      spec('renamed', `cp ${shellQuote(renamed)} {out}/model.onnx && echo '{}' > {out}/metrics.json # {data}`),
      { model: 'starved', trainer: { command: 'true {data} {out}' }, data: { dataset: small, min_rows: 100 } },
    ]);
    await writeFile(stable, await registerTabular(r.url, 'ok'));
    for (const model of ['exits', 'slow', 'silent', 'renamed', 'starved']) await registerTabular(r.url, model);
  });

  after(async () => {
    await r?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const train = async (model: string): Promise<{ state: string; error?: string; log: string; result?: any }> => {
    const reply = await call(r.url, 'POST', `/api/v1/models/${model}/train`, { token: ADMIN_TOKEN });
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    const job = await finished(r.url, reply.body.job.id);
    return { ...job, log: await jobLog(r.url, job.id) };
  };

  it('succeeds: the new version is registered, its output lines and metrics are kept', async () => {
    const job = await train('ok');
    assert.equal(job.state, 'succeeded', `${job.error}\n${job.log}`);
    assert.equal(job.result.version, '2');
    assert.equal(job.result.metrics.custom_score, 0.5);
    assert.equal(job.result.canary, false);
    assert.match(job.result.canary_reason, /holdout accuracy [0-9.]+ does not beat stable v1's [0-9.]+ by the margin 0\.01/);
    assert.match(job.log, /trainer stdout: reading '\/.*train\.csv'/);
    assert.match(job.log, /trainer stdout: f0,f1,f2/);
    assert.match(job.log, /trainer stderr: progress 100%/);
    assert.equal(r.canary.calls.length, 0);
  });

  it('fails on a non-zero exit, quoting the stderr', async () => {
    const job = await train('exits');
    assert.equal(job.state, 'failed');
    assert.match(job.error!, /exited with code 3/);
    assert.match(job.error!, /out of memory/);
    assert.match(job.log, /trainer stderr: out of memory/);
    assert.match(job.log, /failed: trainer command exited with code 3/);
  });

  it('fails when the command outlives its timeout', async () => {
    const job = await train('slow');
    assert.equal(job.state, 'failed');
    assert.match(job.error!, /did not finish within 300 ms/);
    assert.match(job.log, /--- train/);
  });

  it('fails when the command writes no model file', async () => {
    const job = await train('silent');
    assert.equal(job.state, 'failed');
    assert.match(job.error!, /model\.onnx does not exist/);
  });

  it("fails, naming the tensors, when the new model does not keep stable's input name", async () => {
    const job = await train('renamed');
    assert.equal(job.state, 'failed');
    assert.match(job.error!, /the new model takes input\(s\) "x", but stable's manifest declares one input "features"/);
    const versions = (await call(r.url, 'GET', '/api/v1/models/renamed/versions', { token: ADMIN_TOKEN })).body.versions;
    assert.equal(versions.length, 1, 'nothing was registered');
  });

  it('fails with the row counts when there is too little data', async () => {
    const job = await train('starved');
    assert.equal(job.state, 'failed');
    assert.match(job.error!, /not enough labeled data: 50 row\(s\) from .*small\.csv, fewer than min_rows 100/);
  });

  it('counts the outcomes and leaves no work directory behind', async () => {
    assert.equal(await metricValue({ registry: r.metrics }, 'switchyard_training_jobs_total', { outcome: 'failed' }), 5);
    assert.equal(await metricValue({ registry: r.metrics }, 'switchyard_training_jobs_total', { outcome: 'succeeded' }), 1);
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(await readdir(join(r.dataDir, 'training', 'work')).catch(() => []), []);
    const list = (await call(r.url, 'GET', '/api/v1/jobs', { token: ADMIN_TOKEN })).body.jobs;
    assert.equal(list.length, 6);
  });
});
