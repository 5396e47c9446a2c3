/**
 * RecordPublisher's contract with an in-memory sink: batches by count, by bytes
 * and on the flush timer; bounded, with every refused record counted as
 * dropped; a batch let go only once the sink confirmed it; close().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordPublisher, type PublisherOptions, type RecordSink } from '../../../gateway/publishing/record-publisher.js';
import { createLogger } from '../../../runtime/log.js';
import { decodeRecordBatch, type RecordBatch } from '../../../runtime/records.js';
import { until } from '../../helpers/poll.js';

class MemorySink implements RecordSink {
  readonly name = 'memory';
  readonly stored: Array<{ batch: RecordBatch; records: number; bytes: number }> = [];
  attempts = 0;
  failing = false;
  closed = false;
  /** While set, sends wait for it. */
  hold: Promise<void> | undefined;

  async send(batch: Uint8Array, records: number): Promise<void> {
    this.attempts++;
    const bytes = Buffer.from(batch); // what a transport would have written out
    await this.hold;
    if (this.failing) throw new Error('sink away');
    this.stored.push({ batch: decodeRecordBatch(bytes), records, bytes: bytes.byteLength });
    assert.equal(this.stored.at(-1)!.batch.predictions.length + this.stored.at(-1)!.batch.feedback.length, records);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  ids(): string[] {
    return this.stored.flatMap((s) => [...s.batch.predictions.map((p) => p.id), ...s.batch.feedback.map((f) => f.id)]);
  }
}

class Counts {
  published = 0;
  dropped = 0;
  depth = 0;
  recordsPublished(_sink: string, n: number): void {
    this.published += n;
  }
  recordsDropped(_sink: string, n: number): void {
    this.dropped += n;
  }
  bufferDepth(_sink: string, n: number): void {
    this.depth = n;
  }
}

const quiet = createLogger({ component: 'test' }, 'error');

function publisher(options: Partial<PublisherOptions>, sink = new MemorySink()) {
  const counts = new Counts();
  const p = new RecordPublisher(sink, { maxBufferedRecords: 1000, maxBatchRecords: 10, maxBatchBytes: 1 << 20, flushIntervalMs: 20, minRetryMs: 10, maxRetryMs: 40, ...options }, counts, quiet);
  return { p, sink, counts };
}

const output = (value: number) => [{ name: 'y', datatype: 'FP32', shape: [1, 1], data: Float32Array.of(value) }];

function predict(p: RecordPublisher, id: string, values = 1): void {
  p.publishPrediction({ id, model: 'm', version: '1', role: 'stable', timeMs: Date.now(), inputs: [{ name: 'x', datatype: 'FP32', shape: [1, values], data: new Float32Array(values).fill(0.5) }], outputs: output(1), latencyUs: 250, status: 'OK' });
}

