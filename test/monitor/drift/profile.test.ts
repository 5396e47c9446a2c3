/** The reference profile: numpy-equal quantile bins, bounded seeded sample, categories, frozen thresholds. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseCsv } from '../../../monitor/drift/csv.js';
import { DEFAULT_THRESHOLDS, buildProfile, type CategoricalFeatureProfile, type NumericFeatureProfile } from '../../../monitor/drift/profile.js';
import { compareFeature, currentSample } from '../../../monitor/drift/report.js';
import { assertMatches, sequence } from './close.js';
import { FIXTURES } from './fixtures.js';

async function referenceColumn(name: string): Promise<number[]> {
  const table = parseCsv(await readFile(`${FIXTURES}/reference.csv`, 'utf8'), 'reference.csv');
  const i = table.header.indexOf(name);
  return table.rows.map((r) => r[i]!).filter((c) => c !== '').map(Number);
}

describe('buildProfile, numeric features', () => {
  // numpy: np.unique(np.quantile(v, np.arange(1, 10) / 10)), np.bincount(np.searchsorted(edges, v, 'right')), v.mean(), v.std()
  it('puts bin edges at numpy.quantile (linear) deciles, duplicates dropped', async () => {
    const age = buildProfile({ age: await referenceColumn('age') }).features.age as NumericFeatureProfile;
    assert.deepEqual(age.edges, [26.0, 31.800000000000004, 35.0, 38.0, 40.0, 42.0, 46.0, 48.0, 52.0]);
    assert.deepEqual(age.binCounts, [28, 32, 29, 28, 25, 28, 36, 26, 33, 35]);
    assertMatches(age.mean, 39.843333333333334, 'mean');
    assertMatches(age.std, 10.065392303443627, 'std (ddof 0)');

    const income = buildProfile({ income: await referenceColumn('income') }).features.income as NumericFeatureProfile;
    const expected = [20395.822, 25341.362, 29532.178, 34454.628000000004, 39001.18, 43870.84, 49854.88199999999, 56606.794, 67599.91];
    expected.forEach((e, i) => assertMatches(income.edges[i], e, `income edge ${i}`));
    assert.deepEqual(income.binCounts, [30, 30, 30, 30, 29, 30, 30, 30, 30, 30]);
  });

  it('keeps a sorted, seeded sample of at most sampleSize values', () => {
    const values = sequence(20_000, 7919, 10007);
    const a = buildProfile({ x: values }, { sampleSize: 500, seed: 7 }).features.x as NumericFeatureProfile;
    const b = buildProfile({ x: values }, { sampleSize: 500, seed: 7 }).features.x as NumericFeatureProfile;
    const c = buildProfile({ x: values }, { sampleSize: 500, seed: 8 }).features.x as NumericFeatureProfile;
    assert.equal(a.sample.length, 500);
    assert.deepEqual(a.sample, b.sample);
    assert.notDeepEqual(a.sample, c.sample);
    assert.deepEqual(a.sample, [...a.sample].sort((x, y) => x - y));
    const input = new Set(values);
    assert.ok(a.sample.every((v) => input.has(v)));
    assert.equal(a.count, 20_000);
    // a uniform sample of a uniform sequence: its mean is close to 1/2
    assert.ok(Math.abs(a.sample.reduce((s, v) => s + v, 0) / 500 - 0.5) < 0.05);
  });

  it('makes a constant column two bins, and refuses empty or non-finite columns', () => {
    const constant = buildProfile({ x: [3, 3, 3] }).features.x as NumericFeatureProfile;
    assert.deepEqual([constant.edges, constant.binCounts], [[3], [0, 3]]);
    assert.throws(() => buildProfile({ x: [] }), /feature 'x' has no reference values/);
    assert.throws(() => buildProfile({ x: [1, NaN] }), /feature 'x': reference value 1 is NaN/);
  });
});

describe('buildProfile, categorical features', () => {
  it('keeps the most frequent categories first, ties in code-point order, the rest in "other"', () => {
    const column = ['b', 'a', 'c', 'a', 'b', 'd', 'a', 'e'];
    const f = buildProfile({ c: column }, { maxCategories: 3 }).features.c as CategoricalFeatureProfile;
    assert.deepEqual(f.categories, ['a', 'b', 'c']);
    assert.deepEqual(f.binCounts, [3, 2, 1, 2]);
  });

  it('treats declared numeric columns as categories', () => {
    const f = buildProfile({ store: [1, 2, 2] }, { categorical: ['store'] }).features.store!;
    assert.equal(f.kind, 'categorical');
    assert.deepEqual((f as CategoricalFeatureProfile).categories, ['2', '1']);
  });
});

describe('profile thresholds and storage', () => {
  it('freezes the thresholds into every feature, with overrides', () => {
    const profile = buildProfile({ x: [1, 2, 3], c: ['a'] }, { thresholds: { ksPValue: 0.01 }, datasetDriftShare: 0.3 });
    assert.deepEqual(profile.features.x!.thresholds, { ...DEFAULT_THRESHOLDS, ksPValue: 0.01 });
    assert.equal(profile.features.c!.thresholds, profile.features.x!.thresholds);
    assert.ok(Object.isFrozen(profile) && Object.isFrozen(profile.features.x) && Object.isFrozen(profile.features.x!.thresholds));
    assert.equal(profile.datasetDriftShare, 0.3);
  });

  it('survives a JSON round trip with the same results', () => {
    const profile = buildProfile({ x: sequence(3000, 37, 101), c: ['a', 'b', 'b'] }, { prediction: [0, 1, 1, 0] });
    const stored = JSON.parse(JSON.stringify(profile)) as typeof profile;
    const current = sequence(500, 53, 103, 0.05);
    for (const p of [profile, stored]) assert.equal(p.prediction?.kind, 'numeric');
    assert.deepEqual(
      compareFeature(stored.features.x!, currentSample(stored.features.x!, current)),
      compareFeature(profile.features.x!, currentSample(profile.features.x!, current)),
    );
  });
});
