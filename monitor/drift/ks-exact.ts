/**
 * Exact two-sided p-value of the two-sample Kolmogorov–Smirnov statistic, ported from SciPy 1.10
 * (`_attempt_exact_2kssamp`, `_compute_prob_outside_square` in scipy/stats/_stats_py.py and
 * `_compute_outer_prob_inside_method` in scipy/stats/_stats_pythran.py): lattice paths from
 * (0, 0) to (n1, n2) that leave the band |x/n1 - y/n2| < d, after Hodges (1958), with the
 * "1 - p" recursion of Viehmann (arXiv:2102.08037) for unequal sizes.
 */

export interface ExactKsResult {
  /** False when the computation left [0, 1] (round-off); the caller falls back to the asymptotic p-value. */
  readonly success: boolean;
  /** The statistic snapped to the lattice: h / lcm(n1, n2). */
  readonly statistic: number;
  readonly pvalue: number;
}

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** numpy's round(): half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function exactTwoSidedKs(n1: number, n2: number, d: number): ExactKsResult {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const statistic = h / lcm;
  if (h === 0) return { success: true, statistic, pvalue: 1 };
  const pvalue = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  return { success: pvalue >= 0 && pvalue <= 1, statistic, pvalue };
}

/**
 * Pr(D_{n,n} >= h/n) = 2 · Σ_k (-1)^(k+1) binom(2n, n - k·h) / binom(2n, n), evaluated
 * Horner-style on ratios to avoid cancellation.
 */
export function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/**
 * Proportion of lattice paths from (0, 0) to (m, n) that do not stay strictly inside
 * |n·x/g - m·y/g| < h, one column at a time over a sliding window of rows.
 */
export function outerProbInside(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m];
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, Math.min(maxj - minj + (lastlen - curlen), lenA));
  }
  return A[maxj - minj - 1]!;
}
