/**
 * One training job, each step written to the job's log:
 *   data     → snapshot the labeled rows (trigger/spec dataset or the monitor), merge stable's
 *              training set, keep it content-addressed;
 *   holdout  → the newest `holdout_fraction` of the rows (rows are in time order, and the canary
 *              will face the newest data);
 *   train    → spawn the trainer command (built-in or the user's) in a job directory;
 *   evaluate → the new ONNX file and stable's on the holdout, with ONNX Runtime;
 *   register → manifest with stable's tensors/batching/execution, lineage, reference profile;
 *   canary   → when holdout accuracy beats stable's by the margin, hand it to the canary starter.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildProfile } from '../../monitor/drift/profile.js';
import type { ModelManifest } from '../manifest.js';
import { sha256Hex } from '../repository-writer.js';
import type { RegistryStore } from '../registry/store.js';
import { builtinTrainerCommand } from './builtin-command.js';
import { TRAINER_ACTOR, type CanaryStarter } from './canary-starter.js';
import { runTrainerCommand } from './command-trainer.js';
import { datasetCsv, sliceDataset, type LabeledDataset } from './dataset.js';
import { scoreClassifierFile, tensorContract } from './holdout-evaluation.js';
import { JobFailure, type JobRunner } from './job-queue.js';
import type { JobRecord, JobResult, JobStore } from './job-store.js';
import type { TrainingConfig, TrainingSpec } from './training-config.js';
import { snapshotTrainingData, type TrainingData } from './training-data.js';

export interface TrainingJobDeps {
  store: RegistryStore;
  jobs: JobStore;
  config: TrainingConfig;
  dataDir: string;
  monitorUrl?: string;
  canaryStarter: CanaryStarter;
}

/** Accuracy differences below this are float noise, not a miss of the margin. */
const EPSILON = 1e-9;

export function workDirectory(dataDir: string, job: string): string {
  return join(dataDir, 'training', 'work', job);
}

