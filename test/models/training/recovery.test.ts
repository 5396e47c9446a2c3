/**
 * A registry process killed (SIGKILL) while a job runs: on the next start that job is failed —
 * "the registry stopped while the job ran", also in its log — not left running forever; the job
 * queued behind it is queued again and runs to the end; the dead job's work directory is gone.
 * And the training config is refused with precise messages.
 */
import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RESTART_FAILURE } from '../../../models/training/job-store.js';
import { TrainingConfig } from '../../../models/training/training-config.js';
import { until } from '../../helpers/poll.js';
import { startRegistryProcess } from '../../helpers/registry-process.js';
import { ADMIN_TOKEN, call, finished, job, jobLog, registerTabular, shellQuote, startTrainingRegistry, tabularRows, tempDir, writeDataset } from './helpers.js';


describe('training job recovery', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('fails a job whose registry was killed mid-run, and runs the job queued behind it after the restart', async () => {
    const dir = await tempDir('recovery-test');
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    const gate = join(dir, 'gate');
    const stable = join(dir, 'stable.onnx');
    const dataset = await writeDataset(dir, 'data.csv', tabularRows(300, 9, (x) => (x[0]! > 50 ? 1 : 0)));
    const training = [{ model: '*', trainer: { command: `while [ ! -f ${shellQuote(gate)} ]; do sleep 0.05; done; cp ${shellQuote(stable)} {out}/model.onnx && echo '{}' > {out}/metrics.json # {data}`, timeout_s: 60 }, data: { dataset, min_rows: 100 } }];
    const trainingFile = join(dir, 'training.json');
    await writeFile(trainingFile, JSON.stringify(training));

    const { child, url } = await startRegistryProcess(['--data-dir', dataDir, '--training', trainingFile], `alice:${ADMIN_TOKEN}`);
    let killedId: string;
    let queuedId: string;
    try {
      await writeFile(stable, await registerTabular(url));
      const first = await call(url, 'POST', '/api/v1/models/tabular/train', { token: ADMIN_TOKEN });
      assert.equal(first.status, 202, JSON.stringify(first.body));
      killedId = first.body.job.id;
      await until('the job to run', async () => (await job(url, killedId)).state === 'running');
      const second = await call(url, 'POST', '/api/v1/models/tabular/train', { token: ADMIN_TOKEN });
      queuedId = second.body.job.id;
      assert.equal(second.body.job.state, 'queued');
      await until('the trainer to wait on the gate, in the job directory', async () => (await readdir(join(dataDir, 'training', 'work', killedId)).catch(() => [] as string[])).includes('train.csv'));
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    }
    await writeFile(gate, ''); // the orphaned trainer (its own process group) ends; so will the requeued job's

    const r = await startTrainingRegistry(training, {}, dataDir, false);
    try {
      const killed = await job(r.url, killedId);
      assert.equal(killed.state, 'failed');
      assert.equal(killed.error, RESTART_FAILURE);
      assert.ok(killed.finished_at);
      assert.match(await jobLog(r.url, killedId), new RegExp(`failed: ${RESTART_FAILURE}`));
      const requeued = await finished(r.url, queuedId);
      assert.equal(requeued.state, 'succeeded', requeued.error);
      assert.match(await jobLog(r.url, queuedId), /queued again after a registry restart/);
      assert.ok(!(await readdir(join(dataDir, 'training', 'work')).catch(() => [] as string[])).includes(killedId), "the dead job's work directory is removed");
    } finally {
      await r.stop();
    }
  });

  it('refuses a training config with messages naming the entry and field', () => {
    const refused = (raw: unknown, pattern: RegExp): void => assert.throws(() => TrainingConfig.parse(raw, 'training.json'), pattern);
    refused({ model: '*' }, /expected a JSON list of training specs/);
    refused([{ model: 'a/b' }], /entry 1: "model" "a\/b" must be "\*" or a model name/);
    refused([{ model: '*', trainer: { builtin: { algorithm: 'forest' } } }], /entry 1 \(model "\*"\): "trainer".builtin.algorithm must be "logistic" or "mlp", got "forest"/);
    refused([{ model: '*', trainer: { builtin: { epochs: 0 } } }], /"trainer".builtin: epochs must be an integer >= 1, got 0/);
    refused([{ model: '*', trainer: { builtin: { epoch: 3 } } }], /"trainer".builtin: unknown field "epoch"/);
    refused([{ model: 'm', trainer: { command: 'train.sh' } }], /must contain the \{data\} and \{out\} placeholders/);
    refused([{ model: 'm', trainer: { command: 'x {data} {out}', timeout_s: -1 } }], /timeout_s must be a number of seconds > 0/);
    refused([{ model: 'm', trainer: { builtin: {}, command: 'x' } }], /either \{"builtin"/);
    refused([{ model: 'm', holdout_fraction: 1 }], /"holdout_fraction" must be a number between 0 and 1/);
    refused([{ model: 'm', data: { min_rows: 500, max_rows: 100 } }], /max_rows \(100\) must be at least min_rows \(500\)/);
    refused([{ model: 'm', data: { monitr: true } }], /unknown field "monitr"/);
    refused([{ model: 'm' }, { model: 'm' }], /entry 2: model "m" has a spec already \(entry 1\)/);

    const config = TrainingConfig.parse([{ model: '*', trainer: { builtin: { algorithm: 'mlp', hidden: 8 } } }, { model: 'credit', trainer: { command: 'x {data} {out}', timeout_s: 2 }, data: { dataset: 'd.csv', merge_previous: false } }], 'training.json', '/srv');
    assert.deepEqual(config.specFor('other').trainer, { kind: 'builtin', algorithm: 'mlp', params: { hidden: 8 }, timeoutMs: 3_600_000 });
    assert.equal(config.specFor('other').model, 'other');
    const credit = config.specFor('credit');
    assert.deepEqual(credit.trainer, { kind: 'command', command: 'x {data} {out}', timeoutMs: 2000 });
    assert.deepEqual(credit.data, { monitor: true, mergePrevious: false, minRows: 200, dataset: '/srv/d.csv' });
    assert.ok(Object.isFrozen(credit.data));
    assert.deepEqual(TrainingConfig.DEFAULT.specFor('x').trainer, { kind: 'builtin', algorithm: 'logistic', params: {}, timeoutMs: 3_600_000 });
  });
});
