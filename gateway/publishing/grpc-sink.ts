/**
 * Batches to the monitor over its RecordIngest service. Each batch is one short
 * client-streaming call whose PublishAck confirms delivery, so a batch lost with
 * a dying connection is retried rather than silently gone. Batches arrive
 * encoded (record-encoder), so the call writes their bytes as they are.
 */
import { Client, credentials, Metadata, type ServiceDefinition } from '@grpc/grpc-js';
import { loadRecordIngestService } from '../../runtime/records.js';
import type { RecordSink } from './record-publisher.js';

const SEND_TIMEOUT_MS = 5_000;

export class GrpcRecordSink implements RecordSink {
  readonly name = 'grpc';
  private readonly client: Client;
  private readonly method: ServiceDefinition[string];

  constructor(address: string) {
    this.method = loadRecordIngestService().Publish!;
    // grpc-js waits up to 120 s between reconnects by default; a returning monitor should get records within seconds.
    this.client = new Client(address, credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
    });
  }

  send(batch: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      const call = this.client.makeClientStreamRequest(
        this.method.path,
        asBuffer,
        this.method.responseDeserialize,
        new Metadata(),
        { deadline: Date.now() + SEND_TIMEOUT_MS },
        (err) => (err ? reject(err) : resolve()),
      );
      call.write(batch);
      call.end();
    });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** The request serializer: the batch is already a RecordBatch message. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
