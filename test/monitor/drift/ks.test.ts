/**
 * Two-sample KS against SciPy 1.10.1's ks_2samp (method='auto', two-sided) and the pieces of its
 * p-value: kstwo.sf for every branch SciPy's _kolmogn takes. Expected values: the `unit.py`
 * snippet in test/fixtures/drift/README.md.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KS_MAX_EXACT_N, ksTwoSample } from '../../../monitor/drift/ks.js';
import { roundHalfEven } from '../../../monitor/drift/ks-exact.js';
import { durbinMatrixCdf, kstwoSurvival } from '../../../monitor/drift/kstwo.js';
import { smirnovSurvival } from '../../../monitor/drift/smirnov.js';
import { assertMatches, sequence } from './close.js';

interface KsCase {
  readonly a: ArrayLike<number>;
  readonly b: ArrayLike<number>;
  readonly statistic: number;
  readonly pvalue: number;
  readonly method: 'exact' | 'asymp';
}

const CASES: Record<string, KsCase> = {
  'exact, unequal sizes (8, 11) with ties': {
    a: [1, 2, 2, 3, 3, 3, 4, 5],
    b: [2, 3, 3, 4, 4, 5, 6, 6, 7, 8, 8],
    statistic: 0.4772727272727273,
    pvalue: 0.17817734381201875,
    method: 'exact',
  },
  'exact, equal sizes (40, 40)': {
    a: sequence(40, 37, 101),
    b: sequence(40, 53, 103, 0.15),
    statistic: 0.15,
    pvalue: 0.7659314523482239,
    method: 'exact',
  },
  'exact at the limit (10000, 7500)': {
    a: sequence(10000, 7919, 10007),
    b: sequence(7500, 104729, 12007, 0.02),
    statistic: 0.0202,
    pvalue: 0.059832480940016544,
    method: 'exact',
  },
  'asymptotic, Pelz-Good branch (12000, 11000)': {
    a: sequence(12000, 7919, 10007),
    b: sequence(11000, 104729, 12007, 0.01),
    statistic: 0.010265151515151505,
    pvalue: 0.5772680125529748,
    method: 'asymp',
  },
  'asymptotic, Pomeranz branch (12000, 120: n = 119)': {
    a: sequence(12000, 7919, 10007),
    b: sequence(120, 104729, 12007, 0.12),
    statistic: 0.12575000000000003,
    pvalue: 0.04239240442584204,
    method: 'asymp',
  },
  'asymptotic, Smirnov branch, tiny p-value (12000, 11000)': {
    a: sequence(12000, 7919, 10007),
    b: sequence(11000, 104729, 12007, 0.05),
    statistic: 0.0502424242424242,
    pvalue: 4.973637133043858e-13,
    method: 'asymp',
  },
  // en = 10001·10001/20002 = 5000.5, which numpy rounds half to even: n = 5000 (n = 5001 gives 0.033342821740340645)
  'asymptotic, en rounded half to even (10001, 10001)': {
    a: sequence(10001, 7919, 10007),
    b: sequence(10001, 104729, 12007, 0.02),
    statistic: 0.020197980201979826,
    pvalue: 0.0333700399040221,
    method: 'asymp',
  },
};

describe('ksTwoSample matches scipy.stats.ks_2samp', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, () => {
      const result = ksTwoSample(c.a, c.b);
      assert.equal(result.method, c.method);
      assertMatches(result.statistic, c.statistic, 'statistic');
      assertMatches(result.pvalue, c.pvalue, 'p-value');
      // symmetric in its arguments, as SciPy's two-sided test
      const swapped = ksTwoSample(c.b, c.a);
      assertMatches(swapped.pvalue, c.pvalue, 'p-value, samples swapped');
    });
  }

  it('switches to the asymptotic p-value above 10 000 values, as SciPy MAX_AUTO_N', () => {
    assert.equal(KS_MAX_EXACT_N, 10_000);
  });

  it('gives statistic 0 and p-value 1 for identical samples', () => {
    const a = sequence(50, 7, 13);
    assert.deepEqual(ksTwoSample(a, Float64Array.from(a).reverse()), { statistic: 0, pvalue: 1, method: 'exact' });
  });

  it('refuses empty samples and NaN', () => {
    assert.throws(() => ksTwoSample([], [1]), /at least one value/);
    assert.throws(() => ksTwoSample([1, NaN], [1]), /NaN/);
  });
});

describe('kstwoSurvival matches scipy.stats.kstwo.sf', () => {
  // [n, x, kstwo.sf(x, n)], one or more per branch of SciPy's _kolmogn
  const GRID: [number, number, number][] = [
    [10, 0.05, 1.0], // n·x <= 0.5
    [10, 0.2, 0.7487190399999999], // 1 < n·x, n <= 140, Durbin matrix
    [100, 0.08, 0.5182193645480672], // Durbin matrix
    [50, 0.15, 0.19026366518248072], // Pomeranz
    [50, 0.35, 5.573523514803185e-6], // 2 · smirnov
    [119, 0.12, 0.05966790532771749], // Pomeranz
    [500, 0.002, 1.0], // n·x <= 1 (Ruben-Gambino)
    [500, 0.04, 0.3902508696049749], // Pelz-Good
    [5000, 0.01, 0.6954557253913853], // Pelz-Good
    [5000, 0.03, 0.00024159234422666817], // 2 · smirnov
    [200000, 0.001, 0.9881500208855729], // n > 100000: Pelz-Good
    [20, 0.96, 2.199023255552039e-28], // n·x >= n - 1 (Ruben-Gambino)
  ];
  for (const [n, x, expected] of GRID) {
    it(`kstwo.sf(${x}, ${n})`, () => assertMatches(kstwoSurvival(n, x), expected, `kstwo.sf(${x}, ${n})`));
  }

  it('Durbin matrix CDF where it is tiny: kstwo.cdf(0.0032, 5000)', () => {
    assertMatches(durbinMatrixCdf(5000, 0.0032), 6.092122745925124e-10, 'kstwo.cdf(0.0032, 5000)');
  });

  it('rounds half to even, as numpy.round', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 3.5, -2.5, 5000.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 4, -2, 5000, 2, 3]);
  });
});

describe('smirnovSurvival matches scipy.special.smirnov', () => {
  // [n, x, smirnov(n, x)]: the lower sum, and the upper sum SciPy uses for x <= 0.5/sqrt(n) with few terms
  const GRID: [number, number, number][] = [
    [5000, 0.03, 0.00012079617211333408],
    [50, 0.35, 2.7867617574015925e-6],
    [10, 0.15, 0.5831277144961914],
    [12, 0.1, 0.7382831044798832],
    [100, 0.015, 0.9467292220990107], // upper sum
    [1000, 0.0025, 0.9859376810107789], // upper sum
  ];
  for (const [n, x, expected] of GRID) {
    it(`smirnov(${n}, ${x})`, () => assertMatches(smirnovSurvival(n, x), expected, `smirnov(${n}, ${x})`));
  }
});
