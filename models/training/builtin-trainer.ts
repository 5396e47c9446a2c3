/**
 * The built-in trainer: softmax regression ('logistic') or a one-hidden-layer ReLU network
 * ('mlp'), both trained by mini-batch Adam on the cross-entropy, deterministically for a seed.
 * It trains on standardized features (raw scales can differ by 1000x, which stalls gradient
 * descent) and folds the standardization into the first layer, so the exported network takes
 * raw features.
 */
import type { DenseLayer } from '../onnx/forward.js';
import { mulberry32, normalSampler } from '../../runtime/random.js';
import { scoreClassifier } from './classifier-score.js';
import type { LabeledDataset } from './dataset.js';

export type BuiltinAlgorithm = 'logistic' | 'mlp';
export const BUILTIN_ALGORITHMS: readonly BuiltinAlgorithm[] = ['logistic', 'mlp'];

export interface BuiltinTrainerParams {
  algorithm: BuiltinAlgorithm;
  epochs: number;
  batch_size: number;
  learning_rate: number;
  /** Weight decay: l2/2 · Σ w² is added to the loss (biases are not decayed). */
  l2: number;
  seed: number;
  /** ReLU units of the hidden layer ('mlp' only). */
  hidden: number;
  /** Output classes; max(label) + 1 when absent. */
  classes?: number;
}

export const BUILTIN_TRAINER_DEFAULTS: Readonly<Omit<BuiltinTrainerParams, 'classes'>> = Object.freeze({
  algorithm: 'logistic',
  epochs: 50,
  batch_size: 64,
  learning_rate: 0.01,
  l2: 1e-4,
  seed: 1,
  hidden: 32,
});

export interface TrainedClassifier {
  /** Raw features in, class probabilities out (softmax head). */
  layers: DenseLayer[];
  metrics: { train_accuracy: number; train_log_loss: number; rows: number };
}

/** Defaults filled, every value checked; throws naming the parameter and what it must be. */
export function builtinTrainerParams(input: Partial<BuiltinTrainerParams> = {}): Readonly<BuiltinTrainerParams> {
  const p: BuiltinTrainerParams = { ...BUILTIN_TRAINER_DEFAULTS, ...input };
  if (!BUILTIN_ALGORITHMS.includes(p.algorithm)) throw new Error(`algorithm must be one of ${BUILTIN_ALGORITHMS.join(', ')}, got '${p.algorithm}'`);
  const integer = (key: 'epochs' | 'batch_size' | 'hidden' | 'seed' | 'classes', min: number): void => {
    const v = p[key];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= min)) throw new Error(`${key} must be an integer >= ${min}, got ${v}`);
  };
  integer('epochs', 1);
  integer('batch_size', 1);
  integer('hidden', 1);
  integer('seed', 0);
  integer('classes', 2);
  if (!(Number.isFinite(p.learning_rate) && p.learning_rate > 0)) throw new Error(`learning_rate must be a number > 0, got ${p.learning_rate}`);
  if (!(Number.isFinite(p.l2) && p.l2 >= 0)) throw new Error(`l2 must be a number >= 0, got ${p.l2}`);
  return Object.freeze(p);
}

