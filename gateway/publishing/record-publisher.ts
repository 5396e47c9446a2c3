/**
 * Hands prediction and feedback records to the monitor without ever blocking
 * serving: records wait in a bounded buffer, leave in batches, and a batch is
 * only forgotten once the sink confirmed it. While the sink is away the
 * buffer fills; beyond its bound new records are dropped and counted — the
 * drop counter explains every record the monitor never saw.
 */
import type { Logger } from '../../runtime/log.js';
import type { FeedbackRecord, PredictionRecord, RecordBatch } from '../../runtime/records.js';

/** Where batches go (gRPC stream to the monitor, or Redis Streams). Resolves once the batch is stored. */
export interface RecordSink {
  readonly name: string;
  send(batch: RecordBatch): Promise<void>;
  close(): Promise<void>;
}

export interface PublisherObserver {
  recordsPublished(sink: string, records: number): void;
  recordsDropped(sink: string, records: number): void;
  bufferDepth(sink: string, records: number): void;
}

export interface PublisherOptions {
  /** Records held at most while the sink is slow or away. */
  maxBufferedRecords: number;
  /** Records per batch at most. */
  maxBatchRecords: number;
  /** How often a partial batch is sent. */
  flushIntervalMs: number;
  /** Retry delay after a failed send, doubling up to maxRetryMs. */
  minRetryMs: number;
  maxRetryMs: number;
}

export const PUBLISHER_DEFAULTS: Readonly<PublisherOptions> = Object.freeze({
  maxBufferedRecords: 50_000,
  maxBatchRecords: 512,
  flushIntervalMs: 50,
  minRetryMs: 100,
  maxRetryMs: 2_000,
});

type Item = { kind: 'prediction'; record: PredictionRecord } | { kind: 'feedback'; record: FeedbackRecord };

export class RecordPublisher {
  private buffer: Item[] = [];
  private sending = false;
  private retryMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly sink: RecordSink,
    private readonly options: Readonly<PublisherOptions>,
    private readonly observer: PublisherObserver,
    private readonly log: Logger,
  ) {
    this.retryMs = options.minRetryMs;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.timer.unref();
  }

  publishPrediction(record: PredictionRecord): void {
    this.add({ kind: 'prediction', record });
  }

  publishFeedback(record: FeedbackRecord): void {
    this.add({ kind: 'feedback', record });
  }

  /** Sends what is buffered (one last try), then closes the sink. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    while (this.sending) await new Promise((resolve) => setTimeout(resolve, 10));
    if (this.buffer.length > 0) await this.sendOnce().catch(() => {});
    if (this.buffer.length > 0) this.drop(this.buffer.length, 'publisher closed with the sink unreachable');
    await this.sink.close();
  }

  private add(item: Item): void {
    if (this.closed) return this.drop(1, 'publisher closed');
    if (this.buffer.length >= this.options.maxBufferedRecords) return this.drop(1, 'buffer full');
    this.buffer.push(item);
    if (this.buffer.length >= this.options.maxBatchRecords) void this.flush();
  }

  private drop(records: number, reason: string): void {
    this.observer.recordsDropped(this.sink.name, records);
    this.log.debug('records dropped', { sink: this.sink.name, records, reason });
  }

  private async flush(): Promise<void> {
    if (this.sending || this.buffer.length === 0) return;
    this.sending = true;
    try {
      // Full batches go at once; a partial one waits for the next tick of the flush timer.
      do await this.sendOnce();
      while (this.buffer.length >= this.options.maxBatchRecords);
      this.retryMs = this.options.minRetryMs;
    } catch (err) {
      this.log.warn('record sink unavailable; keeping records and retrying', { sink: this.sink.name, buffered: this.buffer.length, retry_ms: this.retryMs, error: (err as Error).message });
      await new Promise((resolve) => setTimeout(resolve, this.retryMs * (0.5 + Math.random())).unref());
      this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs);
    } finally {
      this.sending = false;
      this.observer.bufferDepth(this.sink.name, this.buffer.length);
    }
  }

  /** One batch off the front of the buffer, removed only once the sink has it. */
  private async sendOnce(): Promise<void> {
    const items = this.buffer.slice(0, this.options.maxBatchRecords);
    const batch: RecordBatch = { predictions: [], feedback: [] };
    for (const item of items) {
      if (item.kind === 'prediction') batch.predictions.push(item.record);
      else batch.feedback.push(item.record);
    }
    await this.sink.send(batch);
    this.buffer.splice(0, items.length);
    this.observer.recordsPublished(this.sink.name, items.length);
    this.observer.bufferDepth(this.sink.name, this.buffer.length);
  }
}
