/** Sliding windows: memory bounded whatever the traffic, counts exact, streaming = offline on the same data. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countNumericBins } from '../../../monitor/drift/bins.js';
import { readCsv } from '../../../monitor/drift/csv.js';
import { compareTables, parseNumber } from '../../../monitor/drift/offline.js';
import { buildProfile, type NumericFeatureProfile } from '../../../monitor/drift/profile.js';
import { VersionDriftWindows } from '../../../monitor/drift/version-windows.js';
import { CountWindow, TimeWindow } from '../../../monitor/drift/window.js';
import { sequence } from './close.js';
import { FIXTURES } from './fixtures.js';

const numeric = buildProfile({ x: sequence(1000, 7919, 10007) }).features.x as NumericFeatureProfile;
const categorical = buildProfile({ c: ['a', 'b', 'b', 'c'] }).features.c!;
const MILLION = 1_000_000;

describe('CountWindow', () => {
  it('holds the last N of 1e6 numeric values, bins in step', () => {
    const window = new CountWindow(numeric, 1000);
    const value = (i: number): number => ((i * 7919) % 10007) / 10007 + (i >= MILLION - 1000 ? 0.3 : 0);
    for (let i = 0; i < MILLION; i++) window.push(value(i));
    assert.equal(window.retained, 1000);
    const sample = window.sample();
    assert.equal(sample.count, 1000);
    assert.equal(sample.values!.length, 1000);
    const last = Float64Array.from({ length: 1000 }, (_, k) => value(MILLION - 1000 + k));
    assert.deepEqual(Array.from(sample.values!).sort(), Array.from(last).sort());
    assert.deepEqual(Array.from(sample.binCounts), Array.from(countNumericBins(numeric.edges, last)));
  });

  it('holds the last N of 1e6 categorical values as bin counts', () => {
    const window = new CountWindow(categorical, 10);
    for (let i = 0; i < MILLION; i++) window.push(i % 2 ? 'b' : 'zzz');
    for (let i = 0; i < 3; i++) window.push('a');
    assert.equal(window.retained, 10);
    const sample = window.sample();
    assert.equal(sample.values, undefined);
    // bins: categories ['b', 'a', 'c'], then "other"; the last 10 values: i = 999 993 … 999 999
    // (odd i: 'b' ×4, even i: 'zzz' → other ×3), then 'a' ×3
    assert.deepEqual(Array.from(sample.binCounts), [4, 3, 0, 3]);
  });

  it('counts and skips values a numeric feature cannot take', () => {
    const window = new CountWindow(numeric, 5);
    for (const v of [1, NaN, 'x', Infinity, 2]) window.push(v);
    assert.deepEqual([window.retained, window.rejected], [2, 3]);
  });
});

describe('TimeWindow', () => {
  const options = { spanMs: 60_000, buckets: 6, sampleSize: 600 };

  it('keeps at most sampleSize raw values and counts only the last span, over 1e6 values', () => {
    const window = new TimeWindow(numeric, options);
    // 1e6 values over 10 minutes: 100 000 per minute
    for (let i = 0; i < MILLION; i++) window.push(((i * 7919) % 10007) / 10007, i * 0.6);
    assert.ok(window.retained <= options.sampleSize, `retained ${window.retained}`);
    const now = (MILLION - 1) * 0.6; // the last value's time
    const sample = window.sample(now);
    // buckets of 10 s, the current one included: the 6 live ones cover [540 000, 600 000) ms, the last 100 000 values
    assert.equal(sample.count, 100_000);
    assert.equal(Array.from(sample.binCounts).reduce((a, b) => a + b, 0), 100_000);
    assert.equal(sample.values!.length, options.sampleSize);
    // a minute later everything has expired
    assert.equal(window.sample(now + 60_000).count, 0);
  });

  it('samples buckets in proportion to their counts and drops records older than the window', () => {
    const window = new TimeWindow(numeric, options);
    for (let i = 0; i < 900; i++) window.push(0.1, 1_000); // bucket 0: 900 values
    for (let i = 0; i < 100; i++) window.push(0.9, 11_000); // bucket 1: 100 values
    window.push(0.5, 100_000); // bucket 10 reuses slot 4
    window.push(0.5, 40_000); // bucket 4: older than the slot's current bucket, dropped
    const sample = window.sample(50_000);
    assert.equal(sample.count, 1000);
    // bucket 0 keeps 100 of its 900 values (600 / 6 per bucket), so the merged sample has 111 values: 100 + 11
    const values = Array.from(sample.values!);
    assert.deepEqual([values.length, values.filter((v) => v === 0.9).length], [111, 11]);
    assert.equal(window.sample(100_000).count, 1);
  });
});

describe('VersionDriftWindows', () => {
  it('bounds memory per (version, feature) whatever the traffic', () => {
    const profile = buildProfile({ x: sequence(1000, 7919, 10007), c: ['a', 'b'] }, { prediction: [0, 1] });
    const windows = new VersionDriftWindows({ kind: 'count', size: 200 });
    windows.track('1', profile);
    for (let i = 0; i < 100_000; i++) windows.record('1', { x: (i % 97) / 97, c: i % 3 ? 'a' : 'b' }, i % 2);
    assert.equal(windows.retained('1'), 3 * 200);
    assert.equal(windows.record('2', { x: 1 }), false);
    const report = windows.report('1')!;
    assert.deepEqual(Object.keys(report.features), ['x', 'c']);
    assert.ok(report.prediction);
    windows.untrack('1');
    assert.equal(windows.report('1'), undefined);
  });

  it('gives the offline numbers when the windows hold the whole current file', async () => {
    const [reference, current] = await Promise.all([readCsv(`${FIXTURES}/reference.csv`), readCsv(`${FIXTURES}/current.csv`)]);
    const offline = compareTables(reference, current);
    // the profile the monitor would store: the same columns, typed the same way; 300 rows fit the 5000-value sample
    const columns = Object.fromEntries(
      offline.columns.map(({ name, kind }) => {
        const i = reference.header.indexOf(name);
        const cells = reference.rows.map((r) => r[i]!).filter((c) => c !== '');
        return [name, kind === 'numeric' ? cells.map((c) => parseNumber(c)!) : cells];
      }),
    );
    const windows = new VersionDriftWindows({ kind: 'time', spanMs: 3_600_000, buckets: 12, sampleSize: 5000 });
    windows.track('3', buildProfile(columns));
    current.rows.forEach((row, r) => {
      const record: Record<string, number | string | null> = {};
      current.header.forEach((name, i) => {
        const kind = offline.columns.find((c) => c.name === name)!.kind;
        record[name] = row[i] === '' ? null : kind === 'numeric' ? parseNumber(row[i]!)! : row[i]!;
      });
      windows.record('3', record, undefined, 1_000_000 + r * 1000);
    });
    const streaming = windows.report('3', 1_300_000)!;
    assert.deepEqual(streaming.features, offline.features);
    assert.equal(streaming.drift, offline.drift);
  });
});

describe('window options are validated once', () => {
  it('refuses sizes that are not positive integers', () => {
    assert.throws(() => new VersionDriftWindows({ kind: 'count', size: 0 }), /size must be a positive integer/);
    assert.throws(() => new VersionDriftWindows({ kind: 'time', spanMs: 0, buckets: 1, sampleSize: 1 }), /span must be positive/);
    assert.throws(() => new CountWindow(numeric, 1.5), /positive integer/);
  });
});
