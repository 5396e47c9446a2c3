/**
 * A map whose entries leave `ttlMs` after they were added, or earlier, oldest first, when more
 * than `maxEntries` are held. Entries are kept in insertion order, so expiry looks only at the
 * oldest: O(1) per entry, memory bounded whatever the traffic. Every departure is reported.
 */
export type RemovalReason = 'ttl' | 'capacity';

interface Slot<V> {
  readonly at: number;
  value: V;
}

export class ExpiringMap<V> {
  private readonly slots = new Map<string, Slot<V>>();

  constructor(
    readonly ttlMs: number,
    readonly maxEntries: number,
    private readonly onRemoved: (key: string, value: V, reason: RemovalReason) => void = () => {},
  ) {}

  get(key: string): V | undefined {
    return this.slots.get(key)?.value;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /** Adds a key (its clock starts now) or replaces the value of a present one (its clock runs on). */
  set(key: string, value: V, nowMs: number): void {
    const slot = this.slots.get(key);
    if (slot) {
      slot.value = value;
      return;
    }
    this.slots.set(key, { at: nowMs, value });
    while (this.slots.size > this.maxEntries) {
      const [oldest, { value: v }] = this.slots.entries().next().value as [string, Slot<V>];
      this.slots.delete(oldest);
      this.onRemoved(oldest, v, 'capacity');
    }
  }

  /** Removes a key without reporting it (it left by being used). */
  delete(key: string): boolean {
    return this.slots.delete(key);
  }

  /** Reports and removes every entry whose time is up. */
  expire(nowMs: number): void {
    for (const [key, slot] of this.slots) {
      if (slot.at + this.ttlMs > nowMs) break;
      this.slots.delete(key);
      this.onRemoved(key, slot.value, 'ttl');
    }
  }

  get size(): number {
    return this.slots.size;
  }
}
