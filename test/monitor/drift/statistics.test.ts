/**
 * Wasserstein, Jensen–Shannon, chi-squared against SciPy 1.10.1 (wasserstein_distance,
 * spatial.distance.jensenshannon(base=2), chisquare, chi2.sf), and PSI against hand-computed
 * values. Expected SciPy values: the `unit.py` snippet in test/fixtures/drift/README.md.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chiSquared } from '../../../monitor/drift/chi-squared.js';
import { chiSquaredSurvival, logGamma } from '../../../monitor/drift/incomplete-gamma.js';
import { jensenShannon } from '../../../monitor/drift/jensen-shannon.js';
import { PSI_EMPTY_BIN_SHARE, psi } from '../../../monitor/drift/psi.js';
import { wasserstein } from '../../../monitor/drift/wasserstein.js';
import { assertMatches, sequence } from './close.js';

describe('wasserstein matches scipy.stats.wasserstein_distance', () => {
  it('on disjoint samples: the shift', () => assertMatches(wasserstein([0, 1, 3], [5, 6, 8]), 5, 'W([0,1,3], [5,6,8])'));

  it('on small samples with ties and unequal sizes', () => {
    assertMatches(wasserstein([1, 2, 2, 3, 3, 3, 4, 5], [2, 3, 3, 4, 4, 5, 6, 6, 7, 8, 8]), 2.215909090909091, 'W');
  });

  it('on (12000, 11000) samples', () => {
    assertMatches(wasserstein(sequence(12000, 7919, 10007), sequence(11000, 104729, 12007, 0.01)), 0.009903213320053426, 'W');
  });

  it('is 0 between a sample and itself, whatever the order', () => {
    assert.equal(wasserstein([3, 1, 2], [2, 3, 1]), 0);
  });
});

describe('jensenShannon matches scipy.spatial.distance.jensenshannon(p, q, base=2)', () => {
  it('on unnormalised histograms', () => {
    assertMatches(jensenShannon([10, 20, 30, 40], [40, 30, 20, 10]), 0.3918681606471551, 'JS');
  });
  it('with empty bins on either side', () => {
    assertMatches(jensenShannon([5, 0, 5], [0, 5, 5]), 0.7071067811865476, 'JS');
  });
  it('is 1 for disjoint histograms and 0 for proportional ones', () => {
    assertMatches(jensenShannon([1, 0], [0, 3]), 1, 'JS disjoint');
    assert.equal(jensenShannon([1, 2, 3], [2, 4, 6]), 0);
  });
});

describe('chiSquared matches scipy.stats.chisquare(f_obs, f_exp scaled to the observed total)', () => {
  it('on 4 categories', () => {
    const r = chiSquared([89, 76, 68, 67], [22, 42, 73, 63]);
    assertMatches(r.statistic, 49.38277238792992, 'chi2');
    assertMatches(r.pvalue, 1.081276315360933e-10, 'p-value');
    assert.equal(r.dof, 3);
  });

  it('on 30 categories', () => {
    const observed = Array.from({ length: 30 }, (_, i) => ((i * 7) % 13) + 20);
    const reference = Array.from({ length: 30 }, (_, i) => ((i * 5) % 11) + 20);
    const r = chiSquared(reference, observed);
    assertMatches(r.statistic, 49.334322486607036, 'chi2');
    assertMatches(r.pvalue, 0.010642620241029585, 'p-value');
  });

  it('leaves out categories empty on both sides, and makes an unseen category infinite drift', () => {
    const r = chiSquared([89, 76, 68, 67, 0], [22, 42, 73, 63, 0]);
    assertMatches(r.statistic, 49.38277238792992, 'chi2 with an empty "other" bin');
    assert.equal(r.dof, 3);
    assert.deepEqual(chiSquared([10, 10, 0], [10, 10, 1]), { statistic: Infinity, pvalue: 0, dof: 2 });
  });

  // [x, dof, chi2.sf(x, dof)]: both the series and the continued-fraction side of Q(a, x)
  const SF: [number, number, number][] = [
    [0.5, 1, 0.47950012218695337],
    [3.841458820694124, 1, 0.04999999999999989],
    [10, 3, 0.01856613546304325],
    [24.66, 3, 1.8185807281614742e-5],
    [100, 80, 0.064570368921133],
    [300, 250, 0.016518273157868715],
    [1000, 10, 1.870290720915977e-208],
    [50, 49, 0.43343669725576084],
    [0.01, 30, 1.0],
  ];
  for (const [x, dof, expected] of SF) {
    it(`chi2.sf(${x}, ${dof})`, () => assertMatches(chiSquaredSurvival(x, dof), expected, `chi2.sf(${x}, ${dof})`));
  }

  it('log-gamma agrees with log((x-1)!)', () => {
    for (const [x, factorial] of [[3, 2], [5, 24], [11, 3628800], [101, 9.332621544394415e157]] as const) {
      assertMatches(logGamma(x), Math.log(factorial), `lgamma(${x})`);
    }
    assertMatches(logGamma(0.5), 0.5 * Math.log(Math.PI), 'lgamma(1/2)');
  });
});

describe('psi against hand-computed values', () => {
  it('on three bins', () => {
    // shares ref (0.5, 0.3, 0.2), cur (0.3, 0.3, 0.4):
    // (0.3-0.5)·ln(0.3/0.5) + 0 + (0.4-0.2)·ln(0.4/0.2) = 0.2·ln(5/3) + 0.2·ln 2 = 0.2·ln(10/3)
    //   = 0.2 × 1.2039728043259361 = 0.24079456086518722
    assertMatches(psi([50, 30, 20], [30, 30, 40]), 0.24079456086518722, 'PSI');
  });

  it('with an empty bin, whose share becomes 1e-4', () => {
    assert.equal(PSI_EMPTY_BIN_SHARE, 1e-4);
    // shares ref (1, 0 → 1e-4), cur (0.5, 0.5):
    // (0.5-1)·ln(0.5/1) + (0.5-0.0001)·ln(0.5/0.0001) = 0.5·ln 2 + 0.4999·ln 5000
    //   = 0.34657359027997264 + 0.4999 × 8.517193191416238 = 0.34657359027997264 + 4.257744876388977
    //   = 4.60431846666895
    assertMatches(psi([100, 0], [50, 50]), 4.60431846666895, 'PSI');
  });

  it('is 0 on identical shares and symmetric', () => {
    assert.equal(psi([1, 2, 3], [2, 4, 6]), 0);
    assertMatches(psi([30, 30, 40], [50, 30, 20]), 0.24079456086518722, 'PSI swapped');
  });
});
