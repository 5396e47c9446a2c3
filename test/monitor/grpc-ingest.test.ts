/**
 * gRPC ingest (RecordIngest/Publish and PublishStream): batches on one stream are acknowledged
 * with their record count (PublishStream: each batch, in order); an undecodable batch is counted
 * and skipped without failing the stream; failed requests and unreadable tensors are counted as
 * drops; closing the monitor ends open streams with UNAVAILABLE so that publishers reconnect.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { encodeRecordBatch, loadRecordIngestService } from '../../runtime/records.js';
import { eventually, metricValue, startTestMonitor } from './helpers/monitor.js';
import { openPublisher } from './helpers/publisher.js';
import { feedback, fp32Tensor, prediction, twoClass } from './helpers/records.js';

describe('gRPC ingest', () => {
  it('acknowledges records, counts decode errors and drops, and keeps the stream', async (t) => {
    const m = await startTestMonitor();
    t.after(() => m.stop());
    assert.equal((await fetch(`${m.http}/healthz`)).status, 200);
    const publisher = openPublisher(m.grpc);
    await publisher.write({ predictions: [prediction({ id: 'a', model: 'm', version: '1', probabilities: [twoClass(1)], timeMs: Date.now() - 2000 })], feedback: [feedback('a', 'm', [1])] });
    await publisher.write(Uint8Array.of(0x0a, 0xff, 0xff, 0xff)); // a truncated field: not a RecordBatch
    const unreadable = { ...prediction({ id: 'c', model: 'm', version: '1', values: [1] }), outputs: [{ ...fp32Tensor('y', 1, 1, [1]), shape: [3] }] };
    await publisher.write({ predictions: [prediction({ id: 'b', model: 'm', version: '1', status: 'SY_ERR_QUEUE_FULL' }), unreadable], feedback: [] });
    const ack = await publisher.end();
    assert.equal(ack.records, 4, 'records of the decoded batches');

    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_decode_errors_total', { transport: 'grpc' }), 1);
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_batches_total', { transport: 'grpc' }), 2);
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_dropped_records_total', { reason: 'failed_request' }), 1);
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_dropped_records_total', { reason: 'bad_tensor' }), 1);
    assert.ok((await metricValue(m.monitor, 'switchyard_monitor_lag_seconds_sum', { transport: 'grpc' })) >= 2, 'lag: now − record time');
    const v = m.monitor.status().models.m!.versions['1']!;
    assert.equal(v.samples.predictions, 1);
    assert.equal(v.samples.failed, 1);
    assert.equal(v.samples.labelled_rows, 1);
  });

  it('ends open streams with UNAVAILABLE on close', async () => {
    const m = await startTestMonitor();
    const publisher = openPublisher(m.grpc);
    await publisher.write({ predictions: [prediction({ id: 'a', model: 'm', version: '1', probabilities: [twoClass(0)] })], feedback: [] });
    await eventually('the batch processed', () => m.monitor.status().models.m?.versions['1']?.samples.predictions);
    const closed = m.stop();
    await assert.rejects(publisher.ack, (err: { code: number }) => err.code === status.UNAVAILABLE);
    await closed;
  });

  it('PublishStream acknowledges each batch in order with its records (0 when it does not decode), and ends with UNAVAILABLE on close', async () => {
    const m = await startTestMonitor();
    const method = loadRecordIngestService().PublishStream!;
    const client = new Client(m.grpc, credentials.createInsecure());
    const call = client.makeBidiStreamRequest(method.path, (bytes: Uint8Array) => Buffer.from(bytes), method.responseDeserialize, new Metadata());
    const acks: number[] = [];
    call.on('data', (ack: { records: number }) => acks.push(ack.records));
    const ended = new Promise<{ code: number }>((resolve) => call.on('error', resolve));
    call.write(encodeRecordBatch({ predictions: [prediction({ id: 'a', model: 'm', version: '1', probabilities: [twoClass(1)] }), prediction({ id: 'b', model: 'm', version: '1', probabilities: [twoClass(0)] })], feedback: [feedback('a', 'm', [1])] }));
    call.write(Uint8Array.of(0x0a, 0xff, 0xff, 0xff));
    call.write(encodeRecordBatch({ predictions: [prediction({ id: 'c', model: 'm', version: '1', probabilities: [twoClass(1)] })], feedback: [] }));
    await eventually('three acks', () => (acks.length === 3 ? true : undefined));
    assert.deepEqual(acks, [3, 0, 1]);
    assert.equal(m.monitor.status().models.m!.versions['1']!.samples.predictions, 3);
    assert.equal(await metricValue(m.monitor, 'switchyard_monitor_decode_errors_total', { transport: 'grpc' }), 1);
    await m.stop();
    assert.equal((await ended).code, status.UNAVAILABLE);
    client.close();
  });
});
