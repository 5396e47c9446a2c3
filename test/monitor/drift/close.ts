/**
 * Agreement with SciPy: relative 1e-6, |actual - expected| <= 1e-6 · |expected|. On values of
 * magnitude <= 1 (statistics, p-values, distances) that is at least as strict as the absolute
 * 1e-6 the drift issue asks for, and it keeps tiny p-values to six significant digits too;
 * on large values (a Wasserstein distance in currency units) it is the meaningful one.
 */
import assert from 'node:assert/strict';

export const TOLERANCE = 1e-6;

export function assertMatches(actual: number | null | undefined, expected: number, what: string): void {
  assert.equal(typeof actual, 'number', `${what}: got ${actual}, expected ${expected}`);
  const a = actual as number;
  if (expected === 0 || !Number.isFinite(expected)) {
    assert.equal(a, expected, `${what}: got ${a}, expected exactly ${expected}`);
    return;
  }
  assert.ok(Math.abs(a - expected) <= TOLERANCE * Math.abs(expected), `${what}: got ${a}, expected ${expected} (relative tolerance ${TOLERANCE})`);
}

/** The deterministic samples the SciPy snippet builds the same way: (i·mult mod m) / m + shift. */
export function sequence(n: number, mult: number, mod: number, shift = 0): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i * mult) % mod) / mod + shift;
  return out;
}
