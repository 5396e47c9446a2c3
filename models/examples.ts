/**
 * The two bundled example models, built deterministically from fixed seeds so
 * every machine writes byte-identical files:
 * - `tabular`: softmax regression trained here on a synthetic table, so its
 *   answers (and later its drift and accuracy numbers) mean something;
 * - `mlp`: a heavy untrained ReLU network, for load tests.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, parseManifest, type ExecutionSpec } from './manifest.js';
import { mlpForward, type DenseLayer } from './onnx/forward.js';
import { mlpToOnnx } from './onnx/writer.js';
import { sha256Hex, versionDirectory, writeModelVersion, type ModelVersionFields } from './repository-writer.js';
import { mulberry32, normalSampler } from '../runtime/random.js';
import { buildProfile, type ReferenceProfile } from '../monitor/drift/profile.js';

export { mulberry32, normalSampler };

export interface ExampleModel {
  fields: ModelVersionFields;
  layers: DenseLayer[];
  onnx: Uint8Array;
}

const EXECUTION: ExecutionSpec = { instances: 1, intra_op_threads: 1, providers: ['cpu'] };

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
const TRAINING = { epochs: 400, learning_rate: 0.5 };

export interface TabularDataset {
  rows: number;
  /** [rows, TABULAR_FEATURES], row-major */
  features: Float32Array;
  /** 0 or 1 per row */
  labels: Uint8Array;
}

/** Rows labelled by a noisy linear rule, so no model can be perfect but a linear one can be good. */
export function generateTabularDataset(rows = TABULAR_ROWS, seed = TABULAR_SEED): TabularDataset {
  const normal = normalSampler(mulberry32(seed));
  const features = new Float32Array(rows * TABULAR_FEATURES);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let score = RULE_OFFSET + RULE_NOISE * normal();
    for (let j = 0; j < TABULAR_FEATURES; j++) {
      const z = normal();
      features[r * TABULAR_FEATURES + j] = FEATURE_MEANS[j] + FEATURE_SCALES[j] * z;
      score += RULE_WEIGHTS[j] * z;
    }
    labels[r] = score > 0 ? 1 : 0;
  }
  return { rows, features, labels };
}

export interface ClassifierScore {
  accuracy: number;
  logLoss: number;
}

/** Accuracy and mean log loss of a classifier whose last layer is a softmax over the classes. */
export function scoreClassifier(layers: readonly DenseLayer[], data: TabularDataset): ClassifierScore {
  const probabilities = mlpForward(layers, data.features, data.rows);
  const classes = layers[layers.length - 1].outFeatures;
  let correct = 0;
  let loss = 0;
  for (let r = 0; r < data.rows; r++) {
    const row = probabilities.subarray(r * classes, (r + 1) * classes);
    let predicted = 0;
    for (let k = 1; k < classes; k++) if (row[k] > row[predicted]) predicted = k;
    if (predicted === data.labels[r]) correct++;
    loss -= Math.log(Math.max(row[data.labels[r]], 1e-12));
  }
  return { accuracy: correct / data.rows, logLoss: loss / data.rows };
}

/**
 * Full-batch gradient descent on the cross-entropy of a softmax regression.
 * It trains on standardized features (raw scales differ by 1000x and would
 * stall plain gradient descent), then folds the standardization into the
 * weights so the exported layer takes raw features.
 */
export function trainTabularClassifier(data: TabularDataset): DenseLayer {
  const n = data.rows;
  const d = TABULAR_FEATURES;
  const c = TABULAR_CLASSES;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += data.features[r * d + j] / n;
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) std[j] += (data.features[r * d + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]) || 1;
  const z = new Float64Array(n * d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) z[r * d + j] = (data.features[r * d + j] - mean[j]) / std[j];

  const w = new Float64Array(d * c);
  const b = new Float64Array(c);
  const logits = new Float64Array(c);
  for (let epoch = 0; epoch < TRAINING.epochs; epoch++) {
    const gradW = new Float64Array(d * c);
    const gradB = new Float64Array(c);
    for (let r = 0; r < n; r++) {
      let max = -Infinity;
      for (let k = 0; k < c; k++) {
        logits[k] = b[k];
        for (let j = 0; j < d; j++) logits[k] += z[r * d + j] * w[j * c + k];
        max = Math.max(max, logits[k]);
      }
      let sum = 0;
      for (let k = 0; k < c; k++) sum += (logits[k] = Math.exp(logits[k] - max));
      for (let k = 0; k < c; k++) {
        // d(cross-entropy)/d(logit) = probability - one-hot label
        const delta = logits[k] / sum - (data.labels[r] === k ? 1 : 0);
        gradB[k] += delta / n;
        for (let j = 0; j < d; j++) gradW[j * c + k] += (delta * z[r * d + j]) / n;
      }
    }
    for (let i = 0; i < w.length; i++) w[i] -= TRAINING.learning_rate * gradW[i];
    for (let k = 0; k < c; k++) b[k] -= TRAINING.learning_rate * gradB[k];
  }

  // logit_k = Σ_j w_jk (x_j - mean_j) / std_j + b_k = Σ_j (w_jk / std_j) x_j + (b_k - Σ_j w_jk mean_j / std_j)
  const weights = new Float32Array(d * c);
  const bias = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    let shift = 0;
    for (let j = 0; j < d; j++) {
      weights[j * c + k] = w[j * c + k] / std[j];
      shift += (w[j * c + k] * mean[j]) / std[j];
    }
    bias[k] = b[k] - shift;
  }
  return { inFeatures: d, outFeatures: c, weights, bias, activation: 'softmax' };
}

export function tabularExample(): ExampleModel {
  const data = generateTabularDataset();
  const layers = [trainTabularClassifier(data)];
  const score = scoreClassifier(layers, data);
  const dataBytes = new Uint8Array(data.features.byteLength + data.labels.byteLength);
  dataBytes.set(new Uint8Array(data.features.buffer, data.features.byteOffset, data.features.byteLength));
  dataBytes.set(data.labels, data.features.byteLength);
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
        data_hash: sha256Hex(dataBytes),
        parameters: { algorithm: 'softmax_regression', ...TRAINING, rows: data.rows, seed: TABULAR_SEED },
        metrics: { train_accuracy: score.accuracy, train_log_loss: score.logLoss },
      },
      reference_profile: tabularProfile(data, layers),
    },
  };
}

export const TABULAR_FEATURE_NAMES = Array.from({ length: TABULAR_FEATURES }, (_, i) => `f${i}`);

/** The training data's distribution per feature, and the predicted classes, for the monitor's drift tests. */
export function tabularProfile(data: TabularDataset, layers: readonly DenseLayer[]): ReferenceProfile {
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
