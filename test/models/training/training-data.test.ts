/**
 * A job's data step: rows from the monitor's labeled-data export (over a real socket, with the
 * max_rows limit), merged after the stable's kept training set, trimmed to the newest max_rows,
 * kept by content hash; the precise failures (404, no source, too few rows); and, with a real
 * monitor, retrain after retrain: only the rows labelled since stable's export are taken.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { datasetCsv, datasetHash, parseDatasetCsv, sliceDataset } from '../../../models/training/dataset.js';
import { DEFAULT_SPEC, type TrainingDataSpec } from '../../../models/training/training-config.js';
import { keptDatasetPath, snapshotTrainingData } from '../../../models/training/training-data.js';
import { tabularRows, tempDir } from './helpers.js';
import { startTestMonitor, type TestMonitor } from '../../monitor/helpers/monitor.js';
import { profiledRepository } from '../../monitor/helpers/profiles.js';
import { publish } from '../../monitor/helpers/publisher.js';
import { feedback, prediction, twoClass } from '../../monitor/helpers/records.js';

describe('training data snapshot', () => {
  let server: Server;
  let monitorUrl: string;
  let dataDir: string;
  const requested: string[] = [];
  const exported = tabularRows(120, 21, (x) => (x[2]! > 3 ? 1 : 0));

  before(async () => {
    dataDir = await tempDir('training-data-test');
    server = createServer((req, res) => {
      requested.push(req.url ?? '');
      if (req.url?.startsWith('/api/v1/models/credit/labeled-data')) res.writeHead(200, { 'Content-Type': 'text/csv' }).end(datasetCsv(exported));
      else res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"no labeled data"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    monitorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  const spec = (extra: Partial<TrainingDataSpec> = {}): TrainingDataSpec => ({ ...DEFAULT_SPEC.data, minRows: 50, ...extra });
  const lines: string[] = [];
  const log = (line: string): void => void lines.push(line);

  it('fetches the monitor export, merges the previous training set, trims to max_rows and keeps the result by hash', async () => {
    const first = await snapshotTrainingData({ model: 'credit', spec: spec(), monitorUrl, dataDir, log });
    assert.equal(first.data.rows, 120);
    assert.equal(first.source, `${monitorUrl}/api/v1/models/credit/labeled-data`);
    assert.equal(first.hash, datasetHash(exported));
    assert.equal(await readFile(keptDatasetPath(dataDir, first.hash), 'utf8'), datasetCsv(exported));

    const merged = await snapshotTrainingData({ model: 'credit', spec: spec({ maxRows: 200 }), monitorUrl, previousHash: first.hash, dataDir, log });
    assert.equal(requested.at(-1), '/api/v1/models/credit/labeled-data?limit=200');
    assert.equal(merged.data.rows, 200, 'the newest 200 of 120 previous + 120 new rows');
    assert.equal(merged.previousRows, 80);
    assert.deepEqual(sliceDataset(merged.data, 80, 200).labels, exported.labels, 'the new rows come last');
    assert.deepEqual(parseDatasetCsv(await readFile(merged.path, 'utf8'), merged.path).labels, merged.data.labels);

    const unmerged = await snapshotTrainingData({ model: 'credit', spec: spec({ mergePrevious: false }), monitorUrl, previousHash: first.hash, dataDir, log });
    assert.equal(unmerged.data.rows, 120);
    const unknownPrevious = await snapshotTrainingData({ model: 'credit', spec: spec(), monitorUrl, previousHash: 'a'.repeat(64), dataDir, log });
    assert.equal(unknownPrevious.data.rows, 120);
    assert.match(lines.join('\n'), /training set a{64} is not kept here/);
  });

  it('fails precisely: no labeled data yet, no monitor configured, no source at all, too few rows', async () => {
    await assert.rejects(snapshotTrainingData({ model: 'other', spec: spec(), monitorUrl, dataDir, log }), /the monitor has no labeled data for model 'other' yet \(404/);
    await assert.rejects(snapshotTrainingData({ model: 'credit', spec: spec(), dataDir, log }), /no monitor URL \(switchyard registry --monitor/);
    await assert.rejects(snapshotTrainingData({ model: 'credit', spec: spec({ monitor: false }), dataDir, log }), /has no data source/);
    await assert.rejects(snapshotTrainingData({ model: 'credit', spec: spec({ minRows: 500 }), monitorUrl, dataDir, log }), /not enough labeled data: 120 row\(s\) from .*, fewer than min_rows 500/);
    await assert.rejects(snapshotTrainingData({ model: 'credit', spec: spec(), dataset: '/nonexistent/x.csv', dataDir, log }), /cannot read the dataset \/nonexistent\/x\.csv \(ENOENT\)/);
  });
});

describe('training data from a real monitor, one retrain after another', () => {
  let m: TestMonitor;
  let repo: Awaited<ReturnType<typeof profiledRepository>>;
  let dataDir: string;
  const lines: string[] = [];
  const log = (line: string): void => void lines.push(line);
  const spec: TrainingDataSpec = { ...DEFAULT_SPEC.data, minRows: 1 };

  before(async () => {
    dataDir = await tempDir('training-data-monitor');
    repo = await profiledRepository('churn', ['1']);
    m = await startTestMonitor({ repository: repo.dir });
  });
  after(async () => {
    await m.stop();
    await repo.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Predictions `from`..`to - 1` (one sampled row each: [i, i + 0.5, -i]) and labels for those in `labelled`. */
  async function traffic(from: number, to: number, labelled: number[]): Promise<void> {
    const predictions = Array.from({ length: to - from }, (_, k) => prediction({ id: `r${from + k}`, model: 'churn', version: '1', features: [[from + k, from + k + 0.5, -(from + k)]], probabilities: [twoClass(k % 2)] }));
    await publish(m.grpc, [{ predictions, feedback: [] }, { predictions: [], feedback: labelled.map((i) => feedback(`r${i}`, 'churn', [i % 2])) }]);
  }
  const firstColumn = (data: { features: Float32Array; rows: number }): number[] => Array.from({ length: data.rows }, (_, r) => data.features[r * 3]!);

  it("merges stable's training set with only the rows labelled since its export: no example twice, none of the holdout also trained on", async () => {
    await traffic(0, 10, [0, 1, 2, 3, 4, 5]);
    const first = await snapshotTrainingData({ model: 'churn', spec, monitorUrl: m.http, dataDir, log });
    assert.deepEqual(firstColumn(first.data), [0, 1, 2, 3, 4, 5]);
    assert.match(first.cursor ?? '', /^[0-9a-f]+\.6$/, 'the export reached row 6');

    await traffic(10, 12, [6, 7, 8, 9, 10, 11]);
    const second = await snapshotTrainingData({ model: 'churn', spec, monitorUrl: m.http, previousHash: first.hash, previousCursor: first.cursor!, dataDir, log });
    assert.deepEqual(firstColumn(second.data), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'the 6 kept rows, then the 6 labelled since');
    assert.equal(second.previousRows, 6);
    assert.match(second.source, /labeled-data\?after=[0-9a-f]+\.6$/);
    assert.match(second.cursor ?? '', /^[0-9a-f]+\.12$/);

    // a stable without a cursor in its lineage (trained before cursors): the whole export, as before
    const uncursored = await snapshotTrainingData({ model: 'churn', spec, monitorUrl: m.http, previousHash: first.hash, dataDir, log });
    assert.equal(uncursored.data.rows, 18);

    // nothing labelled since: a retrain would only repeat the last one
    await assert.rejects(
      snapshotTrainingData({ model: 'churn', spec, monitorUrl: m.http, previousHash: second.hash, previousCursor: second.cursor!, dataDir, log }),
      /the monitor has no labeled data for model 'churn' since stable's training set \(404 from .*after=/,
    );
    // rows the cursor does not name (the monitor restarted since): all of them are new
    const restarted = await snapshotTrainingData({ model: 'churn', spec, monitorUrl: m.http, previousHash: second.hash, previousCursor: 'abcdef.12', dataDir, log });
    assert.equal(restarted.data.rows, 12 + 12);
  });
});
