/**
 * The record sink on its own thread: batches the encoder carved out of shared memory reach a
 * real monitor over gRPC, and a real Redis stream, as they were encoded; a send the sink cannot
 * make fails (so the publisher keeps the batch) and the thread stays usable.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RecordBatchEncoder } from '../../../gateway/publishing/record-encoder.js';
import { PortSink } from '../../../gateway/publishing/port-sink.js';
import { SinkThread, type SinkSpec } from '../../../gateway/publishing/sink-thread.js';
import { createLogger } from '../../../runtime/log.js';
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

/** A sink thread and one publisher's end of it (a shard's PortSink); `restarted` counts replacements of the thread. */
function connectedSink(spec: SinkSpec): { thread: SinkThread; sink: PortSink; restarts: () => number } {
  let restarts = 0;
  const sink = new PortSink(spec.kind);
  const thread: SinkThread = new SinkThread(spec, createLogger({ component: 'test' }, 'error', () => {}), () => {
    restarts++;
    sink.connect(thread.connect());
  });
  sink.connect(thread.connect());
  return { thread, sink, restarts: () => restarts };
}

describe('record sink thread', () => {
  it('delivers batches to the monitor over gRPC, each send resolving once the monitor has it', async (t) => {
    const m = await startTestMonitor();
    const { thread, sink } = connectedSink({ kind: 'grpc', address: m.grpc });
    t.after(async () => {
      await thread.close();
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
    const { thread, sink } = connectedSink({ kind: 'grpc', address: '127.0.0.1:1' });
    t.after(() => thread.close());
    const batch = encodedGroup(2);
    await assert.rejects(sink.send(batch.bytes, batch.records), /UNAVAILABLE|ECONNREFUSED|No connection/i);
    await assert.rejects(sink.send(batch.bytes, batch.records), /UNAVAILABLE|ECONNREFUSED|No connection/i);
  });

  it('refuses a monitor address that is not HOST:PORT when it is made, not by dying', () => {
    assert.throws(() => new SinkThread({ kind: 'grpc', address: '' }, createLogger({ component: 'test' }, 'error', () => {}), () => {}), /monitor address '' is not HOST:PORT/);
  });

  it('fails the sends of a thread that dies; a replacement thread takes the next ones', async (t) => {
    const m = await startTestMonitor();
    const { thread, sink, restarts } = connectedSink({ kind: 'grpc', address: m.grpc });
    t.after(async () => {
      await thread.close();
      await m.stop();
    });
    const batch = encodedGroup(3);
    await sink.send(batch.bytes, batch.records);
    await thread.thread.terminate();
    await assert.rejects(sink.send(batch.bytes, batch.records), /not reachable/, 'a send to the dead thread fails at once');
    await eventually('a replacement thread connected', () => (restarts() === 1 ? true : undefined));
    await sink.send(batch.bytes, batch.records);
    await eventually('six predictions of m v1', () => (m.monitor.status().models.m?.versions['1']?.samples.predictions === 6 ? true : undefined));
  });

  it('appends batches to the Redis stream as they were encoded', { skip: redis.skip }, async (t) => {
    assert.equal(redis.problem, undefined, redis.problem);
    const { thread, sink } = connectedSink({ kind: 'redis', url: redis.url, maxLength: 1000 });
    const reader = new Redis(redis.url);
    t.after(async () => {
      await thread.close();
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
