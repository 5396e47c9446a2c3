/**
 * The gateway's N shards, seen from the main thread: starting them, one
 * request to all, listening (the first shard binds the ports — and learns
 * them when they are 0 — the others join the REST port), draining, and
 * replacing a shard whose thread ended. A replacement is brought up to date
 * (the current models, the sink port) and joins the set before it listens,
 * so it never answers with less than the others. The dead shard's
 * connections are lost with it; the other shards keep serving.
 */
import type { Transferable } from 'node:worker_threads';
import type { Logger } from '../../runtime/log.js';
import type { ListenResult, ShardMetrics, ShardRequest } from './protocol.js';
import { ShardThread, type ShardSettings } from './shard-thread.js';

export interface ShardSetObserver {
  shardRestarted(): void;
}

/**
 * Brings a started shard up to date and calls `join` once it is, with no
 * change of the models able to slip in between (the catalog's lock).
 */
export type ShardPreparer = (shard: ShardThread, join: () => void) => Promise<void>;

const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5_000;

export class ShardSet {
  /** By index; empty while a dead shard's replacement is being prepared. */
  private readonly slots: Array<ShardThread | undefined>;
  private ports: ListenResult | undefined;
  private closing = false;

  constructor(
    readonly count: number,
    private readonly settings: ShardSettings,
    private readonly prepare: ShardPreparer,
    private readonly observer: ShardSetObserver,
    private readonly log: Logger,
  ) {
    this.slots = new Array<ShardThread | undefined>(count);
  }

  /** Starts every shard; they take requests only after `listen`. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.count }, (_, i) => this.spawn(i)).map((shard) => this.prepare(shard, () => (this.slots[shard.index] = shard))));
  }

  /** The live shards. */
  all(): ShardThread[] {
    return this.slots.filter((s): s is ShardThread => s !== undefined);
  }

  /** A request to every live shard, at once; `transfer` says what each request hands over. */
  broadcast<T>(request: (shard: ShardThread) => ShardRequest, transfer: (request: ShardRequest) => readonly Transferable[] = () => []): Promise<T[]> {
    return Promise.all(
      this.all().map((shard) => {
        const r = request(shard);
        return shard.request<T>(r, transfer(r));
      }),
    );
  }

  /** The first shard binds both ports (and serves gRPC), the others the REST port it bound. */
  async listen(httpPort: number, grpcPort: number): Promise<ListenResult> {
    const [first, ...rest] = this.all();
    this.ports = await first!.request<ListenResult>({ kind: 'listen', httpPort, grpcPort });
    await Promise.all(rest.map((shard) => shard.request({ kind: 'listen', httpPort: this.ports!.http })));
    return this.ports;
  }

  metrics(): Promise<ShardMetrics[]> {
    return this.broadcast<ShardMetrics>(() => ({ kind: 'metrics' }));
  }

  /** Fault injection for tests and drills: shard `index` throws an uncaught error, as a bug would. */
  crash(index: number): void {
    void this.slots[index]?.request({ kind: 'crash' }).catch(() => undefined);
  }

  /** Every shard's readiness off and new requests refused, at once; accepted ones are still answered. */
  async stopAccepting(): Promise<void> {
    this.closing = true;
    await this.broadcast(() => ({ kind: 'stop-accepting' }));
  }

  async drain(): Promise<void> {
    this.closing = true;
    await Promise.all(this.all().map((shard) => shard.drain()));
  }

  private spawn(index: number): ShardThread {
    return new ShardThread(index, this.settings, this.log, (dead) => {
      if (this.slots[index] !== dead) return;
      this.slots[index] = undefined;
      this.observer.shardRestarted();
      void this.replace(index, RESTART_MIN_MS);
    });
  }

  private async replace(index: number, delayMs: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (this.closing) return;
    const shard = this.spawn(index);
    try {
      await this.prepare(shard, () => (this.slots[index] = shard));
      if (this.ports) await shard.request({ kind: 'listen', httpPort: this.ports.http, grpcPort: index === 0 ? this.ports.grpc : undefined });
    } catch (err) {
      if (this.slots[index] === shard) this.slots[index] = undefined;
      await shard.drain();
      if (this.closing) return;
      this.log.error('replacement shard failed to start; retrying', { shard: index, error: err instanceof Error ? err.message : String(err) });
      return this.replace(index, Math.min(delayMs * 2, RESTART_MAX_MS));
    }
    // a drain that began meanwhile did not see this shard
    if (this.closing) return void (await shard.drain());
    this.log.info('shard replaced', { shard: index });
  }
}
