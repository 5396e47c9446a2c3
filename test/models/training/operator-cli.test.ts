/** `switchyard train` and `switchyard jobs` against a real registry: queue, wait, list, show with the log; --json for scripts. */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jobsCommand } from '../../../cli/operator/jobs-command.js';
import { RegistryRefusal, type OperatorIo } from '../../../cli/operator/registry-client.js';
import { trainCommand } from '../../../cli/operator/train-command.js';
import { ADMIN_TOKEN, registerTabular, shellQuote, startTrainingRegistry, tabularRows, tempDir, writeDataset, type TrainingRegistry } from './helpers.js';

type Command = (argv: string[], io?: OperatorIo) => Promise<void>;

describe('train and jobs verbs', () => {
  let r: TrainingRegistry;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const run = async (command: Command, argv: string[]): Promise<string> => {
    let out = '';
    await command(argv, { stdout: (t) => void (out += t), env });
    return out;
  };

  before(async () => {
    dir = await tempDir('train-cli-test');
    const stable = join(dir, 'stable.onnx');
    const dataset = await writeDataset(dir, 'data.csv', tabularRows(300, 3, (x) => (x[0]! > 50 ? 1 : 0)));
    r = await startTrainingRegistry([
      { model: 'tabular', trainer: { command: `cp ${shellQuote(stable)} {out}/model.onnx && echo '{}' > {out}/metrics.json && echo trained on {data}` }, data: { dataset, min_rows: 100 } },
      { model: 'broken', trainer: { command: 'echo nope >&2; exit 1 # {data} {out}' }, data: { dataset, min_rows: 100 } },
    ]);
    await writeFile(stable, await registerTabular(r.url));
    await registerTabular(r.url, 'broken');
    env = { SWITCHYARD_REGISTRY: r.url, SWITCHYARD_TOKEN: ADMIN_TOKEN };
  });

  after(async () => {
    await r?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('train --wait follows the job to its end; jobs lists it; jobs show prints it with its log', async () => {
    const out = await run(trainCommand, ['tabular', '--wait', '--poll-ms', '20']);
    assert.match(out, /tabular: queued job (job-\S+); waiting for it to end/);
    assert.match(out, /state: +succeeded/);
    assert.match(out, /version: +2/);
    assert.match(out, /canary: +no: holdout accuracy/);
    const id = /queued job (job-\S+);/.exec(out)![1]!;

    const list = await run(jobsCommand, []);
    assert.match(list.split('\n')[0]!, /^JOB +MODEL +STATE +CREATED +TRIGGERS +OUTCOME$/);
    assert.match(list, new RegExp(`${id} +tabular +succeeded .* manual:alice +v2, not canary`));
    assert.equal((await run(jobsCommand, ['broken'])).trim(), 'no training jobs');

    const show = await run(jobsCommand, ['show', id]);
    assert.match(show, /triggers: +manual:alice/);
    assert.match(show, /holdout_accuracy/);
    assert.match(show, /log:\n[^]*started \(triggers: manual:alice\)/);
    assert.match(show, /trainer stdout: trained on/);

    const json = JSON.parse(await run(jobsCommand, ['show', id, '--json']));
    assert.equal(json.id, id);
    assert.match(json.log, /--- register/);
  });

  it('train without --wait prints the job; a failed job makes --wait fail with its reason', async () => {
    const queued = JSON.parse(await run(trainCommand, ['broken', '--json']));
    assert.equal(queued.coalesced, false);
    assert.equal(queued.job.model, 'broken');
    await assert.rejects(run(trainCommand, ['broken', '--wait', '--poll-ms', '20']), /training job job-\S+ failed: trainer command exited with code 1.*nope/s);
  });

  it('says what the registry refused', async () => {
    await assert.rejects(run(trainCommand, ['nope']), (err: unknown) => err instanceof RegistryRefusal && err.status === 404 && /no model named 'nope'/.test(err.message));
    await assert.rejects(run(jobsCommand, ['show', 'job-x']), (err: unknown) => err instanceof RegistryRefusal && err.status === 404 && /SY_ERR_JOB_NOT_FOUND/.test(err.message));
  });
});
