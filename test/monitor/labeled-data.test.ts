/**
 * GET /api/v1/models/{model}/labeled-data: predictions with sampled inputs, once labelled, become
 * dataset CSV rows — primary path only (stable, canary), in join order, bounded per model.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseDatasetCsv } from '../../models/training/dataset.js';
import type { RecordBatch } from '../../runtime/records.js';
import { metricValue, startTestMonitor, type TestMonitor } from './helpers/monitor.js';
import { FEATURES, profiledRepository } from './helpers/profiles.js';
import { publish } from './helpers/publisher.js';
import { feedback, prediction, twoClass } from './helpers/records.js';

const CAPACITY = 6;

describe('labelled rows export', () => {
  let m: TestMonitor;
  let repo: Awaited<ReturnType<typeof profiledRepository>>;
  before(async () => {
    repo = await profiledRepository('churn', ['1', '2', '3']);
    m = await startTestMonitor({ repository: repo.dir, labels: { trainingRows: CAPACITY } });
  });
  after(async () => {
    await m.stop();
    await repo.remove();
  });

  const get = (path: string): Promise<Response> => fetch(`${m.http}/api/v1/models/${path}`);

  it('serves labelled stable and canary rows in join order, named by the reference profile; shadows and unsampled requests are not examples', async () => {
    const predictions: RecordBatch = { feedback: [], predictions: [
      prediction({ id: 'a', model: 'churn', version: '1', role: 'stable', features: [[1, 2, 3]], probabilities: [twoClass(1)] }),
      // the shadow copy of request a (same id): its own version, never a second example
      prediction({ id: 'a', model: 'churn', version: '3', role: 'shadow', features: [[1, 2, 3]], probabilities: [twoClass(0)] }),
      prediction({ id: 'b', model: 'churn', version: '2', role: 'canary', features: [[4, 5.5, 6], [7, 8, 9.25]], probabilities: [twoClass(0), twoClass(1)] }),
      prediction({ id: 'c', model: 'churn', version: '1', role: 'stable', probabilities: [twoClass(1)] }), // inputs not sampled
      prediction({ id: 'd', model: 'churn', version: '1', role: 'stable', features: [[-1, 0.5, 0]], probabilities: [twoClass(0)] }),
      prediction({ id: 'e', model: 'churn', version: '3', role: 'shadow', features: [[9, 9, 9]], probabilities: [twoClass(0)] }),
    ] };
    const labels: RecordBatch = { predictions: [], feedback: [feedback('b', 'churn', [1, 0]), feedback('a', 'churn', [0]), feedback('c', 'churn', [1]), feedback('d', 'churn', [1]), feedback('e', 'churn', [1])] };
    await publish(m.grpc, [predictions, labels]);

    const res = await get('churn/labeled-data');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/csv/);
    assert.equal(res.headers.get('x-switchyard-rows'), '4');
    const text = await res.text();
    assert.equal(text, `${FEATURES.join(',')},label\n4,5.5,6,1\n7,8,9.25,0\n1,2,3,0\n-1,0.5,0,1\n`);
    const data = parseDatasetCsv(text, 'export');
    assert.deepEqual([...data.labels], [1, 0, 0, 1]);

    const newest = await get('churn/labeled-data?limit=2');
    assert.equal(newest.headers.get('x-switchyard-rows'), '2');
    assert.equal(await newest.text(), `${FEATURES.join(',')},label\n1,2,3,0\n-1,0.5,0,1\n`);
    assert.equal((await get('churn/labeled-data?limit=100')).headers.get('x-switchyard-rows'), '4');
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_training_rows', { model: 'churn' }), 4);

    // a cursor says where an answer ended: after it, only rows labelled since
    const cursor = res.headers.get('x-switchyard-cursor')!;
    assert.match(cursor, /^[0-9a-f]+\.4$/);
    const none = await get(`churn/labeled-data?after=${cursor}`);
    assert.equal(none.status, 404);
    assert.match(((await none.json()) as { error: string }).error, /no labelled rows for model 'churn' since cursor/);
    const bad = await get('churn/labeled-data?after=yesterday');
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /after must be the X-Switchyard-Cursor of an earlier answer \("<id>\.<n>"\), got 'yesterday'/);
  });

  it('keeps the newest rows per model up to its capacity, counting the evicted, with x0.. names without a profile', async () => {
    const predictions = Array.from({ length: 9 }, (_, i) => prediction({ id: `r${i}`, model: 'bounded', version: '1', features: [[i, -i]], probabilities: [twoClass(i % 2)] }));
    const labels = predictions.map((p, i) => feedback(p.id, 'bounded', [i % 2]));
    await publish(m.grpc, [{ predictions, feedback: labels }]);
    const res = await get('bounded/labeled-data');
    assert.equal(res.headers.get('x-switchyard-rows'), String(CAPACITY));
    const data = parseDatasetCsv(await res.text(), 'export');
    assert.deepEqual(data.featureNames, ['x0', 'x1']);
    assert.deepEqual([...data.features], [3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8]);
    assert.deepEqual([...data.labels], [1, 0, 1, 0, 1, 0]);
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_training_rows_evicted_total', { model: 'bounded' }), 9 - CAPACITY);
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_training_rows', { model: 'bounded' }), CAPACITY);
  });

  it('answers 404 for a model without labelled rows, saying what is needed, and 400 for a bad limit', async () => {
    const missing = await get('nothing/labeled-data');
    assert.equal(missing.status, 404);
    const body = (await missing.json()) as { error: string };
    assert.match(body.error, /no labelled rows for model 'nothing'.*inputs sampled.*feedback/);
    for (const limit of ['0', '-1', 'abc', '1.5', '']) {
      const res = await get(`churn/labeled-data?limit=${limit}`);
      assert.equal(res.status, 400, `limit=${limit}`);
      assert.match(((await res.json()) as { error: string }).error, new RegExp(`limit must be a positive integer \\(the newest N rows\\), got '${limit}'`));
    }
  });
});
