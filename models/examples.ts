/**
 * The two bundled example models, built deterministically from fixed seeds so
 * every machine writes byte-identical files:
 * - `tabular`: softmax regression trained by the built-in trainer on a synthetic table, so its
 *   answers (and later its drift and accuracy numbers) mean something;
 * - `mlp`: a heavy untrained ReLU network, for load tests.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, parseManifest, type ExecutionSpec } from './manifest.js';
import { mlpForward, type DenseLayer } from './onnx/forward.js';
import { mlpToOnnx } from './onnx/writer.js';
import { builtinTrainerParams, trainClassifier, type BuiltinTrainerParams } from './training/builtin-trainer.js';
import { datasetHash, type LabeledDataset } from './training/dataset.js';
import { sha256Hex, versionDirectory, writeModelVersion, type ModelVersionFields } from './repository-writer.js';
import { mulberry32, normalSampler } from '../runtime/random.js';
import { buildProfile, type ReferenceProfile } from '../monitor/drift/profile.js';

export { mulberry32, normalSampler };

export interface ExampleModel {
  fields: ModelVersionFields;
  layers: DenseLayer[];
  onnx: Uint8Array;
}

const EXECUTION: ExecutionSpec = { mode: 'auto', instances: 1, intra_op_threads: 1, providers: ['cpu'] };

// ---- tabular ---------------------------------------------------------------

export const TABULAR_FEATURES = 8;
export const TABULAR_CLASSES = 2;
export const TABULAR_ROWS = 4000;
export const TABULAR_SEED = 20240611;
// Features on very different scales, as in real tables.
const FEATURE_MEANS = [50, 0, 3, -10, 1000, 0.5, 20, 7];
const FEATURE_SCALES = [15, 1, 0.5, 4, 300, 0.2, 8, 2];
// The hidden rule on standardized features; two features carry no signal at all.
const RULE_WEIGHTS = [1.6, -1.2, 0.8, 0, 0.6, -0.9, 0, 0.4];
const RULE_OFFSET = 0.3;
const RULE_NOISE = 0.6;
// Converges to the rule's noise floor (train accuracy ~0.92) in a few dozen milliseconds.
const TRAINING: Partial<BuiltinTrainerParams> = { algorithm: 'logistic', epochs: 20, batch_size: 64, learning_rate: 0.01, l2: 0, seed: TABULAR_SEED };

export const TABULAR_FEATURE_NAMES = Array.from({ length: TABULAR_FEATURES }, (_, i) => `f${i}`);

/** Rows labelled by a noisy linear rule, so no model can be perfect but a linear one can be good. */
export function generateTabularDataset(rows = TABULAR_ROWS, seed = TABULAR_SEED): LabeledDataset {
  const normal = normalSampler(mulberry32(seed));
  const features = new Float32Array(rows * TABULAR_FEATURES);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let score = RULE_OFFSET + RULE_NOISE * normal();
    for (let j = 0; j < TABULAR_FEATURES; j++) {
      const z = normal();
      features[r * TABULAR_FEATURES + j] = FEATURE_MEANS[j] + FEATURE_SCALES[j] * z;
      score += RULE_WEIGHTS[j] * z;
    }
    labels[r] = score > 0 ? 1 : 0;
  }
  return { featureNames: [...TABULAR_FEATURE_NAMES], rows, features, labels };
}

export function tabularExample(): ExampleModel {
  const data = generateTabularDataset();
  const { layers, metrics } = trainClassifier(data, TRAINING);
  return {
    layers,
    onnx: mlpToOnnx(layers, { inputName: 'features', outputName: 'probabilities', graphName: 'tabular' }),
    fields: {
      name: 'tabular',
      version: '1',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, TABULAR_FEATURES] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, TABULAR_CLASSES] }],
      batching: { max_batch_size: 64, max_queue_delay_us: 0, max_queue_size: 4096 },
      execution: EXECUTION,
      lineage: {
        data_hash: datasetHash(data),
        parameters: { ...builtinTrainerParams(TRAINING), rows: data.rows },
        metrics: { train_accuracy: metrics.train_accuracy, train_log_loss: metrics.train_log_loss },
      },
      reference_profile: tabularProfile(data, layers),
    },
  };
}

