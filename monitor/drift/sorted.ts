/** Sorting helpers shared by the two-sample statistics. */

/** A sorted (ascending) Float64Array copy of `values`; rejects NaN, which has no place in an order. */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  const copy = Float64Array.from(values as ArrayLike<number>);
  for (let i = 0; i < copy.length; i++) {
    if (Number.isNaN(copy[i]!)) throw new RangeError(`value ${i} is NaN; drop missing values before comparing`);
  }
  return copy.sort();
}

/** Whether `values` is sorted ascending (false if it holds a NaN). */
export function isSorted(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v) || (i > 0 && values[i - 1]! > v)) return false;
  }
  return true;
}
