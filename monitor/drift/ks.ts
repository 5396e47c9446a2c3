/**
 * Two-sample Kolmogorov–Smirnov test, two-sided — `scipy.stats.ks_2samp(a, b)` with
 * method='auto' as in SciPy 1.10: the exact p-value when max(n1, n2) <= 10 000, the asymptotic
 * one (kstwo.sf(d, round(n1·n2/(n1+n2)))) above that, or when the exact computation fails.
 * Ties are handled as SciPy does: both empirical CDFs are evaluated at every pooled value
 * (searchsorted side='right').
 */
import { exactTwoSidedKs, roundHalfEven } from './ks-exact.js';
import { kstwoSurvival } from './kstwo.js';
import { isSorted, sortedCopy } from './sorted.js';

/** SciPy's MAX_AUTO_N: 'auto' is exact while both samples have at most this many values. */
export const KS_MAX_EXACT_N = 10_000;

export interface KsResult {
  readonly statistic: number;
  readonly pvalue: number;
  readonly method: 'exact' | 'asymp';
}

export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  return ksTwoSampleSorted(isSorted(a) ? a : sortedCopy(a), isSorted(b) ? b : sortedCopy(b));
}

/** The same on samples already sorted ascending. */
export function ksTwoSampleSorted(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('ks: both samples need at least one value');
  const d = ksStatisticSorted(a, b);
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const exact = exactTwoSidedKs(n1, n2, d);
    if (exact.success) return { statistic: exact.statistic, pvalue: exact.pvalue, method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  const pvalue = kstwoSurvival(roundHalfEven(en), d);
  return { statistic: d, pvalue: Math.min(1, Math.max(0, pvalue)), method: 'asymp' };
}

/** sup |F_a - F_b| over the pooled values, with SciPy's arithmetic (i/n1 - j/n2). */
export function ksStatisticSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxDiff = 0;
  let minDiff = 0;
  while (i < n1 || j < n2) {
    const x = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i] === x) i++;
    while (j < n2 && b[j] === x) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  const minS = Math.min(1, -minDiff);
  return minS > maxDiff ? minS : maxDiff;
}
