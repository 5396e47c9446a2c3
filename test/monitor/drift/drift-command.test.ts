/**
 * `switchyard drift` end to end on test/fixtures/drift/{reference,current}.csv: every number equal
 * to SciPy 1.10.1's on the same samples and bins (ks_2samp, wasserstein_distance,
 * jensenshannon(base=2), chisquare) to a relative 1e-6 — see close.ts — and PSI to the documented
 * formula. Expected values: the `expected.py` snippet in test/fixtures/drift/README.md.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { driftJson, formatNumber } from '../../../cli/drift-command.js';
import { parseCsv } from '../../../monitor/drift/csv.js';
import { compareTables } from '../../../monitor/drift/offline.js';
import { assertMatches } from './close.js';
import { FIXTURES, REPO_ROOT } from './fixtures.js';

const RUNNER = join(REPO_ROOT, 'dist/test/monitor/drift/drift-cli.js');
const MAIN = join(REPO_ROOT, 'dist/cli/main.js');
const REF = join(FIXTURES, 'reference.csv');
const CUR = join(FIXTURES, 'current.csv');

function run(entry: string[], args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...entry, ...args], { encoding: 'utf8', cwd: REPO_ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Expected = Record<string, number>;
const EXPECTED: Record<string, Expected> = {
  age: { psi: 0.20594496499324128, ks_stat: 0.14666666666666667, ks_pvalue: 0.010600491354394916, js: 0.19011280380291806, wasserstein: 3.293333333333334, wasserstein_norm: 0.3271937381125821 },
  income: { psi: 0.07625057936493304, ks_stat: 0.08236208236208237, ks_pvalue: 0.368197029589636, js: 0.11679017151138042, wasserstein: 2793.8857151785414, wasserstein_norm: 0.14488254765275385 },
  score: { psi: 0.05104582714818026, ks_stat: 0.075, ks_pvalue: 0.49346738086680964, js: 0.09528675348920636, wasserstein: 0.03159883333333333, wasserstein_norm: 0.11012622561899649 },
  city: { psi: 0.09641108941593493, js: 0.13090580903423518, chi2: 24.659999999999997, chi2_pvalue: 1.818580728161481e-5 },
  // PSI by hand: free 208/300 → 138/200, pro 92/300 → 62/200 ("other" empty on both sides adds 0):
  // (0.69 - 0.693333)·ln(0.69 / 0.693333) + (0.31 - 0.306667)·ln(0.31 / 0.306667) = 5.2101e-5
  plan: { psi: 5.210067513388283e-5, js: 0.0030652306201096914, chi2: 0.010451505016722692, chi2_pvalue: 0.9185720502543823 },
  store: { psi: 0.29075580896112685, ks_stat: 0.23, ks_pvalue: 5.0252327901751346e-6, js: 0.22580334899001114, wasserstein: 0.555, wasserstein_norm: 0.4901215595991929 },
};
const EXPECTED_DRIFT: Record<string, boolean> = { age: true, income: false, score: false, city: true, plan: false, store: true };
const NUMERIC_KEYS = ['psi', 'ks_stat', 'ks_pvalue', 'js', 'wasserstein', 'wasserstein_norm', 'drift'];
const CATEGORICAL_KEYS = ['psi', 'ks_stat', 'ks_pvalue', 'js', 'wasserstein', 'wasserstein_norm', 'chi2', 'chi2_pvalue', 'drift'];

function checkJson(stdout: string): void {
  const out = JSON.parse(stdout) as Record<string, Record<string, number | boolean | null>>;
  assert.deepEqual(Object.keys(out), Object.keys(EXPECTED));
  for (const [feature, expected] of Object.entries(EXPECTED)) {
    const got = out[feature]!;
    const categorical = 'chi2' in expected;
    assert.deepEqual(Object.keys(got), categorical ? CATEGORICAL_KEYS : NUMERIC_KEYS, `${feature}: keys`);
    for (const [key, value] of Object.entries(expected)) assertMatches(got[key] as number, value, `${feature}.${key}`);
    if (categorical) for (const key of ['ks_stat', 'ks_pvalue', 'wasserstein', 'wasserstein_norm']) assert.equal(got[key], null, `${feature}.${key}`);
    assert.equal(got.drift, EXPECTED_DRIFT[feature], `${feature}.drift`);
  }
}

// Runs through the test runner always, and through cli/main.ts once `drift` is registered there.
const registered = run([MAIN], ['drift', '--help']).status === 0;
const entries: [string, string[], { skip?: string }][] = [
  ['driftCommand', [RUNNER], {}],
  ['switchyard drift', [MAIN, 'drift'], registered ? {} : { skip: "'drift' is not registered in cli/main.ts yet" }],
];

for (const [label, entry, options] of entries) {
  describe(`${label} on the fixture CSVs`, options, () => {
    it('--json equals SciPy on every column', () => {
      const r = run(entry, ['--reference', REF, '--current', CUR, '--json']);
      assert.equal(r.status, 0, r.stderr);
      checkJson(r.stdout);
    });

    it('--categorical turns a numeric-looking column into categories', () => {
      const r = run(entry, ['-r', REF, '-c', CUR, '--json', '--categorical', 'store']);
      assert.equal(r.status, 0, r.stderr);
      const store = JSON.parse(r.stdout).store;
      assertMatches(store.chi2, 49.38277238792992, 'store.chi2');
      assertMatches(store.chi2_pvalue, 1.081276315360933e-10, 'store.chi2_pvalue');
      assertMatches(store.js, 0.22580334899001117, 'store.js');
      assert.equal(store.ks_stat, null);
    });

    it('prints an aligned table by default, with the dataset drift', () => {
      const r = run(entry, ['--reference', REF, '--current', CUR]);
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^feature\s+kind\s+n_ref\s+n_cur\s+psi\s+ks_stat\s+ks_pvalue\s+js\s+wasserstein\s+wass_norm\s+chi2\s+chi2_pvalue\s+drift$/);
      assert.match(lines[1]!, /^age\s+numeric\s+300\s+200\s+0\.2059\s+0\.1467\s+0\.0106\s+0\.1901\s+3\.293\s+0\.3272\s+-\s+-\s+DRIFT$/);
      assert.match(lines[2]!, /^income\s+numeric\s+299\s+198\s/);
      assert.match(lines[4]!, /^city\s+categorical\s+300\s+200\s+0\.09641\s+-\s+-\s+0\.1309\s+-\s+-\s+24\.66\s+1\.819e-5\s+DRIFT$/);
      // right-aligned numbers: every row ends its psi column where the header does
      const psiEnd = lines[0]!.indexOf('psi') + 3;
      for (const line of lines.slice(1, 7)) assert.match(line.slice(psiEnd - 1, psiEnd + 1), /\d /);
      assert.equal(lines.at(-1), 'dataset drift: YES (3 of 6 features drifted, 50%; threshold 50%)');
    });

    it('exits non-zero naming the file, line and column of bad input', () => {
      const missing = run(entry, ['--reference', REF, '--current', join(FIXTURES, 'missing.csv')]);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /missing\.csv: cannot read \(no such file\)/);

      const usage = run(entry, ['--reference', REF]);
      assert.equal(usage.status, 1);
      assert.match(usage.stderr, /--reference and --current are both required/);

      const unknown = run(entry, ['--reference', REF, '--current', CUR, '--frobnicate']);
      assert.equal(unknown.status, 1);
      assert.match(unknown.stderr, /frobnicate/);

      // the reference as current with a numeric column given text: line 3 of a current file
      const bad = run(entry, ['--reference', REF, '--current', join(FIXTURES, 'bad-current.csv')]);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /bad-current\.csv:3: column 1 \('age'\): expected a number, as in the reference, got 'forty'/);
    });
  });
}

describe('drift output formats', () => {
  it('writes an infinite chi-squared (a category the reference never had) as "Infinity" in JSON', () => {
    const result = compareTables(parseCsv('c\na\nb\n', 'ref.csv'), parseCsv('c\na\nz\n', 'cur.csv'));
    const c = JSON.parse(driftJson(result)).c;
    assert.deepEqual([c.chi2, c.chi2_pvalue, c.drift, c.ks_stat], ['Infinity', 0, true, null]);
  });

  it('formats table numbers to four significant digits', () => {
    assert.deepEqual(
      [0.24079456, 2793.8857, 1.8185807e-5, 0, null, Infinity, NaN, 1e7].map(formatNumber),
      ['0.2408', '2794', '1.819e-5', '0', '-', 'inf', 'nan', '1.000e+7'],
    );
  });
});
