/**
 * Batches to the monitor over RecordIngest/PublishStream: one long-lived stream,
 * each batch confirmed by its own PublishAck, in order — a new call per batch
 * would cost about a millisecond each time (on the sink's thread, see
 * sink-thread). A batch whose ack does not come (the stream broke, the monitor
 * went away, SEND_TIMEOUT_MS passed) is reported failed, so the publisher keeps
 * and resends it; the next send opens a new stream. Batches arrive encoded (record-encoder), so the
 * stream writes their bytes as they are.
 */
import { Client, credentials, Metadata, type ClientDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';
import { loadRecordIngestService } from '../../runtime/records.js';
import type { RecordSink } from './record-publisher.js';

const SEND_TIMEOUT_MS = 5_000;

interface Waiting {
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class GrpcRecordSink implements RecordSink {
  readonly name = 'grpc';
  private readonly client: Client;
  private readonly method: ServiceDefinition[string];
  private stream: ClientDuplexStream<Uint8Array, unknown> | undefined;
  /** Sends awaiting their ack, oldest first. */
  private readonly waiting: Waiting[] = [];

  constructor(address: string) {
    this.method = loadRecordIngestService().PublishStream!;
    // grpc-js waits up to 120 s between reconnects by default; a returning monitor should get records within seconds.
    this.client = new Client(address, credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
    });
  }

  send(batch: Uint8Array): Promise<void> {
    const stream = this.stream ?? this.open();
    return new Promise((resolve, reject) => {
      // no ack in time: the stream is given up, and with it every send still waiting
      const timer = setTimeout(() => this.broken(stream, new Error(`no ack from the monitor within ${SEND_TIMEOUT_MS} ms`)), SEND_TIMEOUT_MS);
      this.waiting.push({ resolve, reject, timer });
      stream.write(asBuffer(batch));
    });
  }

  async close(): Promise<void> {
    this.stream?.end();
    this.client.close();
  }

  private open(): ClientDuplexStream<Uint8Array, unknown> {
    const stream = this.client.makeBidiStreamRequest(this.method.path, asBuffer, this.method.responseDeserialize, new Metadata());
    stream.on('data', () => {
      if (this.stream !== stream) return; // a late ack on a stream already given up: its sends were failed
      const sent = this.waiting.shift();
      if (!sent) return;
      clearTimeout(sent.timer);
      sent.resolve();
    });
    stream.on('error', (err: Error) => this.broken(stream, err));
    stream.on('end', () => this.broken(stream, new Error('the monitor ended the record stream')));
    this.stream = stream;
    return stream;
  }

  private broken(stream: ClientDuplexStream<Uint8Array, unknown>, err: Error): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    stream.cancel();
    for (const sent of this.waiting.splice(0)) {
      clearTimeout(sent.timer);
      sent.reject(err);
    }
  }
}

/** The request serializer: the batch is already a RecordBatch message. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
