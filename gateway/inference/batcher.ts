/**
 * The dynamic batcher of one model version. Requests queue; a batch leaves when
 * it reaches `max_batch_size` or a preferred size, or when its oldest request
 * has waited `max_queue_delay_us`, and only while the worker pool has room
 * (`capacity` batches in flight). Requests that arrive in the same event-loop
 * turn always travel together: scheduling runs on setImmediate.
 */
import { performance } from 'node:perf_hooks';
import { SwitchyardError } from '../../runtime/errors.js';
import { FifoQueue, type Queued, type RequestQueue } from './request-queue.js';

export interface BatchRequest<I, O> extends Queued {
  payload: I;
  /** Only requests with equal keys share a batch (e.g. equal non-batch dimensions). */
  shapeKey: string;
  /** performance.now() time after which the request is dropped instead of run. */
  deadline: number | undefined;
  resolve(result: O): void;
  reject(err: SwitchyardError): void;
}

/** Runs one batch and settles every request in it. */
export type BatchRunner<I, O> = (batch: BatchRequest<I, O>[]) => Promise<void>;

export interface BatcherOptions {
  /** 0: no batching, each request runs alone. */
  maxBatchSize: number;
  maxQueueDelayUs: number;
  preferredBatchSizes: readonly number[];
  maxQueueSize: number;
  /** Batches that may be in flight at once. */
  capacity: number;
}

export interface BatcherObserver {
  queueDepth(requests: number): void;
  inflight(batches: number): void;
}

export class DynamicBatcher<I, O> {
  private readonly queue: RequestQueue<BatchRequest<I, O>> = new FifoQueue();
  private readonly delayMs: number;
  private running = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private drained: (() => void) | undefined;

  constructor(
    private readonly options: Readonly<BatcherOptions>,
    private readonly runner: BatchRunner<I, O>,
    private readonly observer: BatcherObserver,
  ) {
    this.delayMs = options.maxQueueDelayUs / 1000;
  }

  get queued(): number {
    return this.queue.size;
  }

  get inflight(): number {
    return this.running;
  }

  enqueue(payload: I, rows: number, deadline?: number, shapeKey = ''): Promise<O> {
    if (this.stopping) {
      return Promise.reject(new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'model version is draining and takes no new requests; retry'));
    }
    if (this.queue.size >= this.options.maxQueueSize) {
      return Promise.reject(new SwitchyardError('SY_ERR_QUEUE_FULL', `queue is full (${this.options.maxQueueSize} requests waiting); retry later`));
    }
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ payload, rows, shapeKey, deadline, enqueuedAt: performance.now(), resolve, reject });
      this.observer.queueDepth(this.queue.size);
      this.schedule();
    });
  }

  /** Takes no new requests, runs everything queued, resolves when nothing is queued or in flight. */
  stop(): Promise<void> {
    this.stopping = true;
    if (this.queue.size === 0 && this.running === 0) return Promise.resolve();
    const done = new Promise<void>((resolve) => (this.drained = resolve));
    this.schedule();
    return done;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.dispatchReady);
  }

  private readonly dispatchReady = (): void => {
    this.scheduled = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running < this.options.capacity && this.queue.size > 0) {
      const now = performance.now();
      const limit = this.readyRows(now);
      if (limit === 0) {
        this.waitForOldest(now);
        return;
      }
      const batch = this.take(limit, now);
      if (batch.length > 0) this.run(batch);
    }
    this.checkDrained();
  };

  /** Rows to take now, or 0 to keep waiting for a fuller batch. */
  private readyRows(now: number): number {
    const max = Math.max(1, this.options.maxBatchSize);
    const rows = this.queue.rows;
    if (rows >= max || this.stopping) return max;
    const preferred = this.options.preferredBatchSizes;
    for (let i = preferred.length - 1; i >= 0; i--) if (preferred[i]! <= rows) return preferred[i]!;
    return now - this.queue.peek()!.enqueuedAt >= this.delayMs ? max : 0;
  }

  private waitForOldest(now: number): void {
    const remaining = this.queue.peek()!.enqueuedAt + this.delayMs - now;
    // setTimeout cannot wait less than 1 ms; shorter delays re-check on the next loop turn.
    if (remaining >= 1) this.timer = setTimeout(this.dispatchReady, remaining);
    else this.schedule();
  }

  /** Whole requests up to `limit` rows (at least one); expired ones are answered, never run. */
  private take(limit: number, now: number): BatchRequest<I, O>[] {
    const batch: BatchRequest<I, O>[] = [];
    let rows = 0;
    const alone = this.options.maxBatchSize === 0;
    for (let next = this.queue.peek(); next; next = this.queue.peek()) {
      if (batch.length > 0 && (alone || rows + next.rows > limit || next.shapeKey !== batch[0]!.shapeKey)) break;
      this.queue.shift();
      if (next.deadline !== undefined && next.deadline <= now) {
        next.reject(new SwitchyardError('SY_ERR_DEADLINE_EXCEEDED', `request timed out after waiting ${Math.round((now - next.enqueuedAt) * 1000)} us in the queue`));
        continue;
      }
      batch.push(next);
      rows += next.rows;
    }
    this.observer.queueDepth(this.queue.size);
    return batch;
  }

  private run(batch: BatchRequest<I, O>[]): void {
    this.running++;
    this.observer.inflight(this.running);
    this.runner(batch)
      .catch((err: unknown) => {
        const error = err instanceof SwitchyardError ? err : new SwitchyardError('SY_ERR_INTERNAL', String(err));
        for (const request of batch) request.reject(error);
      })
      .finally(() => {
        this.running--;
        this.observer.inflight(this.running);
        this.schedule();
      });
  }

  private checkDrained(): void {
    if (this.drained && this.queue.size === 0 && this.running === 0) {
      this.drained();
      this.drained = undefined;
    }
  }
}
