/** The dynamic batcher's flush rules, bounds and drain, with a runner that records batches. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamicBatcher, type BatchRequest, type BatcherOptions } from '../../../gateway/inference/batcher.js';
import type { SwitchyardError } from '../../../runtime/errors.js';

type Req = BatchRequest<number, number>;

/** Waits until the batcher has dispatched (a timer alone can fire before setImmediate on a loaded machine). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

function recordingBatcher(options: Partial<BatcherOptions>, hold?: Promise<void>) {
  const batches: number[][] = [];
  const batcher = new DynamicBatcher<number, number>(
    { maxBatchSize: 8, maxQueueDelayUs: 0, preferredBatchSizes: [], maxQueueSize: 100, capacity: 1, ...options },
    async (batch: Req[]) => {
      batches.push(batch.map((r) => r.payload));
      await hold;
      for (const r of batch) r.resolve(r.payload * 10);
    },
    { queueDepth() {}, inflight() {} },
  );
  return { batcher, batches };
}

describe('DynamicBatcher', () => {
  it('sends requests that arrive in the same turn as one batch, capped at max_batch_size', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 4, capacity: 4 });
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => batcher.enqueue(n, 1)));
    assert.deepEqual(results, [10, 20, 30, 40, 50, 60]);
    assert.deepEqual(batches, [[1, 2, 3, 4], [5, 6]]);
  });

  it('never splits a multi-row request and keeps the row limit', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 4, capacity: 4 });
    await Promise.all([batcher.enqueue(1, 3), batcher.enqueue(2, 2), batcher.enqueue(3, 2)]);
    assert.deepEqual(batches, [[1], [2, 3]]);
  });

  it('keeps requests with different shape keys apart', async () => {
    const { batcher, batches } = recordingBatcher({ capacity: 4 });
    await Promise.all([batcher.enqueue(1, 1, undefined, 'a'), batcher.enqueue(2, 1, undefined, 'a'), batcher.enqueue(3, 1, undefined, 'b')]);
    assert.deepEqual(batches, [[1, 2], [3]]);
  });

  it('waits max_queue_delay for a fuller batch, flushing early at a preferred size', async () => {
    const { batcher, batches } = recordingBatcher({ maxQueueDelayUs: 5_000_000, preferredBatchSizes: [3] });
    const first = batcher.enqueue(1, 1);
    await sleep(20);
    assert.deepEqual(batches, [], 'a lone request waits for company');
    const rest = [batcher.enqueue(2, 1), batcher.enqueue(3, 1)];
    await Promise.all([first, ...rest]);
    assert.deepEqual(batches, [[1, 2, 3]], 'flushed at the preferred size, before the delay');
  });

  it('flushes a partial batch once the oldest request has waited max_queue_delay', async () => {
    const { batcher, batches } = recordingBatcher({ maxQueueDelayUs: 30_000 });
    const started = performance.now();
    await batcher.enqueue(1, 1);
    assert.ok(performance.now() - started >= 29, 'the request waited for the delay');
    assert.deepEqual(batches, [[1]]);
  });

  it('queues while the pool is at capacity, so the next batch grows', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const { batcher, batches } = recordingBatcher({ capacity: 1 }, hold);
    const first = batcher.enqueue(1, 1);
    await until(() => batcher.inflight === 1);
    const later = [2, 3, 4].map((n) => batcher.enqueue(n, 1));
    await sleep(5);
    assert.equal(batcher.queued, 3);
    release();
    await Promise.all([first, ...later]);
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
  });

  it('refuses at once when the queue is full', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const { batcher } = recordingBatcher({ capacity: 1, maxQueueSize: 2 }, hold);
    const running = batcher.enqueue(1, 1);
    await until(() => batcher.inflight === 1);
    const queued = [batcher.enqueue(2, 1), batcher.enqueue(3, 1)];
    await assert.rejects(batcher.enqueue(4, 1), (err: SwitchyardError) => err.code === 'SY_ERR_QUEUE_FULL');
    release();
    assert.deepEqual(await Promise.all([running, ...queued]), [10, 20, 30]);
  });

  it('drops a request whose deadline passed while queued, without running it', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const { batcher, batches } = recordingBatcher({ capacity: 1 }, hold);
    const running = batcher.enqueue(1, 1);
    await until(() => batcher.inflight === 1);
    const expiring = batcher.enqueue(2, 1, performance.now() + 10);
    const patient = batcher.enqueue(3, 1, performance.now() + 60_000);
    await sleep(30);
    release();
    await assert.rejects(expiring, (err: SwitchyardError) => err.code === 'SY_ERR_DEADLINE_EXCEEDED');
    assert.equal(await patient, 30);
    await running;
    assert.deepEqual(batches, [[1], [3]]);
  });

  it('stop() answers everything queued and in flight, then refuses new requests', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const { batcher } = recordingBatcher({ capacity: 1, maxBatchSize: 1 }, hold);
    const accepted = [1, 2, 3].map((n) => batcher.enqueue(n, 1));
    await until(() => batcher.inflight === 1);
    const stopped = batcher.stop();
    await assert.rejects(batcher.enqueue(9, 1), (err: SwitchyardError) => err.code === 'SY_ERR_SHUTTING_DOWN');
    release();
    await stopped;
    assert.deepEqual(await Promise.all(accepted), [10, 20, 30]);
    assert.equal(batcher.inflight, 0);
  });

  it('rejects every request of a batch whose runner fails', async () => {
    const batcher = new DynamicBatcher<number, number>(
      { maxBatchSize: 8, maxQueueDelayUs: 0, preferredBatchSizes: [], maxQueueSize: 10, capacity: 1 },
      async () => {
        throw new Error('boom');
      },
      { queueDepth() {}, inflight() {} },
    );
    const results = await Promise.allSettled([batcher.enqueue(1, 1), batcher.enqueue(2, 1)]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  });
});
