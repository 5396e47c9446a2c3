/** How a prediction record is read: features, arg-max class, probabilities, regression values; bad tensors refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { predictionView } from '../../monitor/records/prediction-view.js';
import { TensorRecordError } from '../../monitor/records/tensor-matrix.js';
import type { TensorRecord } from '../../runtime/records.js';
import { fp32Tensor, prediction } from './helpers/records.js';

describe('prediction view', () => {
  it('reads a classifier: arg-max class per row, probabilities kept, features as [rows, F]', () => {
    const v = predictionView(prediction({ id: 'a', model: 'm', version: '1', features: [[1, 2], [3, 4]], probabilities: [[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]] }));
    assert.equal(v.kind, 'classifier');
    assert.equal(v.classes, 3);
    assert.deepEqual([...v.predicted], [1, 0]);
    assert.ok(v.probabilities);
    assert.equal(v.features!.columns, 2);
    assert.deepEqual([...v.features!.values], [1, 2, 3, 4]);
  });

  it('keeps no probabilities when the rows are not distributions (logits)', () => {
    const v = predictionView(prediction({ id: 'a', model: 'm', version: '1', probabilities: [[2.5, -1]] }));
    assert.equal(v.kind, 'classifier');
    assert.deepEqual([...v.predicted], [0]);
    assert.equal(v.probabilities, undefined);
  });

  it('reads one float column as a regressor, one integer column as class indices', () => {
    assert.equal(predictionView(prediction({ id: 'a', model: 'm', version: '1', values: [1.5] })).kind, 'regressor');
    const labels: TensorRecord = { name: 'label', datatype: 'INT64', shape: [2, 1], data: new Uint8Array(BigInt64Array.of(3n, 1n).buffer) };
    const v = predictionView({ ...prediction({ id: 'a', model: 'm', version: '1', values: [0, 0] }), outputs: [labels] });
    assert.equal(v.kind, 'classifier');
    assert.deepEqual([...v.predicted], [3, 1]);
  });

  it('refuses an output whose bytes do not fit its shape, and notes unreadable inputs without refusing', () => {
    const bad = { ...fp32Tensor('p', 1, 2, [0.5, 0.5]), shape: [2, 2] };
    assert.throws(() => predictionView({ ...prediction({ id: 'a', model: 'm', version: '1', values: [1] }), outputs: [bad] }), TensorRecordError);
    const v = predictionView({ ...prediction({ id: 'a', model: 'm', version: '1', values: [1] }), inputs: [{ ...fp32Tensor('x', 1, 2, [1, 2]), datatype: 'BF16' }] });
    assert.equal(v.features, undefined);
    assert.match(v.inputProblem!, /datatype "BF16"/);
  });
});
