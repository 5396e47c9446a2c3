import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { mlpForward, type Activation, type DenseLayer } from '../../models/onnx/forward.js';
import { mlpToOnnx, OnnxGraphBuilder } from '../../models/onnx/writer.js';
import { mulberry32, normalSampler } from '../../models/examples.js';
import { assertClose } from '../helpers/assert-close.js';

const BATCHES = [1, 7];

function randomArray(length: number, seed: number): Float32Array {
  const normal = normalSampler(mulberry32(seed));
  return Float32Array.from({ length }, normal);
}

function randomLayer(inFeatures: number, outFeatures: number, activation: Activation, seed: number): DenseLayer {
  return {
    inFeatures,
    outFeatures,
    weights: randomArray(inFeatures * outFeatures, seed),
    bias: randomArray(outFeatures, seed + 1),
    activation,
  };
}

/** [in, out] row-major → [out, in] row-major, the layout Gemm reads with transB. */
function transpose(weights: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(weights.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = weights[r * cols + c];
  return out;
}

async function runOnnx(model: Uint8Array, input: Float32Array, rows: number, inputName = 'x', outputName = 'y'): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(model);
  try {
    const feeds = { [inputName]: new ort.Tensor('float32', input, [rows, input.length / rows]) };
    const result = await session.run(feeds);
    return result[outputName]!;
  } finally {
    await session.release();
  }
}


describe('mlpForward', () => {
  it('computes activation(x · W + b) with W stored [in, out] row-major', () => {
    // x = [1, 2]; W = [[1, 2, 3], [4, 5, 6]]; b = [0.5, -20, 0] → [9.5, -8, 15]
    const layer: DenseLayer = { inFeatures: 2, outFeatures: 3, weights: Float32Array.from([1, 2, 3, 4, 5, 6]), bias: Float32Array.from([0.5, -20, 0]), activation: 'none' };
    assert.deepEqual([...mlpForward([layer], Float32Array.from([1, 2]), 1)], [9.5, -8, 15]);
    assert.deepEqual([...mlpForward([{ ...layer, activation: 'relu' }], Float32Array.from([1, 2]), 1)], [9.5, 0, 15]);
    const sigmoid = mlpForward([{ ...layer, activation: 'sigmoid' }], Float32Array.from([1, 2]), 1);
    assertClose(sigmoid, [1 / (1 + Math.exp(-9.5)), 1 / (1 + Math.exp(8)), 1 / (1 + Math.exp(-15))], 'sigmoid');
    const softmax = mlpForward([{ ...layer, activation: 'softmax' }], Float32Array.from([1, 2, 0, 0]), 2);
    // Row 2 is x = [0, 0], so its logits are the bias alone.
    const softmaxOf = (logits: number[]) => logits.map((v) => Math.exp(v) / logits.reduce((s, l) => s + Math.exp(l), 0));
    assertClose(softmax, [...softmaxOf([9.5, -8, 15]), ...softmaxOf([0.5, -20, 0])], 'softmax per row');
  });

  it('names the layer whose sizes do not chain', () => {
    const layers = [randomLayer(4, 3, 'relu', 1), randomLayer(5, 2, 'none', 2)];
    assert.throws(() => mlpForward(layers, new Float32Array(4), 1), /layer 1: takes 5 features but layer 0 produces 3/);
    assert.throws(() => mlpForward([{ ...layers[0], bias: new Float32Array(2) }], new Float32Array(4), 1), /layer 0: bias holds 2 values, expected 3/);
    assert.throws(() => mlpForward([layers[0]], new Float32Array(5), 1), /input holds 5 values, expected 1 rows x 4 features/);
  });
});

