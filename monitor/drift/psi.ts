/**
 * Population stability index over the reference's bins:
 *
 *   PSI = Σ_i (cur_i - ref_i) · ln(cur_i / ref_i)
 *
 * where ref_i and cur_i are the shares of each sample in bin i. An empty bin would make the log
 * infinite, so a share of exactly 0 is replaced by PSI_EMPTY_BIN_SHARE = 1e-4 — the value
 * Evidently uses — without renormalising the others. With 10 bins, one bin going from 10 % to
 * empty adds (0.1 - 0.0001) · ln(0.1 / 0.0001) ≈ 0.69.
 */

/** Share substituted for an empty bin (Evidently's choice). */
export const PSI_EMPTY_BIN_SHARE = 1e-4;

export function psi(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
  emptyBinShare: number = PSI_EMPTY_BIN_SHARE,
): number {
  if (referenceCounts.length !== currentCounts.length) {
    throw new RangeError(`psi: ${referenceCounts.length} reference bins but ${currentCounts.length} current bins`);
  }
  const referenceTotal = total(referenceCounts);
  const currentTotal = total(currentCounts);
  if (!(referenceTotal > 0) || !(currentTotal > 0)) throw new RangeError('psi: both samples need at least one value');
  let sum = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const ref = referenceCounts[i]! / referenceTotal || emptyBinShare;
    const cur = currentCounts[i]! / currentTotal || emptyBinShare;
    sum += (cur - ref) * Math.log(cur / ref);
  }
  return sum;
}

function total(counts: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i]!;
  return sum;
}
