/** `switchyard rollout show|start|pause|resume|promote|abort MODEL [VERSION]`: a model's progressive rollout. */
import { parseArgs } from 'node:util';
import type { RolloutRecord } from '../../models/rollout/rollout-record.js';
import type { RolloutStartResult } from '../../models/rollout/rollout-controller.js';
import { table } from './format.js';
import { COMMON_HELP, COMMON_OPTIONS, printJson, usageError } from './options.js';
import { modelPath, processIo, RegistryClient, type OperatorIo } from './registry-client.js';

export const ROLLOUT_HELP = `usage: switchyard rollout <show|start|pause|resume|promote|abort> MODEL [VERSION]

  rollout show MODEL            state, step, weight, last verdict and history of the latest rollout
  rollout start MODEL VERSION   start a rollout of VERSION (3 or v3) against the stable alias
                                (a rollout of MODEL in progress is superseded)
  rollout pause MODEL           stop evaluating; weights stay as they are
  rollout resume MODEL          evaluate again
  rollout promote MODEL         make the canary stable now
  rollout abort MODEL           roll back now: all traffic to stable, alias canary deleted

${COMMON_HELP}`;

const VERBS = ['show', 'start', 'pause', 'resume', 'promote', 'abort'];

export async function rolloutCommand(argv: string[], io: OperatorIo = processIo): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS }, allowPositionals: true, strict: true });
  const [verb, model, version, ...extra] = positionals;
  if (values.help || verb === undefined) {
    io.stdout(ROLLOUT_HELP);
    return;
  }
  if (!VERBS.includes(verb)) throw usageError(ROLLOUT_HELP, `unknown verb '${verb}' (${VERBS.join(', ')})`);
  if (!model) throw usageError(ROLLOUT_HELP, `rollout ${verb} needs a MODEL`);
  if (verb === 'start' && !version) throw usageError(ROLLOUT_HELP, 'rollout start needs a VERSION (e.g. 3 or v3)');
  if ((verb !== 'start' && version !== undefined) || extra.length) throw usageError(ROLLOUT_HELP, `unexpected argument '${verb !== 'start' ? version : extra[0]}'`);
  const client = RegistryClient.from(values, io.env);
  switch (verb) {
    case 'show': {
      const r = await client.get<RolloutRecord>(modelPath(model, 'rollout'));
      if (values.json) return printJson(io.stdout, r);
      io.stdout(rolloutText(r));
      return;
    }
    case 'start': {
      const answer = await client.send<RolloutStartResult>('POST', modelPath(model, 'rollout'), { version: version! });
      if (values.json) return printJson(io.stdout, answer);
      if (answer.superseded) io.stdout(`superseded the rollout of v${answer.superseded.version} (${answer.superseded.id})\n`);
      io.stdout(`${rolloutLine(answer.rollout)}\n`);
      return;
    }
    default: {
      const answer = await client.send<{ rollout: RolloutRecord }>('POST', modelPath(model, 'rollout', verb));
      if (values.json) return printJson(io.stdout, answer);
      io.stdout(`${rolloutLine(answer.rollout)}\n`);
    }
  }
}

/** One line: "rollout fraud v4 vs stable v3: progressing, step 2/4 (25%), last verdict pass: ...". */
export function rolloutLine(r: RolloutRecord): string {
  const steps = r.policy.steps.length;
  const where = r.state === 'progressing' || r.state === 'paused' ? `step ${r.step + 1}/${steps} (${r.weight}%)` : `ended at step ${r.step + 1}/${steps}`;
  const verdict = r.last_verdict ? `, last verdict ${r.last_verdict.outcome}: ${r.last_verdict.reason}` : '';
  const reason = r.reason ? ` — ${r.reason}` : '';
  return `rollout ${r.model} v${r.version} vs stable v${r.stable_version}: ${r.state}, ${where}, failures ${r.failures}/${r.policy.failure_limit}${verdict}${reason}`;
}

function rolloutText(r: RolloutRecord): string {
  const p = r.policy;
  const policy = `steps ${p.steps.join('/')} every ${p.interval_s}s, min ${p.min_requests} requests, errors <= ${p.max_error_rate}, p99 ratio <= ${p.max_p99_ratio}, accuracy ratio >= ${p.min_accuracy_ratio} (${p.min_labels} labels)${p.max_drifted_share !== undefined ? `, drifted share <= ${p.max_drifted_share}` : ''}, failure limit ${p.failure_limit}`;
  const rows = r.history.map((e) => [e.time, e.event + (e.count && e.count > 1 ? ` x${e.count}` : ''), `${e.weight}%`, e.actor, e.reason ?? '']);
  return `${rolloutLine(r)}\nid ${r.id}   started ${r.started_at}   by ${r.cause.actor ?? '-'}${r.cause.job ? `   job ${r.cause.job}` : ''}\npolicy: ${policy}\n\n${table(['TIME', 'EVENT', 'CANARY', 'ACTOR', 'REASON'], rows)}`;
}