export function trainClassifier(data: LabeledDataset, params: Partial<BuiltinTrainerParams> = {}): TrainedClassifier {
  const p = builtinTrainerParams(params);
  const d = data.featureNames.length;
  if (data.rows === 0) throw new Error('cannot train on a dataset with 0 rows');
  if (data.features.length !== data.rows * d) throw new Error(`dataset features hold ${data.features.length} values, expected ${data.rows} rows x ${d} features`);
  const classes = p.classes ?? data.labels.reduce((max, label) => Math.max(max, label), 0) + 1;
  data.labels.forEach((label, r) => {
    if (!(Number.isInteger(label) && label >= 0 && label < classes)) {
      throw new Error(`row ${r + 1}: label ${label} is not a class index 0..${classes - 1}${p.classes === undefined ? '' : ` (classes = ${p.classes})`}`);
    }
  });
  if (classes < 2) throw new Error(`every label is ${data.labels[0]}: a classifier needs at least 2 classes (labels 0 and 1, or set classes)`);

  const { mean, std } = columnStats(data.features, data.rows, d);
  const z = new Float64Array(data.rows * d);
  for (let i = 0; i < z.length; i++) z[i] = (data.features[i] - mean[i % d]) / std[i % d];

  const widths = p.algorithm === 'mlp' ? [d, p.hidden, classes] : [d, classes];
  const random = mulberry32(p.seed);
  const network = initialLayers(widths, normalSampler(random));
  optimize(network, z, data.labels, p, random);

  const layers = network.map((layer, i): DenseLayer => ({
    inFeatures: layer.inFeatures,
    outFeatures: layer.outFeatures,
    weights: Float32Array.from(layer.weights),
    bias: Float32Array.from(layer.bias),
    activation: i === network.length - 1 ? 'softmax' : 'relu',
  }));
  foldStandardization(layers[0], network[0], mean, std);
  const score = scoreClassifier(layers, data);
  return { layers, metrics: { train_accuracy: score.accuracy, train_log_loss: score.logLoss, rows: data.rows } };
}

/** Training-time parameters in float64; the exported DenseLayer rounds them to float32 once, at the end. */
interface Dense {
  inFeatures: number;
  outFeatures: number;
  weights: Float64Array;
  bias: Float64Array;
}

function columnStats(features: Float32Array, rows: number, d: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < features.length; i++) mean[i % d] += features[i] / rows;
  for (let i = 0; i < features.length; i++) std[i % d] += (features[i] - mean[i % d]) ** 2 / rows;
  // A constant column carries no signal; dividing by 1 keeps it harmless.
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]) || 1;
  return { mean, std };
}

/** He-normal weights for ReLU layers, Xavier-normal for the softmax head, zero biases. */
function initialLayers(widths: number[], normal: () => number): Dense[] {
  const layers: Dense[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const [inFeatures, outFeatures] = [widths[i], widths[i + 1]];
    const head = i + 2 === widths.length;
    const scale = head ? Math.sqrt(2 / (inFeatures + outFeatures)) : Math.sqrt(2 / inFeatures);
    const weights = Float64Array.from({ length: inFeatures * outFeatures }, () => scale * normal());
    layers.push({ inFeatures, outFeatures, weights, bias: new Float64Array(outFeatures) });
  }
  return layers;
}

const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** Mini-batch Adam on mean cross-entropy + l2/2·Σw², rows shuffled each epoch by `random`. */
function optimize(layers: Dense[], z: Float64Array, labels: Float64Array, p: Readonly<BuiltinTrainerParams>, random: () => number): void {
  const rows = labels.length;
  const batch = Math.min(p.batch_size, rows);
  const last = layers.length - 1;
  // activations[0] is the batch's input, activations[l + 1] the output of layer l; deltas likewise per layer output
  const activations = [layers[0].inFeatures, ...layers.map((l) => l.outFeatures)].map((width) => new Float64Array(batch * width));
  const deltas = layers.map((l) => new Float64Array(batch * l.outFeatures));
  const params = layers.flatMap((l) => [l.weights, l.bias]);
  const grads = params.map((t) => new Float64Array(t.length));
  const moment1 = params.map((t) => new Float64Array(t.length));
  const moment2 = params.map((t) => new Float64Array(t.length));
  const order = Uint32Array.from({ length: rows }, (_, i) => i);
  let step = 0;

  for (let epoch = 0; epoch < p.epochs; epoch++) {
    shuffle(order, random);
    for (let start = 0; start < rows; start += batch) {
      const n = Math.min(batch, rows - start);
      const input = activations[0];
      const d = layers[0].inFeatures;
      for (let r = 0; r < n; r++) input.set(z.subarray(order[start + r] * d, (order[start + r] + 1) * d), r * d);
      layers.forEach((layer, l) => forward(layer, activations[l], activations[l + 1], n, l === last));

      // d(cross-entropy)/d(logit) = probability - one-hot label, averaged over the batch
      const classes = layers[last].outFeatures;
      const top = deltas[last];
      for (let r = 0; r < n; r++) {
        for (let k = 0; k < classes; k++) top[r * classes + k] = activations[last + 1][r * classes + k] / n;
        top[r * classes + labels[order[start + r]]] -= 1 / n;
      }
      for (let l = last; l >= 0; l--) {
        backward(layers[l], activations[l], deltas[l], n, grads[2 * l], grads[2 * l + 1], p.l2, l > 0 ? deltas[l - 1] : undefined);
      }

      step++;
      const lr = (p.learning_rate * Math.sqrt(1 - ADAM.beta2 ** step)) / (1 - ADAM.beta1 ** step);
      params.forEach((t, i) => {
        const [g, m, v] = [grads[i], moment1[i], moment2[i]];
        for (let j = 0; j < t.length; j++) {
          m[j] = ADAM.beta1 * m[j] + (1 - ADAM.beta1) * g[j];
          v[j] = ADAM.beta2 * v[j] + (1 - ADAM.beta2) * g[j] * g[j];
          t[j] -= (lr * m[j]) / (Math.sqrt(v[j]) + ADAM.epsilon);
        }
      });
    }
  }
}

