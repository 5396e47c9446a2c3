/**
 * Sliding windows over labelled samples (prediction, label, log loss), holding additive counts
 * (ClassificationCounts or RegressionCounts), in memory fixed at construction:
 * - `CountQualityWindow`: the last `size` samples, a ring buffer with counts kept in step;
 * - `TimeQualityWindow`: the last `spanMs` as `buckets` buckets of counts, merged on read.
 */
export interface QualityCounts {
  readonly samples: number;
  add(predicted: number, label: number, loss: number, sign?: 1 | -1): void;
  merge(other: QualityCounts): void;
  clear(): void;
}

export class CountQualityWindow<C extends QualityCounts> {
  private readonly predicted: Float64Array;
  private readonly label: Float64Array;
  private readonly loss: Float64Array;
  private readonly running: C;
  private next = 0;
  private filled = 0;

  constructor(
    readonly size: number,
    make: () => C,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`quality count window size must be a positive integer, got ${size}`);
    this.predicted = new Float64Array(size);
    this.label = new Float64Array(size);
    this.loss = new Float64Array(size);
    this.running = make();
  }

  push(predicted: number, label: number, loss: number): void {
    const i = this.next;
    if (this.filled === this.size) this.running.add(this.predicted[i]!, this.label[i]!, this.loss[i]!, -1);
    else this.filled++;
    this.predicted[i] = predicted;
    this.label[i] = label;
    this.loss[i] = loss;
    this.running.add(predicted, label, loss, 1);
    this.next = (i + 1) % this.size;
  }

  /** The window's counts (live: read, do not keep). */
  counts(): C {
    return this.running;
  }
}

interface Bucket<C> {
  epoch: number;
  readonly counts: C;
}

export class TimeQualityWindow<C extends QualityCounts> {
  private readonly bucketMs: number;
  private readonly slots: Bucket<C>[];

  constructor(
    readonly spanMs: number,
    readonly buckets: number,
    private readonly make: () => C,
  ) {
    if (!(spanMs > 0)) throw new RangeError(`quality time window span must be positive, got ${spanMs} ms`);
    if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`quality time window buckets must be a positive integer, got ${buckets}`);
    this.bucketMs = spanMs / buckets;
    this.slots = Array.from({ length: buckets }, () => ({ epoch: -1, counts: make() }));
  }

  push(predicted: number, label: number, loss: number, atMs: number): void {
    const epoch = Math.floor(atMs / this.bucketMs);
    const slot = this.slots[epoch % this.buckets]!;
    if (slot.epoch > epoch) return; // older than the window this slot now serves
    if (slot.epoch < epoch) {
      slot.epoch = epoch;
      slot.counts.clear();
    }
    slot.counts.add(predicted, label, loss, 1);
  }

  /** Counts of the buckets within the span ending at `atMs`, merged into a fresh object. */
  counts(atMs: number): C {
    const now = Math.floor(atMs / this.bucketMs);
    const out = this.make();
    for (const s of this.slots) if (s.epoch > now - this.buckets && s.epoch <= now) out.merge(s.counts);
    return out;
  }
}
