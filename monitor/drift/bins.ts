/**
 * The reference's fixed bins. Numeric features: edges at the reference's quantiles
 * (numpy.quantile, method 'linear', at k/bins for k = 1..bins-1), duplicates dropped; a value x
 * falls in bin searchsorted(edges, x, side='right'), so the outer bins are open-ended and a value
 * equal to an edge belongs to the bin above it. Categorical features: one bin per reference
 * category, then one "other" bin for every value the profile did not keep.
 */

/** Quantile bin edges of a sorted sample, as numpy.unique(numpy.quantile(sorted, [k/bins …])). */
export function quantileEdges(sorted: ArrayLike<number>, bins: number): number[] {
  if (sorted.length === 0) throw new RangeError('quantileEdges: empty sample');
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const q = quantileSorted(sorted, k / bins);
    if (edges.length === 0 || q > edges[edges.length - 1]!) edges.push(q);
  }
  return edges;
}

/** numpy.quantile(sorted, q), method 'linear' (Hyndman & Fan type 7), numpy 1.24's arithmetic. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return sorted[n - 1]!;
  const previousIndex = Math.floor(virtual);
  const previous = sorted[previousIndex]!;
  const next = sorted[previousIndex + 1]!;
  const gamma = virtual - previousIndex;
  const diff = next - previous;
  return gamma >= 0.5 ? next - diff * (1 - gamma) : previous + diff * gamma;
}

/** searchsorted(edges, x, side='right'): the number of edges <= x. */
export function numericBin(edges: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts per bin of numeric values (edges.length + 1 bins). */
export function countNumericBins(edges: ArrayLike<number>, values: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < values.length; i++) counts[numericBin(edges, values[i]!)]!++;
  return counts;
}

/** Bin lookup for categories: index in `categories`, else the "other" bin (categories.length). */
export class CategoryBins {
  private readonly index: Map<string, number>;

  constructor(readonly categories: readonly string[]) {
    this.index = new Map(categories.map((c, i) => [c, i]));
  }

  get size(): number {
    return this.categories.length + 1;
  }

  bin(value: string): number {
    return this.index.get(value) ?? this.categories.length;
  }

  count(values: Iterable<string>): Float64Array {
    const counts = new Float64Array(this.size);
    for (const v of values) counts[this.bin(v)]!++;
    return counts;
  }
}
