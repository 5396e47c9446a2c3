/**
 * Pearson's chi-squared goodness-of-fit test of current category counts against the reference
 * proportions: `scipy.stats.chisquare(f_obs, f_exp)` with f_exp = reference counts scaled to the
 * observed total, p-value from chi2.sf(stat, k - 1).
 *
 * Categories empty on both sides are left out (SciPy would give 0/0 = NaN for them; they carry
 * no evidence), so k is the number of categories seen in either sample. A category seen in the
 * current sample but never in the reference has expected count 0: the statistic is +Infinity and
 * the p-value 0, as SciPy gives — a category the reference never produced is drift.
 */
import { chiSquaredSurvival } from './incomplete-gamma.js';

export interface ChiSquaredResult {
  readonly statistic: number;
  readonly pvalue: number;
  /** Degrees of freedom: categories compared - 1. */
  readonly dof: number;
}

export function chiSquared(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): ChiSquaredResult {
  if (referenceCounts.length !== currentCounts.length) {
    throw new RangeError(`chiSquared: ${referenceCounts.length} reference bins but ${currentCounts.length} current bins`);
  }
  let referenceTotal = 0;
  let currentTotal = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    referenceTotal += referenceCounts[i]!;
    currentTotal += currentCounts[i]!;
  }
  if (!(referenceTotal > 0) || !(currentTotal > 0)) {
    throw new RangeError('chiSquared: both samples need at least one value');
  }
  let statistic = 0;
  let categories = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const observed = currentCounts[i]!;
    const reference = referenceCounts[i]!;
    if (observed === 0 && reference === 0) continue;
    categories++;
    const expected = (reference / referenceTotal) * currentTotal;
    const diff = observed - expected;
    statistic += expected === 0 ? Infinity : (diff * diff) / expected;
  }
  const dof = categories - 1;
  const pvalue = dof < 1 ? NaN : statistic === Infinity ? 0 : chiSquaredSurvival(statistic, dof);
  return { statistic, pvalue, dof };
}
