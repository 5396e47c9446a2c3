/** A gateway-side stand-in for tests: a RecordIngest/Publish client stream on the real gRPC port. */
import { credentials, makeGenericClientConstructor, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import { encodeRecordBatch, loadRecordIngestService, type RecordBatch } from '../../../runtime/records.js';

export interface PublishAck {
  records: number;
}

export interface TestPublisher {
  /** Writes a batch (encoded with the shared codec) or raw bytes. */
  write(batch: RecordBatch | Uint8Array): Promise<void>;
  /** Ends the stream; resolves with the monitor's ack (or rejects with its status). */
  end(): Promise<PublishAck>;
  readonly ack: Promise<PublishAck>;
}

export function openPublisher(address: string): TestPublisher {
  const definition = loadRecordIngestService();
  // raw bytes out, so that a test can also send bytes that do not decode
  const raw = { Publish: { ...definition.Publish!, requestSerialize: (bytes: Uint8Array) => Buffer.from(bytes) } };
  const Client = makeGenericClientConstructor(raw, 'RecordIngest');
  const client = new Client(address, credentials.createInsecure());
  let call!: ClientWritableStream<Uint8Array>;
  const ack = new Promise<PublishAck>((resolve, reject) => {
    call = (client as unknown as { Publish(cb: (err: ServiceError | null, ack?: PublishAck) => void): ClientWritableStream<Uint8Array> }).Publish((err, reply) => {
      client.close();
      if (err) reject(err);
      else resolve(reply!);
    });
  });
  ack.catch(() => undefined);
  return {
    ack,
    write: (batch) =>
      new Promise<void>((resolve, reject) => {
        const bytes = batch instanceof Uint8Array ? batch : encodeRecordBatch(batch);
        call.write(bytes, (err: Error | null | undefined) => (err ? reject(err) : resolve()));
      }),
    end: () => {
      call.end();
      return ack;
    },
  };
}

/** Sends the batches on one stream and ends it. */
export async function publish(address: string, batches: RecordBatch[]): Promise<PublishAck> {
  const publisher = openPublisher(address);
  for (const batch of batches) await publisher.write(batch);
  return publisher.end();
}
