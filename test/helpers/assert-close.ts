/** Float comparison for model outputs: 1e-6 absolute plus 1e-5 relative, per element. */
import assert from 'node:assert/strict';

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-6 + 1e-5 * Math.abs(expected[i]!);
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}
