/**
 * Acceptance 1: a signed retraining webhook starts exactly one job; the same delivery replayed
 * (also after a restart), an unsigned one and one signed 10 minutes ago start nothing; ten
 * triggers while a job runs (held on a gate file) produce exactly one more job, which carries
 * all ten. Without a secret the route answers 503; an unknown model 404.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { metricValue } from '../../helpers/metrics.js';
import { until } from '../../helpers/poll.js';
import { startTestRegistry } from '../registry/helpers.js';
import {
  ADMIN_TOKEN,
  call,
  deliver,
  finished,
  job,
  jobLog,
  jobs,
  registerTabular,
  shellQuote,
  signedDelivery,
  startTrainingRegistry,
  tabularRows,
  tempDir,
  writeDataset,
  type TrainingRegistry,
} from './helpers.js';

describe('retraining webhook', () => {
  let r: TrainingRegistry;
  let dir: string;
  let gate: string;

  before(async () => {
    dir = await tempDir('webhook-test');
    gate = join(dir, 'gate');
    const stable = join(dir, 'stable.onnx');
    const dataset = await writeDataset(dir, 'data.csv', tabularRows(300, 7, (x) => (x[0]! > 50 ? 1 : 0)));
    const command = `while [ ! -f ${shellQuote(gate)} ]; do sleep 0.05; done; test -s {data} && cp ${shellQuote(stable)} {out}/model.onnx && echo '{"epochs": 1}' > {out}/metrics.json`;
    r = await startTrainingRegistry([{ model: '*', trainer: { command, timeout_s: 60 }, data: { dataset, min_rows: 100 } }]);
    await writeFile(stable, await registerTabular(r.url));
  });

  after(async () => {
    await writeFile(gate, '');
    await r?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts one job per delivery, refuses replays, unsigned and stale deliveries, and coalesces triggers while a job runs', async () => {
    const first = signedDelivery('tabular');
    const accepted = await deliver(r.url, first);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.coalesced, false);
    assert.deepEqual(accepted.body.job.triggers, [first.headers['webhook-id']]);
    const running = accepted.body.job.id as string;
    await until('the first job to run', async () => (await job(r.url, running)).state === 'running');

    const replay = await deliver(r.url, first);
    assert.equal(replay.status, 200);
    assert.deepEqual(replay.body, { duplicate: true, id: first.headers['webhook-id'] });

    const unsigned = signedDelivery('tabular');
    const { 'webhook-signature': _, ...headers } = unsigned.headers;
    const refused = await deliver(r.url, { body: unsigned.body, headers });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'SY_ERR_INVALID_SIGNATURE');

    const stale = await deliver(r.url, signedDelivery('tabular', undefined, new Date(Date.now() - 10 * 60_000)));
    assert.equal(stale.status, 401);
    assert.match(stale.body.error, /old/);

    const tampered = signedDelivery('tabular');
    const altered = await deliver(r.url, { body: tampered.body.replace('"version":"1"', '"version":"2"'), headers: tampered.headers });
    assert.equal(altered.status, 401);
    assert.equal((await jobs(r.url)).length, 1, 'only the first delivery made a job');

    const ten = Array.from({ length: 10 }, () => signedDelivery('tabular'));
    const replies = [];
    for (const d of ten) replies.push(await deliver(r.url, d));
    assert.deepEqual(replies.map((x) => x.status), Array(10).fill(202));
    assert.deepEqual(replies.map((x) => x.body.coalesced), [false, ...Array(9).fill(true)]);
    const followUp = replies[0]!.body.job.id as string;
    assert.ok(replies.every((x) => x.body.job.id === followUp), 'all ten joined one follow-up job');
    assert.equal((await job(r.url, running)).state, 'running', 'the first job was running all along');
    assert.equal(await metricValue({ registry: r.metrics }, 'switchyard_training_jobs_queued'), 1);

    const manual = await call(r.url, 'POST', '/api/v1/models/tabular/train', { token: ADMIN_TOKEN });
    assert.equal(manual.status, 202);
    assert.equal(manual.body.job.id, followUp, 'a manual trigger joins the queued job too');

    await writeFile(gate, '');
    const done = await finished(r.url, running);
    assert.equal(done.state, 'succeeded', done.error);
    assert.equal(done.result?.version, '2');
    assert.equal(done.result?.canary, false, 'the same model as stable is no improvement');
    assert.match(done.result!.canary_reason, /does not beat stable v1's .* by the margin 0\.01/);
    const second = await finished(r.url, followUp);
    assert.equal(second.state, 'succeeded', second.error);
    assert.deepEqual(second.triggers, [...ten.map((d) => d.headers['webhook-id']), 'manual:alice']);

    const all = await jobs(r.url, 'tabular');
    assert.equal(all.length, 2, 'twelve triggers, two jobs');
    assert.deepEqual(all.map((j) => j.id), [followUp, running], 'newest first');
    assert.match(await jobLog(r.url, running), /--- evaluate/);

    assert.equal(await metricValue({ registry: r.metrics }, 'switchyard_retrain_webhooks_total', { outcome: 'accepted' }), 11);
    assert.equal(await metricValue({ registry: r.metrics }, 'switchyard_retrain_webhooks_total', { outcome: 'duplicate' }), 1);
    assert.equal(await metricValue({ registry: r.metrics }, 'switchyard_retrain_webhooks_total', { outcome: 'refused' }), 3);
    assert.equal(await metricValue({ registry: r.metrics }, 'switchyard_training_jobs_total', { model: 'tabular', outcome: 'succeeded' }), 2);
    assert.equal(await metricValue({ registry: r.metrics }, 'switchyard_training_job_duration_seconds_count', { model: 'tabular' }), 2);
    assert.equal(await metricValue({ registry: r.metrics }, 'switchyard_training_jobs_queued'), 0);
    const scrape = await call(r.url, 'GET', '/metrics');
    assert.match(scrape.body, /switchyard_training_jobs_total\{model="tabular",outcome="succeeded"\} 2/);

    // The seen ids survive a restart: the first delivery, replayed again, still starts nothing.
    r = await r.restart();
    const again = await deliver(r.url, first);
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    assert.equal((await jobs(r.url)).length, 2);
  });

  it('answers 404 for an unknown model without remembering the id', async () => {
    const unknown = signedDelivery('no-such-model');
    const reply = await deliver(r.url, unknown);
    assert.equal(reply.status, 404);
    assert.equal(reply.body.code, 'SY_ERR_MODEL_NOT_FOUND');
    assert.equal((await deliver(r.url, unknown)).status, 404, 'a retry is judged again, not taken for a duplicate');
  });

  it('answers 503 naming SWITCHYARD_WEBHOOK_SECRET when the registry has no secret', async () => {
    const bare = await startTestRegistry();
    try {
      const reply = await deliver(bare.url, signedDelivery('tabular'));
      assert.equal(reply.status, 503);
      assert.equal(reply.body.code, 'SY_ERR_WEBHOOK_NOT_CONFIGURED');
      assert.match(reply.body.error, /SWITCHYARD_WEBHOOK_SECRET/);
    } finally {
      await bare.stop();
    }
  });
});
