/** `switchyard jobs [MODEL]` and `switchyard jobs show ID`: training jobs on the registry, and one job with its log. */
import { parseArgs } from 'node:util';
import type { JobRecord } from '../../models/training/job-store.js';
import { jobsTable, jobText } from './job-format.js';
import { COMMON_HELP, COMMON_OPTIONS, printJson, usageError } from './options.js';
import { processIo, RegistryClient, type OperatorIo } from './registry-client.js';

export const JOBS_HELP = `usage: switchyard jobs [MODEL]
       switchyard jobs show JOB

  jobs [MODEL]     training jobs, newest first (a model keeps its last 100)
  jobs show JOB    one job: triggers, times, metrics, canary decision, and its log

${COMMON_HELP}`;

export async function jobsCommand(argv: string[], io: OperatorIo = processIo): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: COMMON_OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    io.stdout(JOBS_HELP);
    return;
  }
  const client = RegistryClient.from(values, io.env);
  if (positionals[0] === 'show') {
    const [, id, extra] = positionals;
    if (!id) throw usageError(JOBS_HELP, 'jobs show needs a JOB id (switchyard jobs lists them)');
    if (extra !== undefined) throw usageError(JOBS_HELP, `unexpected argument '${extra}'`);
    const path = `/api/v1/jobs/${encodeURIComponent(id)}`;
    const job = await client.get<JobRecord>(path);
    const log = await client.getText(`${path}/log`);
    if (values.json) return printJson(io.stdout, { ...job, log });
    io.stdout(`${jobText(job)}\nlog:\n${log || '(empty)\n'}`);
    return;
  }
  const [model, extra] = positionals;
  if (extra !== undefined) throw usageError(JOBS_HELP, `unexpected argument '${extra}'`);
  const answer = await client.get<{ jobs: JobRecord[]; queued: number }>(`/api/v1/jobs${model ? `?model=${encodeURIComponent(model)}` : ''}`);
  if (values.json) return printJson(io.stdout, answer);
  io.stdout(jobsTable(answer.jobs));
}
