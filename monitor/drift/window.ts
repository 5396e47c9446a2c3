/**
 * Sliding windows of current values for one (model version, feature), in memory fixed at
 * construction whatever the traffic:
 *
 * - `CountWindow`: the last `size` values, a ring buffer plus bin counts kept in step with it.
 * - `TimeWindow`: the last `spanMs` milliseconds as `buckets` time buckets, each holding exact bin
 *   counts and a reservoir of at most ⌈sampleSize / buckets⌉ values; a bucket is reused when its
 *   time comes round again. Bin tests (PSI, JS, chi-squared) see every value of the window; KS and
 *   Wasserstein see a uniform sample of it, drawn from the buckets in proportion to their counts.
 *
 * Values a feature cannot take (a non-finite number or a string for a numeric feature) are
 * counted in `rejected` and otherwise ignored.
 */
import { CategoryBins, numericBin } from './bins.js';
import type { FeatureProfile } from './profile.js';
import type { CurrentSample } from './report.js';
import { Reservoir, SeededRandom } from './reservoir.js';

export type FeatureValue = number | string;

export interface WindowSample extends CurrentSample {
  /** Values in the window (the bin counts' total). */
  readonly count: number;
}

export interface FeatureWindow {
  push(value: FeatureValue, atMs?: number): void;
  sample(atMs?: number): WindowSample;
  /** Values held in memory, at most the bound fixed at construction. */
  readonly retained: number;
  readonly rejected: number;
}

/** Maps a value to its bin, or -1 when the feature cannot take it. */
class Binner {
  private readonly categories?: CategoryBins;
  private readonly edges: readonly number[];
  readonly bins: number;
  readonly numeric: boolean;

  constructor(feature: FeatureProfile) {
    this.numeric = feature.kind === 'numeric';
    this.edges = feature.kind === 'numeric' ? feature.edges : [];
    if (feature.kind === 'categorical') this.categories = new CategoryBins(feature.categories);
    this.bins = feature.binCounts.length;
  }

  bin(value: FeatureValue): number {
    if (this.categories) return this.categories.bin(String(value));
    if (typeof value !== 'number' || !Number.isFinite(value)) return -1;
    return numericBin(this.edges, value);
  }
}

export class CountWindow implements FeatureWindow {
  private readonly binner: Binner;
  private readonly ring: Float64Array; // the value (numeric) or its bin (categorical)
  private readonly ringBins: Uint32Array;
  private readonly counts: Float64Array;
  private next = 0;
  private filled = 0;
  rejected = 0;

  constructor(feature: FeatureProfile, readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`count window size must be a positive integer, got ${size}`);
    this.binner = new Binner(feature);
    this.ring = new Float64Array(this.binner.numeric ? size : 0);
    this.ringBins = new Uint32Array(size);
    this.counts = new Float64Array(this.binner.bins);
  }

  push(value: FeatureValue): void {
    const bin = this.binner.bin(value);
    if (bin < 0) {
      this.rejected++;
      return;
    }
    if (this.filled === this.size) this.counts[this.ringBins[this.next]!]!--;
    else this.filled++;
    this.ringBins[this.next] = bin;
    if (this.binner.numeric) this.ring[this.next] = value as number;
    this.counts[bin]!++;
    this.next = (this.next + 1) % this.size;
  }

  sample(): WindowSample {
    return {
      count: this.filled,
      binCounts: this.counts.slice(),
      ...(this.binner.numeric ? { values: this.ring.slice(0, this.filled) } : {}),
    };
  }

  get retained(): number {
    return this.filled;
  }
}

export interface TimeWindowOptions {
  readonly spanMs: number;
  readonly buckets: number;
  /** Bound on the raw values kept for KS and Wasserstein, over all buckets. */
  readonly sampleSize: number;
  readonly seed?: number;
}

interface Bucket {
  epoch: number; // floor(time / bucketMs) of the values it holds; -1 when empty
  count: number;
  readonly counts: Float64Array;
  readonly reservoir?: Reservoir;
}

export class TimeWindow implements FeatureWindow {
  private readonly binner: Binner;
  private readonly bucketMs: number;
  private readonly slots: Bucket[];
  private readonly random: SeededRandom;
  rejected = 0;

  constructor(feature: FeatureProfile, private readonly options: TimeWindowOptions) {
    const { spanMs, buckets, sampleSize } = options;
    if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`time window buckets must be a positive integer, got ${buckets}`);
    if (!(spanMs > 0)) throw new RangeError(`time window span must be positive, got ${spanMs} ms`);
    if (!Number.isInteger(sampleSize) || sampleSize < 1) throw new RangeError(`time window sampleSize must be a positive integer, got ${sampleSize}`);
    this.binner = new Binner(feature);
    this.bucketMs = spanMs / buckets;
    this.random = new SeededRandom(options.seed ?? 0x5eed);
    const perBucket = Math.ceil(sampleSize / buckets);
    this.slots = Array.from({ length: buckets }, () => ({
      epoch: -1,
      count: 0,
      counts: new Float64Array(this.binner.bins),
      ...(this.binner.numeric ? { reservoir: new Reservoir(perBucket, this.random) } : {}),
    }));
  }

  push(value: FeatureValue, atMs: number = Date.now()): void {
    const bin = this.binner.bin(value);
    if (bin < 0) {
      this.rejected++;
      return;
    }
    const epoch = Math.floor(atMs / this.bucketMs);
    const slot = this.slots[epoch % this.options.buckets]!;
    if (slot.epoch > epoch) return; // older than the window the slot now serves
    if (slot.epoch < epoch) {
      slot.epoch = epoch;
      slot.count = 0;
      slot.counts.fill(0);
      slot.reservoir?.clear();
    }
    slot.count++;
    slot.counts[bin]!++;
    slot.reservoir?.add(value as number);
  }

  sample(atMs: number = Date.now()): WindowSample {
    const now = Math.floor(atMs / this.bucketMs);
    const live = this.slots.filter((s) => s.epoch > now - this.options.buckets && s.epoch <= now && s.count > 0);
    const binCounts = new Float64Array(this.binner.bins);
    let count = 0;
    for (const s of live) {
      count += s.count;
      for (let i = 0; i < binCounts.length; i++) binCounts[i]! += s.counts[i]!;
    }
    if (!this.binner.numeric) return { count, binCounts };
    // The largest sample in which every bucket is represented in proportion to its count.
    let size = this.options.sampleSize;
    for (const s of live) size = Math.min(size, Math.floor((s.reservoir!.size * count) / s.count));
    const parts = live.map((s) => s.reservoir!.draw(Math.round((size * s.count) / count)));
    const values = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      values.set(p, offset);
      offset += p.length;
    }
    return { count, binCounts, values };
  }

  get retained(): number {
    return this.slots.reduce((n, s) => n + (s.reservoir?.size ?? 0), 0);
  }
}
