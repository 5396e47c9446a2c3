/**
 * Hands prediction and feedback records to the monitor without ever blocking
 * serving: each record is encoded the moment it is published (record-encoder)
 * into the open batch, batches wait in a bounded buffer, and a batch is only
 * forgotten once the sink confirmed it. While the sink is away the buffer
 * fills; beyond its bound new records are dropped and counted — the drop
 * counter explains every record the monitor never saw.
 */
import type { Logger } from '../../runtime/log.js';
import { DEFAULT_MAX_BATCH_BYTES, RecordBatchEncoder, type ServedGroup, type SinglePrediction } from './record-encoder.js';

/**
 * Where batches go (gRPC stream to the monitor, or Redis Streams): `batch` is
 * one encoded RecordBatch message of `records` records. Resolves once the
 * batch is stored; the bytes must not be kept after that.
 */
export interface RecordSink {
  readonly name: string;
  send(batch: Uint8Array, records: number): Promise<void>;
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
  /** Encoded bytes per batch at most (a record larger than this goes alone). */
  maxBatchBytes: number;
  /** How often a partial batch is sent. */
  flushIntervalMs: number;
  /** Retry delay after a failed send, doubling up to maxRetryMs. */
  minRetryMs: number;
  maxRetryMs: number;
}

/**
 * Each send has a fixed cost (a message on the gRPC stream or an XADD, and its
 * ack, on the sink's thread), so batches hold up to 1 MiB and partial ones
 * leave every second: about one send a second at 20,000 requests/s (grouped
 * records take ~50 bytes each), still far fresher than any monitor window.
 */
export const PUBLISHER_DEFAULTS: Readonly<PublisherOptions> = Object.freeze({
  maxBufferedRecords: 50_000,
  maxBatchRecords: 8192,
  maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
  flushIntervalMs: 1_000,
  minRetryMs: 100,
  maxRetryMs: 2_000,
});

export class RecordPublisher {
  private readonly encoder: RecordBatchEncoder;
  /** Records encoded and not yet confirmed (closed batches and the open one). */
  private buffered = 0;
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
    this.encoder = new RecordBatchEncoder(options.maxBatchRecords, options.maxBatchBytes);
    this.retryMs = options.minRetryMs;
    this.timer = setInterval(() => void this.flush(true), options.flushIntervalMs);
    this.timer.unref();
  }

  /** A served request. Tensors are copied into the batch at once; nothing of them is kept. */
  publishPrediction(prediction: SinglePrediction): void {
    this.publish(1, () => this.encoder.appendPrediction(prediction));
  }

  /** The answered requests of one ONNX run, with the run's outputs. Tensors and columns are copied at once. */
  publishGroup(group: ServedGroup): void {
    this.publish(group.requests.length, () => this.encoder.appendGroup(group));
  }

  /** A ground-truth item: one label per row of request `id`. */
  publishFeedback(id: string, model: string, labels: readonly number[], timeMs: number): void {
    this.publish(1, () => this.encoder.appendFeedback(id, model, labels, timeMs));
  }

  /** Sends what is buffered (one last try per batch, while the sink takes them), then closes the sink. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    while (this.sending) await new Promise((resolve) => setTimeout(resolve, 10));
    this.encoder.closeBatch();
    try {
      while (this.encoder.closed.length > 0) await this.sendOldest();
    } catch {
      // counted below
    }
    if (this.buffered > 0) this.drop(this.buffered, 'publisher closed with the sink unreachable');
    while (this.encoder.closed.length > 0) this.encoder.release();
    this.buffered = 0;
    await this.sink.close();
  }

  /** `records` records into the open batch by `append`: refused and counted when the buffer is full or closed, or when they do not encode. */
  private publish(records: number, append: () => void): void {
    if (!this.admit(records)) return;
    try {
      append();
    } catch (err) {
      return this.encodingFailed(err, records);
    }
    this.added(records);
  }

  private admit(records: number): boolean {
    if (this.closed) {
      this.drop(records, 'publisher closed');
      return false;
    }
    if (this.buffered >= this.options.maxBufferedRecords) {
      this.drop(records, 'buffer full');
      return false;
    }
    return true;
  }

  private added(records: number): void {
    this.buffered += records;
    // A full batch closes in the encoder and goes at once; a partial one waits for the flush timer.
    if (this.encoder.closed.length > 0) void this.flush(false);
  }

  private encodingFailed(err: unknown, records: number): void {
    this.observer.recordsDropped(this.sink.name, records);
    this.log.error('record could not be encoded; dropped', { sink: this.sink.name, error: (err as Error).message });
  }

  private drop(records: number, reason: string): void {
    this.observer.recordsDropped(this.sink.name, records);
    this.log.debug('records dropped', { sink: this.sink.name, records, reason });
  }

  private async flush(timer: boolean): Promise<void> {
    if (this.sending) return;
    // On the timer the open batch closes, unless older batches wait (the sink is behind): then it fills up first.
    if (timer && this.encoder.closed.length === 0) this.encoder.closeBatch();
    if (this.encoder.closed.length === 0) return;
    this.sending = true;
    try {
      while (this.encoder.closed.length > 0) await this.sendOldest();
      this.retryMs = this.options.minRetryMs;
    } catch (err) {
      this.log.warn('record sink unavailable; keeping records and retrying', { sink: this.sink.name, buffered: this.buffered, retry_ms: this.retryMs, error: (err as Error).message });
      await new Promise((resolve) => setTimeout(resolve, this.retryMs * (0.5 + Math.random())).unref());
      this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs);
    } finally {
      this.sending = false;
      this.observer.bufferDepth(this.sink.name, this.buffered);
    }
  }

  /** The oldest closed batch, let go only once the sink has it. */
  private async sendOldest(): Promise<void> {
    const batch = this.encoder.closed[0]!;
    await this.sink.send(batch.bytes, batch.records);
    this.encoder.release();
    this.buffered -= batch.records;
    this.observer.recordsPublished(this.sink.name, batch.records);
    this.observer.bufferDepth(this.sink.name, this.buffered);
  }
}
