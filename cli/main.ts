#!/usr/bin/env node
/**
 * `switchyard <command>`: one CLI for every process and operator verb. A command's module is
 * loaded only when it runs, so a short-lived command (a trainer, an operator verb) does not pay
 * for loading the gateway, the monitor and ONNX Runtime.
 */
type Run = (argv: string[]) => Promise<void>;

const COMMANDS: Record<string, { load: () => Promise<Run>; summary: string }> = {
  up: { load: async () => (await import('./up-command.js')).upCommand, summary: 'run Switchyard locally on the bundled example models (what `npm start` does)' },
  demo: { load: async () => (await import('./demo/demo-command.js')).demoCommand, summary: 'replay real weather data through a fresh stack and narrate drift, retraining, canary and promotion' },
  gateway: { load: async () => (await import('./gateway-command.js')).gatewayCommand, summary: 'serve a model repository over HTTP and gRPC (Open Inference Protocol v2)' },
  registry: { load: async () => (await import('./registry-command.js')).registryCommand, summary: 'serve the model registry (versions, aliases, traffic policy, audit log) on port 8020' },
  monitor: { load: async () => (await import('./monitor-command.js')).monitorCommand, summary: 'the monitoring sidecar: drift and quality per model version, signed retraining webhooks (ports 8010/8011)' },
  models: { load: async () => (await import('./operator/models-command.js')).modelsCommand, summary: 'list, show, register or archive model versions in the registry' },
  alias: { load: async () => (await import('./operator/alias-command.js')).aliasCommand, summary: 'set, delete or list aliases (stable, canary, ...) of a model' },
  traffic: { load: async () => (await import('./operator/traffic-command.js')).trafficCommand, summary: "show or set a model's traffic policy (weights, shadow, sticky header)" },
  rollout: { load: async () => (await import('./operator/rollout-command.js')).rolloutCommand, summary: "show, start, pause, resume, promote or abort a model's progressive rollout" },
  audit: { load: async () => (await import('./operator/audit-command.js')).auditCommand, summary: 'who changed what in the registry, before -> after' },
  train: { load: async () => (await import('./operator/train-command.js')).trainCommand, summary: 'queue a training job for a model (train, evaluate against stable, register, canary); --wait follows it' },
  jobs: { load: async () => (await import('./operator/jobs-command.js')).jobsCommand, summary: 'training jobs on the registry; `jobs show JOB` prints one with its log' },
  drift: { load: async () => (await import('./drift-command.js')).driftCommand, summary: 'compare two CSV files for data drift (PSI, KS, chi-squared, Jensen-Shannon, Wasserstein)' },
  bench: { load: async () => (await import('./bench-command.js')).benchCommand, summary: 'benchmarks: raw ONNX Runtime vs a naive server vs Switchyard; streaming cost (loadtest/)' },
  'train-builtin': { load: async () => (await import('./train-builtin-command.js')).trainBuiltinCommand, summary: 'train the built-in classifier (logistic or mlp) on a labeled CSV: writes model.onnx and metrics.json' },
  examples: { load: async () => (await import('./examples-command.js')).examplesCommand, summary: 'write the bundled example models into a model repository directory' },
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
command
  .load()
  .then((run) => run(rest))
  .catch((err: unknown) => {
    process.stderr.write(`switchyard ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
