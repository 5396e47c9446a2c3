/**
 * 1-Wasserstein (earth mover's) distance between two 1-D samples, equal to
 * `scipy.stats.wasserstein_distance(u, v)`: the integral of |U(x) - V(x)| over x, where U and V
 * are the empirical CDFs, evaluated between successive values of the pooled sorted sample.
 */
import { sortedCopy } from './sorted.js';

export function wasserstein(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (u.length === 0 || v.length === 0) throw new RangeError('wasserstein: both samples need at least one value');
  return wassersteinSorted(sortedCopy(u), sortedCopy(v));
}

/** The same on samples already sorted ascending (no copy). */
export function wassersteinSorted(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const nu = u.length;
  const nv = v.length;
  let i = 0; // values of u <= the current pooled value
  let j = 0;
  let sum = 0;
  let compensation = 0; // Neumaier summation: the pooled sample can be long
  let previous = Math.min(u[0]!, v[0]!);
  while (i < nu || j < nv) {
    const x = j >= nv || (i < nu && u[i]! <= v[j]!) ? u[i]! : v[j]!;
    if (x !== previous) {
      const term = Math.abs(i / nu - j / nv) * (x - previous);
      const t = sum + term;
      compensation += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
      sum = t;
      previous = x;
    }
    while (i < nu && u[i] === x) i++;
    while (j < nv && v[j] === x) j++;
  }
  return sum + compensation;
}
