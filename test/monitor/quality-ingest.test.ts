/**
 * Acceptance 3: feedback for 1,000 predictions, 80% of them labelled with the predicted class,
 * gives accuracy 0.80 for that version — over the real gRPC ingest, with stable and canary
 * reported separately (the canary's own 1,000 requests labelled 70% right).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RecordBatch } from '../../runtime/records.js';
import { metricValue, startTestMonitor, type TestMonitor } from './helpers/monitor.js';
import { feedback, prediction, twoClass } from './helpers/records.js';
import { publish } from './helpers/publisher.js';

const N = 1000;

/** N predictions of a version, then labels: the predicted class for the first `correct` of every 10, the other class for the rest. */
function traffic(version: string, role: string, correctOf10: number): { predictions: RecordBatch; labels: RecordBatch } {
  const predictions: RecordBatch = { predictions: [], feedback: [] };
  const labels: RecordBatch = { predictions: [], feedback: [] };
  for (let i = 0; i < N; i++) {
    const predicted = i % 2;
    const id = `${role}-${i}`;
    predictions.predictions.push(prediction({ id, model: 'churn', version, role, probabilities: [twoClass(predicted)] }));
    labels.feedback.push(feedback(id, 'churn', [i % 10 < correctOf10 ? predicted : 1 - predicted]));
  }
  return { predictions, labels };
}

function chunks(batch: RecordBatch, size: number): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let i = 0; i < Math.max(batch.predictions.length, batch.feedback.length); i += size) {
    out.push({ predictions: batch.predictions.slice(i, i + size), feedback: batch.feedback.slice(i, i + size) });
  }
  return out;
}

describe('quality from delayed labels over gRPC ingest', () => {
  let m: TestMonitor;
  before(async () => {
    m = await startTestMonitor();
  });
  after(() => m.stop());

  it('gives accuracy 0.80 for stable and 0.70 for canary, reported separately', async () => {
    const stable = traffic('1', 'stable', 8);
    const canary = traffic('2', 'canary', 7);
    const ack = await publish(m.grpc, [...chunks(stable.predictions, 100), ...chunks(canary.predictions, 100), ...chunks(stable.labels, 250), ...chunks(canary.labels, 250)]);
    assert.equal(ack.records, 4 * N);
    m.monitor.evaluate();

    const res = await fetch(`${m.http}/api/v1/status`);
    assert.equal(res.status, 200);
    const status = (await res.json()) as any;
    const v1 = status.models.churn.versions['1'];
    const v2 = status.models.churn.versions['2'];
    assert.equal(v1.role, 'stable');
    assert.equal(v2.role, 'canary');
    for (const [v, accuracy] of [[v1, 0.8], [v2, 0.7]] as const) {
      assert.equal(v.quality.kind, 'classifier');
      assert.equal(v.quality.count.samples, N);
      assert.equal(v.quality.count.accuracy, accuracy);
      assert.equal(v.quality.time.accuracy, accuracy, 'the time window holds the same labels');
      assert.equal(v.samples.predictions, N);
      assert.equal(v.samples.labelled_rows, N);
      // no reference profile source: quality only, and the status says why
      assert.equal(v.profile.state, 'absent');
      assert.match(v.profile.reason, /no profile source/);
      assert.equal(v.drift.count, null);
    }
    // every row is predicted 0.9 on its predicted class: log loss = 0.8·(−ln 0.9) + 0.2·(−ln 0.1)
    assert.ok(Math.abs(v1.quality.count.log_loss - (0.8 * -Math.log(0.9) + 0.2 * -Math.log(0.1))) < 1e-6);

    assert.equal(await metricValue(m.monitor, 'switchyard_quality_accuracy_ratio', { model: 'churn', version: '1', window: 'count' }), 0.8);
    assert.equal(await metricValue(m.monitor, 'switchyard_quality_accuracy_ratio', { model: 'churn', version: '2', window: 'count' }), 0.7);
    assert.equal(await metricValue(m.monitor, 'switchyard_label_join_total', { outcome: 'joined' }), 2 * N);
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_records_total', { kind: 'prediction', transport: 'grpc' }), 2 * N);
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_records_total', { kind: 'feedback', transport: 'grpc' }), 2 * N);
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_lag_seconds_count', { transport: 'grpc' }), 4 * N);

    const text = await (await fetch(`${m.http}/metrics`)).text();
    assert.match(text, /switchyard_quality_accuracy_ratio\{model="churn",version="1",window="count"\} 0\.8/);
    assert.match(text, /switchyard_quality_accuracy_ratio\{model="churn",version="2",window="time"\} 0\.7\n/);
    // canary, per 10 requests: 3 TP (class 1), 4 TN, 2 FP, 1 FN → F1(1) = 6/9, F1(0) = 8/11
    assert.equal(await metricValue(m.monitor, 'switchyard_quality_f1_ratio', { model: 'churn', version: '2', window: 'count', average: 'binary' }), 6 / 9);
    assert.ok(Math.abs((await metricValue(m.monitor, 'switchyard_quality_f1_ratio', { model: 'churn', version: '2', window: 'count', average: 'macro' })) - (6 / 9 + 8 / 11) / 2) < 1e-12);
  });
});
