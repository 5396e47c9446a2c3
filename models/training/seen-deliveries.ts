/**
 * The webhook ids the registry has acted on, so a redelivered webhook (same `webhook-id`, as
 * Standard Webhooks retries are) starts nothing. Bounded: ids older than `ttlMs` or beyond the
 * newest `max` are forgotten — the signature's timestamp tolerance (minutes) already refuses
 * anything older. Kept across restarts in `<dataDir>/training/webhook-ids.log`, one "<ms> <id>"
 * line per id, appended and fsynced before the delivery is answered; rewritten compactly at open
 * and whenever it holds twice the bound.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../runtime/log.js';
import { writeFileAtomic } from '../repository-writer.js';
import { mkdirDurable } from '../registry/durable-fs.js';
import { SerialQueue } from '../registry/serial-queue.js';

export const SEEN_IDS_MAX = 10_000;
export const SEEN_IDS_TTL_MS = 24 * 3600 * 1000;

export class SeenDeliveries {
  private readonly writes = new SerialQueue();
  private lines = 0;

  private constructor(
    private readonly path: string,
    /** id → when it was first seen (ms); insertion order is age order. */
    private readonly seen: Map<string, number>,
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  static async open(dataDir: string, log: Logger, max = SEEN_IDS_MAX, ttlMs = SEEN_IDS_TTL_MS): Promise<SeenDeliveries> {
    const dir = join(dataDir, 'training');
    await mkdirDurable(dir);
    const path = join(dir, 'webhook-ids.log');
    const seen = new Map<string, number>();
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let bad = 0;
    for (const line of text.split('\n')) {
      const space = line.indexOf(' ');
      const at = Number(line.slice(0, space));
      if (space < 1 || !Number.isFinite(at)) {
        if (line !== '') bad++;
        continue;
      }
      const id = line.slice(space + 1);
      if (!seen.has(id)) seen.set(id, at);
    }
    if (bad > 0) log.warn('ignored unreadable lines of the seen webhook ids (a crash mid-append)', { path, lines: bad });
    const deliveries = new SeenDeliveries(path, seen, max, ttlMs);
    await deliveries.writes.run(() => deliveries.compact());
    return deliveries;
  }

  has(id: string): boolean {
    const at = this.seen.get(id);
    return at !== undefined && at > Date.now() - this.ttlMs;
  }

  /**
   * False when `id` was seen already; otherwise marks it seen at once — so a concurrent duplicate
   * is refused from here on — and the caller either `record`s it once acted upon, or `forget`s it.
   */
  claim(id: string): boolean {
    if (this.has(id)) return false;
    const now = Date.now();
    this.seen.delete(id);
    this.seen.set(id, now);
    this.evict(now);
    return true;
  }

  /** Resolves once the claimed `id` is on disk. */
  record(id: string): Promise<void> {
    const at = this.seen.get(id) ?? Date.now();
    return this.writes.run(async () => {
      const file = await open(this.path, 'a');
      try {
        await file.writeFile(`${at} ${id}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
      if (++this.lines > 2 * this.max) await this.compact();
    });
  }

  /** Forgets a claimed `id` (its job could not be queued, so a retry of the delivery must be able to start one). */
  forget(id: string): void {
    this.seen.delete(id);
  }

  get size(): number {
    return this.seen.size;
  }

  close(): Promise<void> {
    return this.writes.idle();
  }

  private evict(now: number): void {
    for (const [id, at] of this.seen) {
      if (this.seen.size <= this.max && at > now - this.ttlMs) break;
      this.seen.delete(id);
    }
  }

  private async compact(): Promise<void> {
    this.evict(Date.now());
    const text = [...this.seen].map(([id, at]) => `${at} ${id}\n`).join('');
    await writeFileAtomic(this.path, new TextEncoder().encode(text));
    this.lines = this.seen.size;
  }
}
