/**
 * Redis Streams ingest: a consumer in a consumer group on the stream the gateways XADD
 * RecordBatch bytes to. The loop reads new entries (XREADGROUP … BLOCK), processes them, then
 * XACKs them — so an entry is acknowledged only once its records are in the windows. Every
 * claimIntervalMs it also XAUTOCLAIMs entries pending for longer than claimIdleMs: those a
 * consumer read and never acknowledged because it died. The group is created (MKSTREAM, from
 * the start of the stream) when missing, at start or when Redis lost it.
 *
 * Delivery is at least once: a consumer that dies after processing and before XACK has its
 * entries processed again by another; the label store ignores the repeated predictions.
 * Several monitors in one group share the stream: each sees part of the records, so a label is
 * joined only by the monitor that saw its prediction.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../../runtime/log.js';
import { decodeRecordBatch, RECORD_STREAM_FIELD } from '../../runtime/records.js';
import type { RedisIngestConfig } from '../config.js';
import type { IngestEvents, RecordSink } from './record-sink.js';
import { redactedUrl } from '../../runtime/node-http.js';

type StreamEntry = [id: Buffer, fields: Buffer[] | null];

const ERROR_PAUSE_MS = 1_000;
/** XAUTOCLAIM calls per claim pass, at `count` entries each. */
const CLAIM_PAGES = 10;

export class RedisStreamIngest {
  private readonly redis: Redis;
  private running = false;
  private loop: Promise<void> | undefined;
  private nextClaimMs = 0;

  constructor(
    private readonly config: Readonly<RedisIngestConfig>,
    private readonly sink: RecordSink,
    private readonly events: IngestEvents,
    private readonly log: Logger,
  ) {
    // RESP2: ioredis 6 speaks RESP3 by default, where XREADGROUP's reply is a map flattened to
    // [key, entries] rather than the documented [[key, entries]].
    this.redis = new Redis(config.url, { lazyConnect: true, protocol: 2, maxRetriesPerRequest: 2 });
    this.redis.on('error', (err: Error) => this.log.warn('redis stream consumer error', { error: err.message }));
  }

  async start(): Promise<void> {
    try {
      await this.redis.connect();
      await this.ensureGroup();
    } catch (err) {
      this.redis.disconnect();
      throw new Error(`redis stream ${this.config.stream} at ${redactedUrl(this.config.url)}: ${(err as Error).message}`, { cause: err });
    }
    this.running = true;
    this.loop = this.run();
    this.log.info('consuming redis stream', { stream: this.config.stream, group: this.config.group, consumer: this.config.consumer });
  }

  /** Stops reading (within blockMs), lets the entries in hand be processed and acked, disconnects. */
  async close(): Promise<void> {
    if (!this.loop) return void this.redis.disconnect();
    this.running = false;
    await this.loop;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (Date.now() >= this.nextClaimMs) {
          this.nextClaimMs = Date.now() + this.config.claimIntervalMs;
          await this.claimAbandoned();
        }
        await this.readNew();
      } catch (err) {
        if (!this.running) break;
        const message = (err as Error).message;
        this.log.warn('redis stream read failed; retrying', { error: message });
        if (message.includes('NOGROUP')) await this.ensureGroup().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS));
      }
    }
  }

  private async ensureGroup(): Promise<void> {
    const { stream, group } = this.config;
    try {
      await this.redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM');
      this.log.info('redis consumer group created', { stream, group });
    } catch (err) {
      if (!(err as Error).message.includes('BUSYGROUP')) throw err;
    }
  }

  private async readNew(): Promise<void> {
    const { stream, group, consumer, count, blockMs } = this.config;
    const reply = (await this.redis.callBuffer('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', stream, '>')) as
      | [Buffer, StreamEntry[]][]
      | null;
    if (reply) for (const [, entries] of reply) await this.process(entries);
  }

  private async claimAbandoned(): Promise<void> {
    const { stream, group, consumer, count, claimIdleMs } = this.config;
    let cursor = '0-0';
    for (let page = 0; page < CLAIM_PAGES && this.running; page++) {
      const [next, entries] = (await this.redis.callBuffer('XAUTOCLAIM', stream, group, consumer, claimIdleMs, cursor, 'COUNT', count)) as [Buffer, StreamEntry[]];
      if (entries.length > 0) {
        this.events.entriesClaimed(entries.length);
        this.log.info('claimed entries abandoned by another consumer', { stream, group, entries: entries.length });
        await this.process(entries);
      }
      cursor = next.toString();
      if (cursor === '0-0') break;
    }
  }

  /** Processes entries in order, then acks them all — those that failed too (logged and counted, never retried). */
  private async process(entries: StreamEntry[]): Promise<void> {
    const ids: Buffer[] = [];
    for (const [id, fields] of entries) {
      ids.push(id);
      const bytes = fields ? fieldValue(fields, RECORD_STREAM_FIELD) : undefined;
      if (!fields) continue; // trimmed away (MAXLEN) while pending
      let batch;
      try {
        if (!bytes) throw new Error(`no '${RECORD_STREAM_FIELD}' field`);
        batch = decodeRecordBatch(bytes);
      } catch (err) {
        this.events.decodeError('redis');
        this.log.warn('undecodable stream entry, acknowledged and skipped', { id: id.toString(), error: (err as Error).message });
        continue;
      }
      try {
        await this.sink.accept(batch, 'redis');
      } catch (err) {
        // a bug, not a bad entry: retrying it would fail the same way, forever
        this.log.error('stream entry processing failed, acknowledged', { id: id.toString(), error: (err as Error).message });
      }
    }
    if (ids.length > 0) await this.redis.callBuffer('XACK', this.config.stream, this.config.group, ...ids);
  }
}

function fieldValue(fields: Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === name) return fields[i + 1];
  return undefined;
}
