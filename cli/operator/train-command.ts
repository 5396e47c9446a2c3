/** `switchyard train MODEL [--dataset FILE] [--wait]`: queue a training job on the registry, and optionally follow it to its end. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { JobRecord } from '../../models/training/job-store.js';
import { jobText } from './job-format.js';
import { COMMON_HELP, COMMON_OPTIONS, printJson, usageError } from './options.js';
import { modelPath, processIo, RegistryClient, type OperatorIo } from './registry-client.js';

export const TRAIN_HELP = `usage: switchyard train MODEL [--dataset FILE] [--wait] [--poll-ms N]

  Queues a training job for MODEL (an admin change): fetch the labeled data, train, evaluate
  against stable on the newest rows, register the new version, and start a canary if it is better.
  A job already queued for MODEL takes this request instead of a new one.

  --dataset FILE   train on this CSV (feature columns, then "label") instead of the configured
                   source; the registry process reads it, so give a path it can see
  --wait           follow the job until it ends; exit 1 if it failed
  --poll-ms N      how often --wait asks (default 1000)

${COMMON_HELP}`;

export async function trainCommand(argv: string[], io: OperatorIo = processIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, dataset: { type: 'string' }, wait: { type: 'boolean', default: false }, 'poll-ms': { type: 'string', default: '1000' } },
    allowPositionals: true,
    strict: true,
  });
  const [model, extra] = positionals;
  if (values.help || model === undefined) {
    io.stdout(TRAIN_HELP);
    return;
  }
  if (extra !== undefined) throw usageError(TRAIN_HELP, `unexpected argument '${extra}'`);
  const pollMs = Number(values['poll-ms']);
  if (!Number.isInteger(pollMs) || pollMs < 10) throw usageError(TRAIN_HELP, `--poll-ms must be an integer >= 10, got '${values['poll-ms']}'`);
  const client = RegistryClient.from(values, io.env);
  const answer = await client.send<{ job: JobRecord; coalesced: boolean }>('POST', modelPath(model, 'train'), values.dataset === undefined ? undefined : { dataset: resolve(values.dataset) });
  if (!values.wait) {
    if (values.json) return printJson(io.stdout, answer);
    io.stdout(`${model}: ${answer.coalesced ? `joined queued job ${answer.job.id}` : `queued job ${answer.job.id}`} (switchyard jobs show ${answer.job.id})\n`);
    return;
  }
  if (!values.json) io.stdout(`${model}: ${answer.coalesced ? 'joined queued' : 'queued'} job ${answer.job.id}; waiting for it to end\n`);
  let job = answer.job;
  let state = job.state;
  while (job.state === 'queued' || job.state === 'running') {
    await new Promise((done) => setTimeout(done, pollMs));
    job = await client.get<JobRecord>(`/api/v1/jobs/${encodeURIComponent(job.id)}`);
    if (!values.json && job.state !== state) io.stdout(`${job.id}: ${job.state}\n`);
    state = job.state;
  }
  if (values.json) printJson(io.stdout, job);
  else io.stdout(jobText(job));
  if (job.state === 'failed') throw new Error(`training job ${job.id} failed: ${job.error ?? 'no reason recorded'} (log: switchyard jobs show ${job.id})`);
}