/** The training data's distribution per feature, and the predicted classes, for the monitor's drift tests. */
export function tabularProfile(data: LabeledDataset, layers: readonly DenseLayer[]): ReferenceProfile {
  const columns: Record<string, Float32Array> = {};
  TABULAR_FEATURE_NAMES.forEach((name, f) => {
    columns[name] = Float32Array.from({ length: data.rows }, (_, r) => data.features[r * TABULAR_FEATURES + f]!);
  });
  const probabilities = mlpForward(layers, data.features, data.rows);
  const prediction = Array.from({ length: data.rows }, (_, r) => String(probabilities[r * TABULAR_CLASSES + 1]! > probabilities[r * TABULAR_CLASSES]! ? 1 : 0));
  return buildProfile(columns, { prediction, seed: TABULAR_SEED });
}

// ---- mlp -------------------------------------------------------------------

export const MLP_WIDTHS = [256, 1024, 1024, 16];
export const MLP_SEED = 424242;

/** He-initialised ReLU layers and a Xavier-initialised softmax head, biases zero. */
export function mlpExample(): ExampleModel {
  const normal = normalSampler(mulberry32(MLP_SEED));
  const layers: DenseLayer[] = [];
  for (let i = 0; i + 1 < MLP_WIDTHS.length; i++) {
    const inFeatures = MLP_WIDTHS[i];
    const outFeatures = MLP_WIDTHS[i + 1];
    const head = i + 2 === MLP_WIDTHS.length;
    const std = head ? Math.sqrt(2 / (inFeatures + outFeatures)) : Math.sqrt(2 / inFeatures);
    const weights = new Float32Array(inFeatures * outFeatures);
    for (let k = 0; k < weights.length; k++) weights[k] = std * normal();
    layers.push({ inFeatures, outFeatures, weights, bias: new Float32Array(outFeatures), activation: head ? 'softmax' : 'relu' });
  }
  const inputs = MLP_WIDTHS[0];
  const classes = MLP_WIDTHS[MLP_WIDTHS.length - 1];
  return {
    layers,
    onnx: mlpToOnnx(layers, { inputName: 'features', outputName: 'probabilities', graphName: 'mlp' }),
    fields: {
      name: 'mlp',
      version: '1',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, inputs] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, classes] }],
      batching: { max_batch_size: 128, max_queue_delay_us: 0, max_queue_size: 4096 },
      execution: EXECUTION,
      lineage: { parameters: { initialisation: 'he_normal, xavier_normal head', widths: MLP_WIDTHS, seed: MLP_SEED } },
    },
  };
}

// ---- repository ------------------------------------------------------------

export interface ExampleWrite {
  name: string;
  version: string;
  /** false when an identical version was already there */
  written: boolean;
}

/**
 * Writes both examples as version 1. Idempotent: a version already holding the
 * same bytes is left alone. A version holding different content is never
 * overwritten (versions are immutable); that is an error for the caller.
 */
export async function writeExampleRepository(repoDir: string): Promise<ExampleWrite[]> {
  const results: ExampleWrite[] = [];
  for (const example of [tabularExample(), mlpExample()]) {
    const { name, version } = example.fields;
    const written = !(await holdsSameVersion(repoDir, example));
    if (written) {
      const lineage = { ...example.fields.lineage, created_at: new Date().toISOString() };
      await writeModelVersion(repoDir, { ...example.fields, lineage }, example.onnx);
    }
    results.push({ name, version, written });
  }
  return results;
}

/** True when the version exists, intact, with these bytes; false when it has no manifest yet. */
async function holdsSameVersion(repoDir: string, example: ExampleModel): Promise<boolean> {
  const dir = versionDirectory(repoDir, example.fields.name, example.fields.version);
  const manifestPath = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const manifest = parseManifest(JSON.parse(text), manifestPath);
  const expected = sha256Hex(example.onnx);
  const onDisk = await readFile(join(dir, manifest.file)).then(sha256Hex, () => 'missing');
  if (manifest.sha256 === expected && onDisk === expected) return true;
  throw new Error(
    `${dir} already holds a model version that differs from the bundled example '${example.fields.name}' ` +
      `(manifest sha256 ${manifest.sha256}, file ${onDisk}, example ${expected}); remove that directory or use another repository`,
  );
}
