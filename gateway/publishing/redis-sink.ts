/**
 * Batches appended to a Redis stream (`XADD … MAXLEN ~`) that the monitors
 * read with a consumer group. Once XADD returns, the batch survives a monitor
 * restart; the stream's cap bounds Redis memory.
 */
import { Redis } from 'ioredis';
import { RECORD_STREAM_FIELD, RECORD_STREAM_KEY } from '../../runtime/records.js';
import type { Logger } from '../../runtime/log.js';
import type { RecordSink } from './record-publisher.js';

export class RedisRecordSink implements RecordSink {
  readonly name = 'redis';
  private readonly redis: Redis;

  constructor(url: string, private readonly maxLength: number, log: Logger) {
    // No offline queue: a send while disconnected fails at once and the publisher keeps the batch.
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.redis.on('error', (err: Error) => log.debug('redis record sink error', { error: err.message }));
  }

  /** `batch` is an encoded RecordBatch (record-encoder): it becomes the entry's `batch` field as it is. */
  async send(batch: Uint8Array): Promise<void> {
    const bytes = Buffer.isBuffer(batch) ? batch : Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
    await this.redis.xadd(RECORD_STREAM_KEY, 'MAXLEN', '~', this.maxLength, '*', RECORD_STREAM_FIELD, bytes);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
