/**
 * The record sink on its own thread: batches the encoder carved out of shared memory reach a
 * real monitor over gRPC, and a real Redis stream, as they were encoded; a send the sink cannot
 * make fails (so the publisher keeps the batch) and the thread stays usable.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RecordBatchEncoder } from '../../../gateway/publishing/record-encoder.js';
import { SinkThread } from '../../../gateway/publishing/sink-thread.js';
import { RECORD_STREAM_FIELD, RECORD_STREAM_KEY } from '../../../runtime/records.js';
import { redisGate } from '../../helpers/redis-gate.js';
import { eventually, startTestMonitor } from '../../monitor/helpers/monitor.js';

const redis = await redisGate();

/** One closed batch holding a group of `n` answered requests of model m, version 1. */
function encodedGroup(n: number): { bytes: Buffer; records: number } {
  const encoder = new RecordBatchEncoder(1024);
  const requests = Array.from({ length: n }, (_, i) => ({ id: `req-${i}`, role: 'stable', rows: 1, inputs: [] }));
  const probabilities = Float32Array.from(requests.flatMap((_, i) => (i % 2 ? [0.2, 0.8] : [0.9, 0.1])));
  encoder.appendGroup({
    model: 'm', version: '1', timeMs: Date.now(), requests,
    latencyUs: requests.map(() => 250), sampled: requests.map(() => false),
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [n, 2], data: probabilities }],
  });
  encoder.closeBatch();
  const batch = encoder.closed[0]!;
  assert.ok(batch.bytes.buffer instanceof SharedArrayBuffer, 'batches are carved out of shared memory');
  return batch;
}

describe('record sink thread', () => {
  it('delivers batches to the monitor over gRPC, each send resolving once the monitor has it', async (t) => {
    const m = await startTestMonitor();
    const sink = new SinkThread({ kind: 'grpc', address: m.grpc });
    t.after(async () => {
      await sink.close();
      await m.stop();
    });
    assert.equal(sink.name, 'grpc');
    for (const n of [3, 5]) {
      const batch = encodedGroup(n);
      await sink.send(batch.bytes, batch.records);
    }
    await eventually('eight predictions of m v1', () => (m.monitor.status().models.m?.versions['1']?.samples.predictions === 8 ? true : undefined));
  });

  it('fails a send the sink cannot make, and every later one alike: nothing waits behind a failure', async (t) => {
    const unreachable = new SinkThread({ kind: 'grpc', address: '127.0.0.1:1' });
    t.after(() => unreachable.close());
    const batch = encodedGroup(2);
    await assert.rejects(unreachable.send(batch.bytes, batch.records), /UNAVAILABLE|ECONNREFUSED|No connection/i);
    await assert.rejects(unreachable.send(batch.bytes, batch.records), /UNAVAILABLE|ECONNREFUSED|No connection/i);
  });

  it('fails the sends of a thread that dies, and starts a new thread for the next send', async (t) => {
    // an address that is no HOST:PORT: the thread throws while building its sink
    const broken = new SinkThread({ kind: 'grpc', address: '' });
    t.after(() => broken.close());
    const batch = encodedGroup(1);
    await assert.rejects(broken.send(batch.bytes, batch.records), /monitor address '' is not HOST:PORT/);
    await assert.rejects(broken.send(batch.bytes, batch.records), /monitor address '' is not HOST:PORT/, 'a new thread, which fails alike');
  });

  it('appends batches to the Redis stream as they were encoded', { skip: redis.skip }, async (t) => {
    assert.equal(redis.problem, undefined, redis.problem);
    const sink = new SinkThread({ kind: 'redis', url: redis.url, maxLength: 1000 });
    const reader = new Redis(redis.url);
    t.after(async () => {
      await sink.close();
      reader.disconnect();
    });
    assert.equal(sink.name, 'redis');
    const batch = encodedGroup(4);
    // until the sink has connected, a send fails at once (the publisher keeps the batch and retries)
    await eventually('the batch appended', () => sink.send(batch.bytes, batch.records).then(() => true, () => undefined));
    const [[, fields]] = (await reader.xrevrangeBuffer(RECORD_STREAM_KEY, '+', '-', 'COUNT', 1)) as [Buffer, Buffer[]][];
    assert.equal(fields![0]!.toString(), RECORD_STREAM_FIELD);
    assert.ok(fields![1]!.equals(batch.bytes), 'the entry holds the batch bytes');
  });
});
