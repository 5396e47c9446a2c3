/**
 * The batcher's queue policy (Triton's scheduler queue, piscina's TaskQueue):
 * what waits, and in which order it leaves. FIFO is the default; a priority or
 * fair-share policy implements the same interface.
 */
export interface Queued {
  rows: number;
  enqueuedAt: number;
}

export interface RequestQueue<T extends Queued> {
  readonly size: number;
  readonly rows: number;
  push(item: T): void;
  peek(): T | undefined;
  shift(): T | undefined;
}

/** A ring-free FIFO: an array with a moving head, compacted when half is dead. */
export class FifoQueue<T extends Queued> implements RequestQueue<T> {
  private items: T[] = [];
  private head = 0;
  private queuedRows = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  get rows(): number {
    return this.queuedRows;
  }

  push(item: T): void {
    this.items.push(item);
    this.queuedRows += item.rows;
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as T;
    this.head++;
    this.queuedRows -= item.rows;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