describe('RecordPublisher', () => {
  it('sends full batches at once and a partial one on the flush timer', async () => {
    const { p, sink, counts } = publisher({ maxBatchRecords: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 25; i++) predict(p, `r${i}`);
    await until('two full batches', () => sink.stored.length === 2);
    assert.deepEqual(sink.stored.map((s) => s.records), [10, 10]);
    await p.close();
    assert.deepEqual(sink.stored.map((s) => s.records), [10, 10, 5]);
    assert.deepEqual(sink.ids(), Array.from({ length: 25 }, (_, i) => `r${i}`));
    assert.equal(counts.published, 25);
    assert.equal(counts.dropped, 0);
    assert.ok(sink.closed);
  });

  it('sends a partial batch when the flush timer fires', async () => {
    const { p, sink, counts } = publisher({ maxBatchRecords: 100, flushIntervalMs: 20 });
    predict(p, 'a');
    p.publishFeedback('a', 'm', [1, 0], Date.now());
    await until('the partial batch', () => counts.published === 2);
    assert.equal(sink.stored.length, 1);
    assert.equal(sink.stored[0]!.batch.predictions[0]!.id, 'a');
    assert.deepEqual(sink.stored[0]!.batch.feedback[0]!.labels, [1, 0]);
    assert.equal(counts.depth, 0);
    await p.close();
  });

  it('closes batches by bytes', async () => {
    const { p, sink, counts } = publisher({ maxBatchRecords: 1000, maxBatchBytes: 2048, flushIntervalMs: 60_000 });
    for (let i = 0; i < 40; i++) predict(p, `r${i}`, 50); // ~250 bytes each
    predict(p, 'huge', 2000); // 8 kB: alone
    for (let i = 40; i < 45; i++) predict(p, `r${i}`, 50);
    await p.close();
    assert.equal(counts.published, 46);
    assert.deepEqual(sink.ids(), [...Array.from({ length: 40 }, (_, i) => `r${i}`), 'huge', ...Array.from({ length: 5 }, (_, i) => `r${40 + i}`)]);
    const huge = sink.stored.find((s) => s.batch.predictions.some((r) => r.id === 'huge'))!;
    assert.equal(huge.records, 1);
    for (const s of sink.stored) if (s !== huge) assert.ok(s.bytes <= 2048, `${s.bytes} bytes`);
    assert.ok(sink.stored.length >= 6);
  });

  it('drops new records beyond maxBufferedRecords and counts them, while the sink is away', async () => {
    const { p, sink, counts } = publisher({ maxBufferedRecords: 25, maxBatchRecords: 10, flushIntervalMs: 10, minRetryMs: 10, maxRetryMs: 20 });
    sink.failing = true;
    for (let i = 0; i < 40; i++) predict(p, `r${i}`);
    assert.equal(counts.dropped, 15, 'the 15 records over the bound');
    await until('retries', () => sink.attempts >= 3);
    assert.equal(counts.published, 0);
    assert.equal(sink.stored.length, 0);
    // the sink is back: every kept record arrives, in order, nothing twice
    sink.failing = false;
    await until('the backlog delivered', () => counts.published === 25);
    assert.deepEqual(sink.ids(), Array.from({ length: 25 }, (_, i) => `r${i}`));
    assert.equal(counts.dropped, 15);
    // and there is room again
    predict(p, 'after');
    await p.close();
    assert.equal(sink.ids().at(-1), 'after');
    assert.equal(counts.published + counts.dropped, 41);
  });

  it('counts a group as its requests: published, and dropped whole when the buffer is full', async () => {
    const { p, sink, counts } = publisher({ maxBufferedRecords: 8, maxBatchRecords: 100, flushIntervalMs: 10, minRetryMs: 10, maxRetryMs: 20 });
    sink.failing = true;
    const group = (first: number, n: number) => {
      const requests = Array.from({ length: n }, (_, i) => ({ id: `g${first + i}`, role: 'stable', rows: 1, inputs: [] }));
      const outputs = [{ name: 'y', datatype: 'FP32', shape: [n, 1], data: new Float32Array(n) }];
      p.publishGroup({ model: 'm', version: '1', timeMs: Date.now(), requests, latencyUs: requests.map(() => 5), sampled: requests.map(() => false), outputs });
    };
    group(0, 5);
    group(5, 4); // 9 buffered: over the bound from now on
    group(9, 3);
    assert.equal(counts.dropped, 3, 'the whole third group');
    sink.failing = false;
    await until('the kept groups delivered', () => counts.published === 9);
    assert.deepEqual(sink.ids(), Array.from({ length: 9 }, (_, i) => `g${i}`));
    await p.close();
    assert.equal(counts.published + counts.dropped, 12);
  });

  it('keeps a batch whose send failed and sends it again', async () => {
    const { p, sink, counts } = publisher({ maxBatchRecords: 5, flushIntervalMs: 10 });
    let release!: () => void;
    sink.hold = new Promise<void>((resolve) => (release = resolve));
    sink.failing = true;
    for (let i = 0; i < 5; i++) predict(p, `r${i}`);
    await until('the send started', () => sink.attempts === 1);
    for (let i = 5; i < 12; i++) predict(p, `r${i}`); // more arrive while the first batch is in flight
    release();
    await until('a failed attempt', () => sink.attempts >= 2);
    sink.hold = undefined;
    sink.failing = false;
    await until('everything delivered', () => counts.published === 12);
    assert.deepEqual(sink.ids(), Array.from({ length: 12 }, (_, i) => `r${i}`));
    assert.equal(counts.dropped, 0);
    await p.close();
  });

  it('close() sends what it can, then counts the rest as dropped, and drops later records', async () => {
    const up = publisher({ maxBatchRecords: 4, flushIntervalMs: 60_000 });
    up.sink.hold = new Promise<void>((resolve) => setTimeout(resolve, 30));
    for (let i = 0; i < 11; i++) predict(up.p, `r${i}`);
    await up.p.close();
    assert.equal(up.counts.published, 11, 'every batch, not just the first');
    assert.equal(up.counts.dropped, 0);
    predict(up.p, 'late');
    assert.equal(up.counts.dropped, 1);

    const down = publisher({ maxBatchRecords: 4, flushIntervalMs: 60_000 });
    down.sink.failing = true;
    for (let i = 0; i < 11; i++) predict(down.p, `r${i}`);
    await down.p.close();
    assert.equal(down.counts.published, 0);
    assert.equal(down.counts.dropped, 11);
    assert.ok(down.sink.closed);
  });
});
