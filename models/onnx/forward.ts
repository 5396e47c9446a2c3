/**
 * Dense networks as plain data, and their forward pass in TypeScript. The same
 * `DenseLayer[]` is what `mlpToOnnx` writes, so ONNX Runtime's answers can be
 * checked against this code, and the built-in trainer can evaluate a network
 * without a session.
 */

export type Activation = 'relu' | 'sigmoid' | 'softmax' | 'none';

export interface DenseLayer {
  inFeatures: number;
  outFeatures: number;
  /** [inFeatures, outFeatures], row-major: weights[i * outFeatures + o] links input i to output o. */
  weights: Float32Array;
  /** [outFeatures] */
  bias: Float32Array;
  /** Applied per row; softmax runs over the outFeatures of a row. */
  activation: Activation;
}

/** Throws naming the first layer whose sizes do not fit the declared shape or the previous layer. */
export function checkLayers(layers: readonly DenseLayer[]): void {
  if (layers.length === 0) throw new Error('a dense network needs at least one layer');
  layers.forEach((layer, i) => {
    const { inFeatures, outFeatures } = layer;
    if (!Number.isInteger(inFeatures) || inFeatures < 1 || !Number.isInteger(outFeatures) || outFeatures < 1) {
      throw new Error(`layer ${i}: inFeatures and outFeatures must be positive integers, got ${inFeatures} and ${outFeatures}`);
    }
    if (layer.weights.length !== inFeatures * outFeatures) {
      throw new Error(`layer ${i}: weights hold ${layer.weights.length} values, expected ${inFeatures} x ${outFeatures} = ${inFeatures * outFeatures}`);
    }
    if (layer.bias.length !== outFeatures) throw new Error(`layer ${i}: bias holds ${layer.bias.length} values, expected ${outFeatures}`);
    const previous = layers[i - 1];
    if (previous && previous.outFeatures !== inFeatures) {
      throw new Error(`layer ${i}: takes ${inFeatures} features but layer ${i - 1} produces ${previous.outFeatures}`);
    }
  });
}

/** Runs `rows` rows of `input` ([rows, layers[0].inFeatures], row-major) through the network. */
export function mlpForward(layers: readonly DenseLayer[], input: Float32Array, rows: number): Float32Array {
  checkLayers(layers);
  const expected = rows * layers[0].inFeatures;
  if (input.length !== expected) throw new Error(`input holds ${input.length} values, expected ${rows} rows x ${layers[0].inFeatures} features = ${expected}`);
  let activations = input;
  for (const layer of layers) activations = denseForward(layer, activations, rows);
  return activations;
}

/** One layer: activation(input · weights + bias), rounded to float32 like ONNX Runtime's FP32 kernels. */
export function denseForward(layer: DenseLayer, input: Float32Array, rows: number): Float32Array {
  const { inFeatures, outFeatures, weights, bias } = layer;
  const out = new Float32Array(rows * outFeatures);
  // Accumulate in float64, one output row at a time, walking weights row by row for cache locality.
  const acc = new Float64Array(outFeatures);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outFeatures; o++) acc[o] = bias[o];
    for (let i = 0; i < inFeatures; i++) {
      const x = input[r * inFeatures + i];
      if (x === 0) continue;
      const base = i * outFeatures;
      for (let o = 0; o < outFeatures; o++) acc[o] += x * weights[base + o];
    }
    applyActivation(layer.activation, acc);
    out.set(acc, r * outFeatures);
  }
  return out;
}

function applyActivation(activation: Activation, row: Float64Array): void {
  switch (activation) {
    case 'none':
      return;
    case 'relu':
      for (let o = 0; o < row.length; o++) if (row[o] < 0) row[o] = 0;
      return;
    case 'sigmoid':
      for (let o = 0; o < row.length; o++) row[o] = 1 / (1 + Math.exp(-row[o]));
      return;
    case 'softmax': {
      // Shifting by the row maximum keeps exp() finite; the result is unchanged.
      let max = -Infinity;
      for (const v of row) if (v > max) max = v;
      let sum = 0;
      for (let o = 0; o < row.length; o++) {
        row[o] = Math.exp(row[o] - max);
        sum += row[o];
      }
      for (let o = 0; o < row.length; o++) row[o] /= sum;
      return;
    }
  }
}
