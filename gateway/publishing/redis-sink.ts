/**
 * Batches appended to a Redis stream (`XADD … MAXLEN ~`) that the monitors
 * read with a consumer group. Once XADD returns, the batch survives a monitor
 * restart; the stream's cap bounds Redis memory.
 */
import { Redis } from 'ioredis';
import { encodeRecordBatch, RECORD_STREAM_FIELD, RECORD_STREAM_KEY, type RecordBatch } from '../../runtime/records.js';
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

  async send(batch: RecordBatch): Promise<void> {
    await this.redis.xadd(RECORD_STREAM_KEY, 'MAXLEN', '~', this.maxLength, '*', RECORD_STREAM_FIELD, Buffer.from(encodeRecordBatch(batch)));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
