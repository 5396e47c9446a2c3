/**
 * The record sink's thread (see sink-thread): builds the sink the gateway was
 * configured with and sends the batches each connected publisher posts,
 * answering each with its outcome; on `close` it closes the sink and ends.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../runtime/log.js';
import { answerRequests } from '../threads/port-requests.js';
import { GrpcRecordSink } from './grpc-sink.js';
import type { RecordSink } from './record-publisher.js';
import { RedisRecordSink } from './redis-sink.js';
import type { SinkSend, SinkSpec, ToSinkThread } from './sink-thread.js';

// below the serving threads (nice is per thread on Linux): when the cores are busy, a batch can wait a little, a request should not
setPriority(10);

const spec = workerData as SinkSpec;
const log = createLogger({ component: 'gateway', thread: 'record-sink' });
const sink: RecordSink = spec.kind === 'grpc' ? new GrpcRecordSink(spec.address) : new RedisRecordSink(spec.url, spec.maxLength, log);
const publishers = new Set<import('node:worker_threads').MessagePort>();

parentPort!.on('message', (message: ToSinkThread) => {
  if (message.kind === 'connect') {
    publishers.add(message.port);
    answerRequests<SinkSend, void>(message.port, async ({ batch, records }) => {
      await sink.send(batch, records);
      return { value: undefined };
    });
    return;
  }
  void sink.close().finally(() => {
    for (const port of publishers) port.close();
    parentPort!.close();
  });
});