/** out = relu(in · W + b), or softmax for the head, over the batch's first n rows. */
function forward(layer: Dense, input: Float64Array, out: Float64Array, n: number, head: boolean): void {
  const { inFeatures: fi, outFeatures: fo, weights, bias } = layer;
  for (let r = 0; r < n; r++) {
    const row = out.subarray(r * fo, (r + 1) * fo);
    row.set(bias);
    for (let i = 0; i < fi; i++) {
      const x = input[r * fi + i];
      if (x === 0) continue;
      for (let o = 0; o < fo; o++) row[o] += x * weights[i * fo + o];
    }
    if (!head) {
      for (let o = 0; o < fo; o++) if (row[o] < 0) row[o] = 0;
      continue;
    }
    let max = -Infinity;
    for (let o = 0; o < fo; o++) max = Math.max(max, row[o]);
    let sum = 0;
    for (let o = 0; o < fo; o++) sum += row[o] = Math.exp(row[o] - max);
    for (let o = 0; o < fo; o++) row[o] /= sum;
  }
}

/**
 * Gradients of the layer's weights and bias from the deltas of its output; when `inputDelta` is
 * given, also the deltas of its input, through the ReLU that produced that input.
 */
function backward(layer: Dense, input: Float64Array, delta: Float64Array, n: number, gradW: Float64Array, gradB: Float64Array, l2: number, inputDelta: Float64Array | undefined): void {
  const { inFeatures: fi, outFeatures: fo, weights } = layer;
  for (let j = 0; j < gradW.length; j++) gradW[j] = l2 * weights[j];
  gradB.fill(0);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < fo; o++) gradB[o] += delta[r * fo + o];
    for (let i = 0; i < fi; i++) {
      const x = input[r * fi + i];
      let back = 0;
      for (let o = 0; o < fo; o++) {
        gradW[i * fo + o] += x * delta[r * fo + o];
        back += delta[r * fo + o] * weights[i * fo + o];
      }
      if (inputDelta) inputDelta[r * fi + i] = x > 0 ? back : 0;
    }
  }
}

/** Fisher–Yates. */
function shuffle(order: Uint32Array, random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
}

/**
 * Σ_j w_jo (x_j − mean_j) / std_j + b_o = Σ_j (w_jo / std_j) x_j + (b_o − Σ_j w_jo mean_j / std_j):
 * the first layer over raw features, computed from the float64 weights.
 */
function foldStandardization(target: DenseLayer, trained: Dense, mean: Float64Array, std: Float64Array): void {
  const { inFeatures: d, outFeatures: fo } = trained;
  for (let o = 0; o < fo; o++) {
    let shift = 0;
    for (let j = 0; j < d; j++) {
      target.weights[j * fo + o] = trained.weights[j * fo + o] / std[j];
      shift += (trained.weights[j * fo + o] * mean[j]) / std[j];
    }
    target.bias[o] = trained.bias[o] - shift;
  }
}