export function trainingJobRunner(deps: TrainingJobDeps): JobRunner {
  return async (job, signal) => {
    const dir = workDirectory(deps.dataDir, job.id);
    try {
      return await runJob(deps, job, signal, dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

async function runJob(deps: TrainingJobDeps, job: JobRecord, signal: AbortSignal, dir: string): Promise<JobResult> {
  const { store, model } = { store: deps.store, model: job.model };
  const log = (line: string): void => deps.jobs.appendLog(job.id, line);
  const step = (name: string): void => {
    if (signal.aborted) throw new Error(`the registry shut down before the ${name} step`);
    log(`--- ${name}`);
  };
  const spec = deps.config.specFor(model);
  const trigger = job.triggers[0];

  const stableVersion = store.model(model).aliases.stable;
  if (stableVersion === undefined) throw new Error(`model '${model}' has no "stable" alias: a retrained version is evaluated against stable and copies its tensor specs; set one first (switchyard alias set ${model} stable N)`);
  const stable = store.version(model, stableVersion).manifest;
  if (!stable) throw new Error(`stable version ${stableVersion} of model '${model}' was refused by the registry; cannot train against it`);
  const stableFile = store.versionFile(model, stableVersion).path;
  log(`model '${model}', stable v${stableVersion}; trainer ${describeTrainer(spec)}; holdout ${spec.holdoutFraction}, margin ${spec.margin}`);

  step('data');
  const snapshot = await snapshotTrainingData({
    model,
    spec: spec.data,
    ...(job.dataset !== undefined ? { dataset: job.dataset } : {}),
    ...(deps.monitorUrl !== undefined ? { monitorUrl: deps.monitorUrl } : {}),
    ...(stable.lineage.data_hash !== undefined ? { previousHash: stable.lineage.data_hash } : {}),
    ...(typeof stable.lineage.parameters?.monitor_cursor === 'string' ? { previousCursor: stable.lineage.parameters.monitor_cursor } : {}),
    dataDir: deps.dataDir,
    log,
    signal,
  });
  const data = snapshot.data;
  const contract = tensorContract(stable.inputs, stable.outputs, data.featureNames.length, `stable v${stableVersion} of '${model}'`);

  step('holdout');
  const holdoutRows = Math.max(1, Math.round(data.rows * spec.holdoutFraction));
  const train = sliceDataset(data, 0, data.rows - holdoutRows);
  const holdout = sliceDataset(data, data.rows - holdoutRows, data.rows);
  if (train.rows < 1) throw new Error(`${data.rows} row(s) leave nothing to train on after holding out ${holdoutRows}`);
  log(`holdout: the newest ${holdout.rows} row(s); training on the ${train.rows} before them`);

  step('train');
  await mkdir(dir, { recursive: true });
  const trainPath = join(dir, 'train.csv');
  await writeFile(trainPath, datasetCsv(train));
  const command = trainerCommand(spec, contract.input.name, contract.output.name, stable.outputs[0]!.shape);
  log(`train: ${command}`);
  const trained = await runTrainerCommand(
    { command, timeoutMs: spec.trainer.timeoutMs, env: { SWITCHYARD_MODEL: model, SWITCHYARD_JOB: job.id, SWITCHYARD_INPUT_NAME: contract.input.name, SWITCHYARD_OUTPUT_NAME: contract.output.name }, signal },
    trainPath,
    join(dir, 'out'),
    (line) => log(`trainer ${line}`),
  );
  log(`train: wrote ${trained.onnxPath}; trainer metrics ${JSON.stringify(trained.metrics)}`);

  step('evaluate');
  const [fresh, onTrain] = await scoreClassifierFile(trained.onnxPath, [holdout, train], contract, 'the new model');
  const [old] = await scoreClassifierFile(stableFile, [holdout], contract, `stable v${stableVersion}`);
  const metrics: Record<string, number> = {
    ...prefixed(trained.metrics),
    holdout_accuracy: fresh!.accuracy,
    holdout_log_loss: fresh!.logLoss,
    stable_holdout_accuracy: old!.accuracy,
    stable_holdout_log_loss: old!.logLoss,
    train_rows: train.rows,
    holdout_rows: holdout.rows,
  };
  log(`evaluate: new model accuracy ${fmt(fresh!.accuracy)}, log loss ${fmt(fresh!.logLoss)}; stable v${stableVersion} accuracy ${fmt(old!.accuracy)}, log loss ${fmt(old!.logLoss)} (${holdout.rows} holdout rows)`);

  step('register');
  const bytes = await readFile(trained.onnxPath);
  const manifest = {
    sha256: sha256Hex(bytes),
    inputs: stable.inputs,
    outputs: stable.outputs,
    batching: stable.batching,
    execution: stable.execution,
    lineage: {
      parent_version: stableVersion,
      data_hash: snapshot.hash,
      parameters: parameters(spec, snapshot),
      metrics,
      ...(trigger !== undefined ? { trigger_id: trigger } : {}),
      created_at: new Date().toISOString(),
    },
    reference_profile: referenceProfile(train, onTrain!.predicted),
  } satisfies Partial<ModelManifest>;
  const registered = await store.register(TRAINER_ACTOR, model, manifest, bytes);
  const version = registered.audit?.version;
  if (version === undefined) throw new Error('the registry registered the new version but did not say which number it got');
  log(`register: version ${version} of '${model}' (sha256 ${manifest.sha256})`);

  step('canary');
  const gain = fresh!.accuracy - old!.accuracy;
  const base: JobResult = { version, canary: false, canary_reason: '', data_hash: snapshot.hash, metrics };
  if (gain < spec.margin - EPSILON) {
    const reason = `holdout accuracy ${fmt(fresh!.accuracy)} does not beat stable v${stableVersion}'s ${fmt(old!.accuracy)} by the margin ${spec.margin}`;
    log(`canary: no; ${reason}`);
    return { ...base, canary_reason: reason };
  }
  const reason = `holdout accuracy ${fmt(fresh!.accuracy)} beats stable v${stableVersion}'s ${fmt(old!.accuracy)} by ${fmt(gain)} (margin ${spec.margin})`;
  try {
    await deps.canaryStarter.start(model, version, { job: job.id, ...(trigger !== undefined ? { trigger } : {}) });
  } catch (err) {
    throw new JobFailure(`registered version ${version}, but starting its canary failed: ${(err as Error).message}`, { ...base, canary_reason: `${reason}, but starting the canary failed: ${(err as Error).message}` });
  }
  log(`canary: started for version ${version}; ${reason}`);
  return { ...base, canary: true, canary_reason: reason };
}

function trainerCommand(spec: TrainingSpec, inputName: string, outputName: string, outputShape: readonly number[]): string {
  if (spec.trainer.kind === 'command') return spec.trainer.command;
  const declared = outputShape[outputShape.length - 1];
  return builtinTrainerCommand({
    ...spec.trainer.params,
    algorithm: spec.trainer.algorithm,
    input_name: inputName,
    output_name: outputName,
    // Keep stable's output width even when the new rows lack a class.
    ...(spec.trainer.params.classes === undefined && declared !== undefined && declared >= 2 ? { classes: declared } : {}),
  });
}

function describeTrainer(spec: TrainingSpec): string {
  return spec.trainer.kind === 'command' ? `command (timeout ${spec.trainer.timeoutMs / 1000} s)` : `built-in ${spec.trainer.algorithm}`;
}

function parameters(spec: TrainingSpec, data: TrainingData): Record<string, unknown> {
  const trainer = spec.trainer.kind === 'command' ? { trainer: 'command', command: spec.trainer.command } : { trainer: 'builtin', algorithm: spec.trainer.algorithm, ...spec.trainer.params };
  const cursor = data.cursor !== undefined ? { monitor_cursor: data.cursor } : {};
  return { ...trainer, holdout_fraction: spec.holdoutFraction, margin: spec.margin, data_source: data.source, previous_rows: data.previousRows, ...cursor };
}

/** Trainer metrics keep their names unless they collide with the job's own. */
function prefixed(trainer: Record<string, number>): Record<string, number> {
  const own = new Set(['holdout_accuracy', 'holdout_log_loss', 'stable_holdout_accuracy', 'stable_holdout_log_loss', 'train_rows', 'holdout_rows']);
  return Object.fromEntries(Object.entries(trainer).map(([k, v]) => [own.has(k) ? `trainer_${k}` : k, v]));
}

/** The training rows per feature (named by the dataset header) and the new model's predicted classes on them. */
function referenceProfile(train: LabeledDataset, predicted: Uint32Array): unknown {
  const width = train.featureNames.length;
  const columns: Record<string, Float32Array> = {};
  train.featureNames.forEach((name, f) => {
    columns[name] = Float32Array.from({ length: train.rows }, (_, r) => train.features[r * width + f]!);
  });
  return buildProfile(columns, { prediction: Array.from(predicted, String) });
}

function fmt(n: number): string {
  return n.toFixed(3);
}
