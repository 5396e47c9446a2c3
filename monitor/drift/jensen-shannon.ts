/**
 * Jensen–Shannon distance (base 2, in [0, 1]) between two histograms over the same bins:
 * `scipy.spatial.distance.jensenshannon(p, q, base=2)` — both normalised to sum 1,
 * m = (p + q) / 2, distance = sqrt((KL(p‖m) + KL(q‖m)) / ln 2 / 2).
 */

export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError(`jensenShannon: ${p.length} bins against ${q.length}`);
  const pTotal = total(p);
  const qTotal = total(q);
  if (!(pTotal > 0) || !(qTotal > 0)) throw new RangeError('jensenShannon: both histograms need a positive total');
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / pTotal;
    const qi = q[i]! / qTotal;
    const mi = (pi + qi) / 2;
    left += relativeEntropy(pi, mi);
    right += relativeEntropy(qi, mi);
  }
  const divergence = (left + right) / Math.LN2;
  return Math.sqrt(divergence / 2);
}

/** SciPy's rel_entr(x, y): x·ln(x/y), 0 when x = 0. */
function relativeEntropy(x: number, y: number): number {
  return x > 0 ? x * Math.log(x / y) : 0;
}

function total(counts: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i]!;
  return sum;
}