describe('ONNX writer, run by onnxruntime-node', () => {
  for (const activation of ['none', 'relu', 'sigmoid', 'softmax'] as const) {
    it(`Gemm + ${activation} matches the TypeScript forward pass`, async () => {
      const layers = [randomLayer(5, 6, activation, 10)];
      const model = mlpToOnnx(layers, { inputName: 'x', outputName: 'y' });
      for (const rows of BATCHES) {
        const input = randomArray(rows * 5, 100 + rows);
        const output = await runOnnx(model, input, rows);
        assert.deepEqual(output.dims, [rows, 6]);
        assertClose(output.data as Float32Array, mlpForward(layers, input, rows), `${activation}, batch ${rows}`);
      }
    });
  }

  it('a multi-layer network (relu → sigmoid → softmax) matches the TypeScript forward pass', async () => {
    const layers = [randomLayer(9, 12, 'relu', 20), randomLayer(12, 7, 'sigmoid', 30), randomLayer(7, 3, 'softmax', 40)];
    const model = mlpToOnnx(layers, { inputName: 'features', outputName: 'probabilities' });
    for (const rows of BATCHES) {
      const input = randomArray(rows * 9, 200 + rows);
      const output = await runOnnx(model, input, rows, 'features', 'probabilities');
      assertClose(output.data as Float32Array, mlpForward(layers, input, rows), `batch ${rows}`);
    }
  });

  it('Gemm with transB, alpha and beta computes alpha · x · Bᵀ + beta · c', async () => {
    const layer = randomLayer(4, 3, 'none', 50);
    const graph = new OnnxGraphBuilder('gemm_trans_b');
    graph.addInput('x', [4]);
    const b = graph.addInitializer('b_out_in', transpose(layer.weights, 4, 3), [3, 4]);
    const c = graph.addInitializer('c', layer.bias, [3]);
    graph.addOutput(graph.gemm('x', b, c, 'y', { transB: true, alpha: 0.5, beta: 2 }), [3]);
    const model = graph.encode();
    const scaled: DenseLayer = { ...layer, weights: layer.weights.map((w) => w * 0.5), bias: layer.bias.map((v) => v * 2) };
    for (const rows of BATCHES) {
      const input = randomArray(rows * 4, 300 + rows);
      const output = await runOnnx(model, input, rows);
      assertClose(output.data as Float32Array, mlpForward([scaled], input, rows), `batch ${rows}`);
    }
  });

  it('MatMul + Add matches the TypeScript forward pass', async () => {
    const layer = randomLayer(6, 2, 'none', 60);
    const graph = new OnnxGraphBuilder('matmul_add');
    graph.addInput('x', [6]);
    const product = graph.matMul('x', graph.addInitializer('w', layer.weights, [6, 2]), 'xw');
    graph.addOutput(graph.add(product, graph.addInitializer('b', layer.bias, [2]), 'y'), [2]);
    const model = graph.encode();
    for (const rows of BATCHES) {
      const input = randomArray(rows * 6, 400 + rows);
      const output = await runOnnx(model, input, rows);
      assertClose(output.data as Float32Array, mlpForward([layer], input, rows), `batch ${rows}`);
    }
  });

  it('declares a symbolic batch dimension on inputs and outputs', async () => {
    const session = await ort.InferenceSession.create(mlpToOnnx([randomLayer(3, 2, 'softmax', 70)], { inputName: 'in', outputName: 'out' }));
    try {
      assert.deepEqual(session.inputNames, ['in']);
      assert.deepEqual(session.outputNames, ['out']);
      const [input] = session.inputMetadata;
      const [output] = session.outputMetadata;
      assert.ok(input?.isTensor && output?.isTensor);
      assert.deepEqual([input.type, input.shape], ['float32', ['batch', 3]]);
      assert.deepEqual([output.type, output.shape], ['float32', ['batch', 2]]);
    } finally {
      await session.release();
    }
  });
});

describe('OnnxGraphBuilder', () => {
  it('refuses graphs that would be wired wrongly', () => {
    const graph = new OnnxGraphBuilder('broken');
    graph.addInput('x', [2]);
    assert.throws(() => graph.addInitializer('w', new Float32Array(3), [2, 2]), /initializer 'w': 3 values do not fill dims \[2, 2\]/);
    assert.throws(() => graph.relu('missing', 'y'), /Relu node: input 'missing' is not produced/);
    graph.relu('x', 'y');
    assert.throws(() => graph.sigmoid('x', 'y'), /value 'y' is defined twice/);
    assert.throws(() => graph.addOutput('z', [2]), /output 'z' is not produced/);
    assert.throws(() => new OnnxGraphBuilder('no_outputs').encode(), /needs at least one input and one output/);
  });
});
