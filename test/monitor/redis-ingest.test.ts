/**
 * Redis Streams ingest against a real Redis: entries XADDed as a gateway would (MAXLEN ~) are
 * processed and acknowledged; entries a consumer read and never acknowledged — it was killed
 * mid-way — are claimed by the live consumer once idle, so no record is lost; an undecodable
 * entry is counted and acknowledged, not retried forever.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { encodeRecordBatch, RECORD_STREAM_FIELD, type RecordBatch } from '../../runtime/records.js';
import { eventually, metricValue, startTestMonitor } from './helpers/monitor.js';
import { feedback, prediction, twoClass } from './helpers/records.js';
import { requireRedis, REDIS_URL } from './helpers/redis.js';

const GROUP = 'switchyard-monitor';

function batch(from: number, count: number): RecordBatch {
  const predictions = Array.from({ length: count }, (_, i) => prediction({ id: `r${from + i}`, model: 'churn', version: '1', probabilities: [twoClass(1)] }));
  return { predictions, feedback: [] };
}

async function xadd(redis: Redis, stream: string, bytes: Uint8Array): Promise<void> {
  await redis.xaddBuffer(stream, 'MAXLEN', '~', 10_000, '*', RECORD_STREAM_FIELD, Buffer.from(bytes));
}

describe('Redis Streams ingest', () => {
  it('claims the pending entries of a consumer killed mid-way: no record lost', async (t) => {
    if (!(await requireRedis(t))) return;
    const stream = `switchyard:test:records:${process.pid}:${Date.now()}`;
    const producer = new Redis(REDIS_URL, { protocol: 2 });
    let m: Awaited<ReturnType<typeof startTestMonitor>> | undefined;
    // One hook, in this order: a monitor still running would recreate the deleted stream.
    t.after(async () => {
      await m?.stop();
      await producer.del(stream);
      await producer.quit();
    });

    await producer.call('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM');
    for (let e = 0; e < 6; e++) await xadd(producer, stream, encodeRecordBatch(batch(e * 10, 10)));
    // a consumer reads three entries and dies before acknowledging them
    const taken = (await producer.call('XREADGROUP', 'GROUP', GROUP, 'killed-consumer', 'COUNT', 3, 'STREAMS', stream, '>')) as [string, unknown[]][];
    assert.equal(taken[0]![1].length, 3);
    await xadd(producer, stream, Uint8Array.of(0xff, 0xff, 0xff)); // not a RecordBatch

    m = await startTestMonitor({ grpcPort: null, redis: { url: REDIS_URL, stream, group: GROUP, consumer: 'live', blockMs: 100, claimIdleMs: 300, claimIntervalMs: 100 } });

    const predictions = (): number | undefined => m.monitor.status().models.churn?.versions['1']?.samples.predictions;
    await eventually('all 60 predictions', () => (predictions() === 60 ? true : undefined));
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_stream_claimed_total'), 3);
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_decode_errors_total', { transport: 'redis' }), 1);
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_records_total', { kind: 'prediction', transport: 'redis' }), 60);
    await eventually('no entry left pending', async () => ((await producer.call('XPENDING', stream, GROUP)) as [number])[0] === 0 || undefined);

    // while running: labels for the predictions, over the stream too
    await xadd(producer, stream, encodeRecordBatch({ predictions: [], feedback: Array.from({ length: 60 }, (_, i) => feedback(`r${i}`, 'churn', [i < 45 ? 1 : 0])) }));
    await eventually('labels joined', () => (m.monitor.status().models.churn!.versions['1']!.samples.labelled_rows === 60 ? true : undefined));
    m.monitor.evaluate();
    const quality = m.monitor.status().models.churn!.versions['1']!.quality.count!;
    assert.ok(quality.kind === 'classifier');
    assert.equal(quality.accuracy, 0.75);
  });

  it('creates the consumer group and the stream when missing, and reads what arrives after', async (t) => {
    if (!(await requireRedis(t))) return;
    const stream = `switchyard:test:records:${process.pid}:${Date.now()}:fresh`;
    const producer = new Redis(REDIS_URL, { protocol: 2 });
    t.after(async () => {
      await producer.del(stream);
      await producer.quit();
    });
    const m = await startTestMonitor({ grpcPort: null, redis: { url: REDIS_URL, stream, blockMs: 100 } });
    t.after(() => m.stop());
    const groups = (await producer.call('XINFO', 'GROUPS', stream)) as unknown[][];
    assert.equal(groups.length, 1);
    await xadd(producer, stream, encodeRecordBatch(batch(0, 5)));
    await eventually('5 predictions', () => (m.monitor.status().models.churn?.versions['1']?.samples.predictions === 5 ? true : undefined));
  });
});
