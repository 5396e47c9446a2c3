/**
 * Drift over the real gRPC ingest against reference profiles built with buildProfile and stored
 * in the versions' manifests (a repository directory): a shifted feature is flagged, the others
 * are not; two of three shifted flag the dataset; a version without a profile is monitored for
 * quality only and the status says why.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildProfile, type ReferenceProfile } from '../../monitor/drift/profile.js';
import { mulberry32, normalSampler } from '../../runtime/random.js';
import type { RecordBatch } from '../../runtime/records.js';
import { metricValue, startTestMonitor, type TestMonitor } from './helpers/monitor.js';
import { publish } from './helpers/publisher.js';
import { prediction, twoClass } from './helpers/records.js';

const FEATURES = ['age', 'income', 'score'];
const WINDOW_ROWS = 500;

function table(rows: number, seed: number, shift: Record<string, number> = {}): number[][] {
  const normal = normalSampler(mulberry32(seed));
  return Array.from({ length: rows }, () => FEATURES.map((f) => normal() + (shift[f] ?? 0)));
}

async function writeManifest(repo: string, model: string, version: string, profile: ReferenceProfile | null): Promise<void> {
  const dir = join(repo, model, version);
  await mkdir(dir, { recursive: true });
  const manifest = {
    name: model,
    version,
    sha256: '0'.repeat(64),
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, FEATURES.length] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
    ...(profile ? { reference_profile: profile } : {}),
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

/** 50 records of 10 rows each. */
function records(version: string, role: string, rows: number[][]): RecordBatch {
  const predictions = [];
  for (let i = 0; i < rows.length; i += 10) {
    const chunk = rows.slice(i, i + 10);
    predictions.push(prediction({ id: `${version}-${i}`, model: 'credit', version, role, features: chunk, probabilities: chunk.map((r) => twoClass(r[0]! > 0 ? 1 : 0)) }));
  }
  return { predictions, feedback: [] };
}

describe('drift over ingest, per version, against the manifest reference profile', () => {
  let m: TestMonitor;
  let repo: string;
  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'switchyard-monitor-drift-'));
    const reference = table(2000, 7);
    const columns = Object.fromEntries(FEATURES.map((f, j) => [f, reference.map((r) => r[j]!)]));
    const profile = buildProfile(columns, { prediction: reference.map((r) => (r[0]! > 0 ? '1' : '0')) });
    // the profile goes through JSON, as it does in a real manifest
    for (const v of ['1', '2']) await writeManifest(repo, 'credit', v, JSON.parse(JSON.stringify(profile)));
    await writeManifest(repo, 'credit', '3', null);
    m = await startTestMonitor({ repository: repo, drift: { countRows: WINDOW_ROWS } });
  });
  after(async () => {
    await m.stop();
    await rm(repo, { recursive: true, force: true });
  });

  it('flags the shifted features of the canary and the dataset, nothing on the stable', async () => {
    await publish(m.grpc, [
      records('1', 'stable', table(WINDOW_ROWS, 11)),
      records('2', 'canary', table(WINDOW_ROWS, 12, { income: 1.5, score: -1 })),
      records('3', 'canary', table(20, 13)),
      records('4', 'shadow', table(20, 14)),
    ]);
    m.monitor.evaluate();
    const status = (await (await fetch(`${m.http}/api/v1/status`)).json()) as any;
    const [v1, v2, v3, v4] = ['1', '2', '3', '4'].map((v) => status.models.credit.versions[v]);

    assert.equal(v1.profile.state, 'loaded');
    assert.equal(v1.drift.count.samples, WINDOW_ROWS);
    for (const f of FEATURES) assert.equal(v1.drift.count.features[f].drift, false, `stable ${f}`);
    assert.equal(v1.dataset_drift, false);

    assert.equal(v2.drift.count.features.age.drift, false);
    assert.equal(v2.drift.count.features.income.drift, true);
    assert.equal(v2.drift.count.features.score.drift, true);
    assert.ok(v2.drift.count.features.income.ks_pvalue < 1e-10);
    assert.ok(v2.drift.count.features.income.psi > 0.5);
    assert.equal(v2.drift.count.drifted_features, 2);
    assert.equal(v2.dataset_drift, true, '2 of 3 features ≥ the profile share 0.5');
    assert.ok(v2.drift.count.prediction, 'the prediction is compared with the profile prediction');
    assert.equal(v2.drift.time.dataset_drift, true, 'the time window holds the same rows');

    assert.equal(v3.profile.state, 'absent');
    assert.match(v3.profile.reason, /no reference_profile/);
    assert.equal(v3.drift.count, null);
    assert.equal(v3.dataset_drift, null);
    assert.equal(v3.samples.predictions, 2, 'still counted for quality');
    assert.equal(v4.profile.state, 'unavailable', 'not in the repository: asked again later');
    assert.equal(v4.role, 'shadow');

    const labels = { model: 'credit', version: '2', window: 'count' };
    assert.equal(await metricValue(m.monitor, 'switchyard_drift_detected', { ...labels, feature: 'income' }), 1);
    assert.equal(await metricValue(m.monitor, 'switchyard_drift_detected', { ...labels, feature: 'age' }), 0);
    assert.equal(await metricValue(m.monitor, 'switchyard_dataset_drift', labels), 1);
    assert.ok((await metricValue(m.monitor, 'switchyard_drift_statistic', { ...labels, feature: 'income', test: 'wasserstein_norm' })) > 1);
    assert.equal(await metricValue(m.monitor, 'switchyard_drift_window_rows', labels), WINDOW_ROWS);
    const text = await (await fetch(`${m.http}/metrics`)).text();
    assert.match(text, /^switchyard_drift_statistic\{model="credit",version="2",.*feature="__prediction__",test="chi2_pvalue"\} 0\.\d+$/m);
  });

  it('keeps the count window to its last rows whatever the traffic', async () => {
    await publish(m.grpc, [records('1', 'stable', table(3 * WINDOW_ROWS, 21))]);
    m.monitor.evaluate();
    const status = m.monitor.status();
    const v1 = status.models.credit!.versions['1']!;
    assert.equal(v1.drift.count!.samples, WINDOW_ROWS);
    assert.equal(v1.samples.drift_rows, 4 * WINDOW_ROWS);
  });
});
