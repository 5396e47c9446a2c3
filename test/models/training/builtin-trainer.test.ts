import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { generateTabularDataset, mulberry32 } from '../../../models/examples.js';
import { mlpForward } from '../../../models/onnx/forward.js';
import { mlpToOnnx } from '../../../models/onnx/writer.js';
import { builtinTrainerParams, trainClassifier } from '../../../models/training/builtin-trainer.js';
import { scoreClassifier } from '../../../models/training/classifier-score.js';
import type { LabeledDataset } from '../../../models/training/dataset.js';

/** Points in [-1, 1]², class 1 inside the circle of radius 0.7: no line separates them. */
function circle(rows: number, seed: number): LabeledDataset {
  const random = mulberry32(seed);
  const features = new Float32Array(rows * 2);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const [x, y] = [random() * 2 - 1, random() * 2 - 1];
    features.set([x, y], r * 2);
    labels[r] = x * x + y * y < 0.49 ? 1 : 0;
  }
  return { featureNames: ['x', 'y'], rows, features, labels };
}

describe('built-in trainer', () => {
  // The replaced full-batch gradient descent (400 epochs) reached train accuracy 0.9225 on this table.
  it('logistic: reaches the old example accuracy on the tabular data, and holds it on fresh rows', () => {
    const train = generateTabularDataset();
    const { layers, metrics } = trainClassifier(train, { algorithm: 'logistic' });
    assert.deepEqual(layers.map((l) => [l.inFeatures, l.outFeatures, l.activation]), [[8, 2, 'softmax']]);
    assert.equal(metrics.rows, 4000);
    assert.ok(metrics.train_accuracy >= 0.92, `train accuracy ${metrics.train_accuracy}`);
    const holdout = scoreClassifier(layers, generateTabularDataset(2000, 99));
    assert.ok(holdout.accuracy >= 0.91, `holdout accuracy ${holdout.accuracy}`);
    assert.ok(holdout.logLoss < 0.25, `holdout log loss ${holdout.logLoss}`);
  });

  it('mlp beats logistic on a non-linear problem, on a holdout', () => {
    const [train, holdout] = [circle(2000, 1), circle(1000, 2)];
    const logistic = scoreClassifier(trainClassifier(train, { algorithm: 'logistic', epochs: 30 }).layers, holdout);
    const mlp = trainClassifier(train, { algorithm: 'mlp', hidden: 16, epochs: 60, learning_rate: 0.02, seed: 3 });
    assert.deepEqual(mlp.layers.map((l) => [l.inFeatures, l.outFeatures, l.activation]), [[2, 16, 'relu'], [16, 2, 'softmax']]);
    const mlpScore = scoreClassifier(mlp.layers, holdout);
    assert.ok(logistic.accuracy < 0.75, `logistic holdout accuracy ${logistic.accuracy} (about the majority class)`);
    assert.ok(mlpScore.accuracy > 0.93, `mlp holdout accuracy ${mlpScore.accuracy}`);
  });

  it('exports raw-feature networks that ONNX Runtime runs like mlpForward, within 1e-5', async () => {
    const data = generateTabularDataset(600, 5);
    for (const algorithm of ['logistic', 'mlp'] as const) {
      const { layers } = trainClassifier(data, { algorithm, epochs: 5, hidden: 8 });
      const session = await ort.InferenceSession.create(mlpToOnnx(layers, { inputName: 'features', outputName: 'probabilities' }));
      try {
        const result = await session.run({ features: new ort.Tensor('float32', data.features, [data.rows, 8]) });
        const actual = result.probabilities!.data as Float32Array;
        const expected = mlpForward(layers, data.features, data.rows);
        assert.equal(actual.length, expected.length);
        for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= 1e-5, `${algorithm}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
      } finally {
        await session.release();
      }
    }
  });

  it('is deterministic for a seed, and another seed gives another network', () => {
    const data = circle(300, 4);
    const params = { algorithm: 'mlp' as const, hidden: 8, epochs: 3, seed: 11 };
    assert.deepEqual(trainClassifier(data, params), trainClassifier(data, params));
    assert.notDeepEqual(trainClassifier(data, params).layers[0]!.weights, trainClassifier(data, { ...params, seed: 12 }).layers[0]!.weights);
  });

  it('takes classes from the labels, or from params', () => {
    const data: LabeledDataset = { featureNames: ['a'], rows: 3, features: Float32Array.from([0, 1, 2]), labels: Float64Array.from([0, 2, 1]) };
    assert.equal(trainClassifier(data, { epochs: 1 }).layers[0]!.outFeatures, 3);
    assert.equal(trainClassifier(data, { epochs: 1, classes: 5 }).layers[0]!.outFeatures, 5);
  });

  it('says which row or parameter is wrong', () => {
    const data: LabeledDataset = { featureNames: ['a'], rows: 2, features: Float32Array.from([0, 1]), labels: Float64Array.from([0, 1.5]) };
    assert.throws(() => trainClassifier(data), /row 2: label 1.5 is not a class index 0..1/);
    assert.throws(() => trainClassifier({ ...data, labels: Float64Array.from([0, 3]) }, { classes: 2 }), /row 2: label 3 is not a class index 0..1 \(classes = 2\)/);
    assert.throws(() => trainClassifier({ ...data, labels: Float64Array.from([0, 0]) }), /every label is 0: a classifier needs at least 2 classes/);
    assert.throws(() => builtinTrainerParams({ epochs: 0 }), /epochs must be an integer >= 1, got 0/);
    assert.throws(() => builtinTrainerParams({ learning_rate: -1 }), /learning_rate must be a number > 0, got -1/);
    assert.throws(() => builtinTrainerParams({ algorithm: 'forest' as never }), /algorithm must be one of logistic, mlp, got 'forest'/);
  });
});
