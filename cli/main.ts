#!/usr/bin/env node
/** `switchyard <command>`: one CLI for every process and operator verb. */
import { gatewayCommand } from './gateway-command.js';
import { upCommand } from './up-command.js';
import { examplesCommand } from './examples-command.js';
import { driftCommand } from './drift-command.js';
import { registryCommand } from './registry-command.js';
import { monitorCommand } from './monitor-command.js';
import { modelsCommand } from './operator/models-command.js';
import { aliasCommand } from './operator/alias-command.js';
import { trafficCommand } from './operator/traffic-command.js';
import { rolloutCommand } from './operator/rollout-command.js';
import { auditCommand } from './operator/audit-command.js';
import { trainCommand } from './operator/train-command.js';
import { jobsCommand } from './operator/jobs-command.js';
import { trainBuiltinCommand } from './train-builtin-command.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; summary: string }> = {
  up: { run: upCommand, summary: 'run Switchyard locally on the bundled example models (what `npm start` does)' },
  gateway: { run: gatewayCommand, summary: 'serve a model repository over HTTP and gRPC (Open Inference Protocol v2)' },
  registry: { run: registryCommand, summary: 'serve the model registry (versions, aliases, traffic policy, audit log) on port 8020' },
  monitor: { run: monitorCommand, summary: 'the monitoring sidecar: drift and quality per model version, signed retraining webhooks (ports 8010/8011)' },
  models: { run: modelsCommand, summary: 'list, show, register or archive model versions in the registry' },
  alias: { run: aliasCommand, summary: 'set, delete or list aliases (stable, canary, ...) of a model' },
  traffic: { run: trafficCommand, summary: "show or set a model's traffic policy (weights, shadow, sticky header)" },
  rollout: { run: rolloutCommand, summary: "show, start, pause, resume, promote or abort a model's progressive rollout" },
  audit: { run: auditCommand, summary: 'who changed what in the registry, before -> after' },
  train: { run: trainCommand, summary: 'queue a training job for a model (train, evaluate against stable, register, canary); --wait follows it' },
  jobs: { run: jobsCommand, summary: 'training jobs on the registry; `jobs show JOB` prints one with its log' },
  drift: { run: driftCommand, summary: 'compare two CSV files for data drift (PSI, KS, chi-squared, Jensen-Shannon, Wasserstein)' },
  'train-builtin': { run: trainBuiltinCommand, summary: 'train the built-in classifier (logistic or mlp) on a labeled CSV: writes model.onnx and metrics.json' },
  examples: { run: examplesCommand, summary: 'write the bundled example models into a model repository directory' },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`);
  return `usage: switchyard <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'switchyard <command> --help' for a command's options.\n`;
}

const [name, ...rest] = process.argv.slice(2);
const command = name ? COMMANDS[name] : undefined;
if (!command) {
  process.stderr.write(name && name !== '--help' && name !== '-h' ? `switchyard: unknown command '${name}'\n\n${usage()}` : usage());
  process.exit(name && name !== '--help' && name !== '-h' ? 2 : 0);
}
command.run(rest).catch((err: unknown) => {
  process.stderr.write(`switchyard ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
