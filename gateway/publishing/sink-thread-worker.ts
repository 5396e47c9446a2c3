/**
 * The record sink's thread (see sink-thread): builds the sink the gateway was
 * configured with and sends each batch it is posted, one at a time, answering
 * with its outcome; on `close` it closes the sink and ends.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../runtime/log.js';
import { GrpcRecordSink } from './grpc-sink.js';
import type { RecordSink } from './record-publisher.js';
import { RedisRecordSink } from './redis-sink.js';
import type { SinkReply, SinkRequest, SinkSpec } from './sink-thread.js';

// below the serving threads (nice is per thread on Linux): when the cores are busy, a batch can wait a little, a request should not
setPriority(10);

const spec = workerData as SinkSpec;
const port = parentPort!;
const log = createLogger({ component: 'gateway', thread: 'record-sink' });
const sink: RecordSink = spec.kind === 'grpc' ? new GrpcRecordSink(spec.address) : new RedisRecordSink(spec.url, spec.maxLength, log);

port.on('message', (request: SinkRequest) => {
  if (request.kind === 'close') {
    void sink.close().finally(() => port.close());
    return;
  }
  const { id, batch, records } = request;
  sink.send(batch, records).then(
    () => port.postMessage({ id } satisfies SinkReply),
    (err: unknown) => port.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies SinkReply),
  );
});
