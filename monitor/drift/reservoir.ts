/**
 * A uniform random sample of at most `capacity` values from a stream of any length
 * (Vitter's algorithm R), driven by a seeded PRNG so that profiles are reproducible.
 */

import { mulberry32 } from '../../runtime/random.js';

/** A seeded PRNG; `next()` is uniform in [0, 1). */
export class SeededRandom {
  readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

export class Reservoir {
  private readonly buffer: Float64Array;
  private filled = 0;
  /** Values offered so far. */
  seen = 0;

  constructor(
    readonly capacity: number,
    private readonly random: SeededRandom,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`reservoir capacity must be a positive integer, got ${capacity}`);
    this.buffer = new Float64Array(capacity);
  }

  add(value: number): void {
    this.seen++;
    if (this.filled < this.capacity) {
      this.buffer[this.filled++] = value;
      return;
    }
    const j = this.random.below(this.seen);
    if (j < this.capacity) this.buffer[j] = value;
  }

  get size(): number {
    return this.filled;
  }

  /** The sample (a view: copy it before the next add if you keep it). */
  values(): Float64Array {
    return this.buffer.subarray(0, this.filled);
  }

  /** `k` values drawn without replacement from the sample (partial Fisher–Yates on a copy). */
  draw(k: number): Float64Array {
    const pool = this.buffer.slice(0, this.filled);
    const take = Math.min(k, pool.length);
    for (let i = 0; i < take; i++) {
      const j = i + this.random.below(pool.length - i);
      const t = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = t;
    }
    return pool.subarray(0, take);
  }

  clear(): void {
    this.filled = 0;
    this.seen = 0;
  }
}
