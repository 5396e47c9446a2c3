/** Plain-text rendering of training jobs for `switchyard train` and `switchyard jobs`. */
import type { JobRecord } from '../../models/training/job-store.js';
import { table } from './format.js';

/** One line of what a job ended with: "v3, canary" / "v3, not canary: ..." / the error. */
export function jobOutcome(job: JobRecord): string {
  if (job.state === 'failed') return `failed: ${job.error ?? '?'}`;
  if (job.state !== 'succeeded' || !job.result) return '-';
  const version = job.result.version ? `v${job.result.version}` : 'no version';
  return job.result.canary ? `${version}, canary` : `${version}, not canary: ${job.result.canary_reason}`;
}

export function jobsTable(jobs: readonly JobRecord[]): string {
  if (jobs.length === 0) return 'no training jobs\n';
  const rows = jobs.map((j) => [j.id, j.model, j.state, j.created_at, triggersSummary(j.triggers), jobOutcome(j)]);
  return table(['JOB', 'MODEL', 'STATE', 'CREATED', 'TRIGGERS', 'OUTCOME'], rows);
}

export function jobText(job: JobRecord): string {
  const lines = [
    `job:       ${job.id}`,
    `model:     ${job.model}`,
    `state:     ${job.state}`,
    `triggers:  ${job.triggers.join(', ')}`,
    ...(job.dataset ? [`dataset:   ${job.dataset}`] : []),
    `created:   ${job.created_at}`,
    ...(job.started_at ? [`started:   ${job.started_at}`] : []),
    ...(job.finished_at ? [`finished:  ${job.finished_at}`] : []),
    ...(job.error ? [`error:     ${job.error}`] : []),
  ];
  const r = job.result;
  if (r) {
    if (r.version) lines.push(`version:   ${r.version}`);
    lines.push(`canary:    ${r.canary ? 'yes' : 'no'}: ${r.canary_reason}`);
    if (r.data_hash) lines.push(`data:      ${r.data_hash}`);
    for (const [k, v] of Object.entries(r.metrics ?? {})) lines.push(`  ${k.padEnd(26)} ${Number.isInteger(v) ? v : v.toFixed(4)}`);
  }
  return `${lines.join('\n')}\n`;
}

function triggersSummary(triggers: readonly string[]): string {
  const first = triggers[0] ?? '-';
  const short = first.length > 24 ? `${first.slice(0, 23)}…` : first;
  return triggers.length > 1 ? `${short} +${triggers.length - 1}` : short;
}
