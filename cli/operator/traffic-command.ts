/** `switchyard traffic show|set MODEL v3=90 v4=10 [--shadow v5:20]`: a model's traffic policy. */
import { parseArgs } from 'node:util';
import type { ModelView } from '../../models/registry/views.js';
import type { ShadowTarget, TrafficPolicy, TrafficVariant } from '../../models/registry/traffic-policy.js';
import { table, trafficSummary } from './format.js';
import { COMMON_HELP, COMMON_OPTIONS, printJson, usageError } from './options.js';
import { modelPath, processIo, RegistryClient, RegistryRefusal, type OperatorIo } from './registry-client.js';
import type { RolloutRecord } from '../../models/rollout/rollout-record.js';
import { rolloutLine } from './rollout-command.js';

export const TRAFFIC_HELP = `usage: switchyard traffic <show|set> MODEL [TARGET=WEIGHT ...] [--shadow TARGET:PERCENT ...]

  traffic show MODEL
  traffic set MODEL v3=90 v4=10 [--shadow v5:20] [--sticky-header NAME] [--revision N]
      TARGET is a version (3 or v3) or an alias (stable, canary); weights are integers summing to 100.
      --shadow mirrors PERCENT of live requests to TARGET (repeatable); answers are discarded.
      --revision refuses the change if the model moved on since revision N (read it with traffic show).

${COMMON_HELP}`;

export function parseVariants(args: string[]): TrafficVariant[] {
  return args.map((arg) => {
    const m = /^([^=]+)=(-?[0-9]+)$/.exec(arg);
    if (!m) throw usageError(TRAFFIC_HELP, `'${arg}' is not TARGET=WEIGHT (e.g. v3=90 or canary=10)`);
    return { target: m[1]!, weight: Number(m[2]) };
  });
}

export function parseShadows(args: string[]): ShadowTarget[] {
  return args.map((arg) => {
    const m = /^([^:]+):(-?[0-9]+)%?$/.exec(arg);
    if (!m) throw usageError(TRAFFIC_HELP, `--shadow '${arg}' is not TARGET:PERCENT (e.g. v5:20)`);
    return { target: m[1]!, percent: Number(m[2]) };
  });
}

export async function trafficCommand(argv: string[], io: OperatorIo = processIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, shadow: { type: 'string', multiple: true }, 'sticky-header': { type: 'string' }, revision: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [verb, model, ...rest] = positionals;
  if (values.help || verb === undefined) {
    io.stdout(TRAFFIC_HELP);
    return;
  }
  if (!model) throw usageError(TRAFFIC_HELP, `traffic ${verb} needs a MODEL`);
  const client = RegistryClient.from(values, io.env);
  switch (verb) {
    case 'show': {
      const m = await client.get<ModelView>(modelPath(model));
      if (values.json) return printJson(io.stdout, m.traffic);
      io.stdout(policyText(m));
      const rollout = await client.get<RolloutRecord>(modelPath(model, 'rollout')).catch((err: unknown) => {
        if (err instanceof RegistryRefusal && err.status === 404) return undefined; // no rollout yet (or a registry without rollouts)
        throw err;
      });
      if (rollout) io.stdout(`\n${rolloutLine(rollout)}\n`);
      return;
    }
    case 'set': {
      if (rest.length === 0) throw usageError(TRAFFIC_HELP, 'traffic set needs at least one TARGET=WEIGHT');
      const body: Record<string, unknown> = { variants: parseVariants(rest), shadow: parseShadows(values.shadow ?? []) };
      if (values['sticky-header'] !== undefined) body.sticky_header = values['sticky-header'];
      else {
        // Keep the current sticky header: the policy is replaced as a whole.
        const current = await client.get<ModelView>(modelPath(model));
        if (current.traffic) body.sticky_header = current.traffic.sticky_header;
      }
      if (values.revision !== undefined) {
        const revision = Number(values.revision);
        if (!Number.isInteger(revision) || revision < 0) throw usageError(TRAFFIC_HELP, `--revision must be a non-negative integer, got '${values.revision}'`);
        body.revision = revision;
      }
      const answer = await client.send<{ changed: boolean; traffic: TrafficPolicy; model: ModelView }>('PUT', modelPath(model, 'traffic'), body);
      if (values.json) return printJson(io.stdout, answer);
      io.stdout(`${answer.changed ? 'traffic of' : 'unchanged: traffic of'} ${model} is ${trafficSummary(answer.model.traffic, answer.model.aliases)} (revision ${answer.model.revision})\n`);
      return;
    }
    default:
      throw usageError(TRAFFIC_HELP, `unknown verb '${verb}' (show, set)`);
  }
}

function policyText(m: ModelView): string {
  if (!m.traffic) return `${m.name} has no traffic policy yet (no servable version)\n`;
  const resolve = (t: string): string => (m.aliases[t] ? `v${m.aliases[t]}` : `v${t}`);
  const rows = [
    ...m.traffic.variants.map((v) => ['live', v.target, resolve(v.target), `${v.weight}`]),
    ...m.traffic.shadow.map((s) => ['shadow', s.target, resolve(s.target), `${s.percent}% mirrored`]),
  ];
  return `model ${m.name}   revision ${m.revision}   sticky header: ${m.traffic.sticky_header}\n\n${table(['ROLE', 'TARGET', 'VERSION', 'SHARE'], rows)}`;
}
