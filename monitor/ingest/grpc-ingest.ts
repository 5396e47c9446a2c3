/**
 * gRPC ingest: switchyard.monitor.RecordIngest/Publish, one long-lived client stream of
 * RecordBatch per gateway. Batches are decoded here with the shared codec (the same bytes
 * travel over Redis), so a batch that does not decode is counted and skipped rather than failing
 * the stream. The stream is paused while a batch is processed: a slow monitor slows its
 * publisher's stream, whose buffer then drops (and counts) records, never serving.
 *
 * On close, each open stream is finished with UNAVAILABLE ("monitor shutting down") once its
 * batches in hand are processed: the publisher reconnects, to this monitor or its successor.
 */
import { Server, ServerCredentials, status, type ServerReadableStream, type ServiceDefinition, type sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from '../../runtime/log.js';
import { decodeRecordBatch, loadRecordIngestService } from '../../runtime/records.js';
import type { IngestEvents, RecordSink } from './record-sink.js';

interface PublishAck {
  records: number;
}

interface OpenStream {
  /** Settles when the batches received so far are processed. */
  processed: Promise<void>;
  finish(): void;
}

const FORCE_SHUTDOWN_MS = 5_000;

export class GrpcIngest {
  private readonly server: Server;
  private readonly streams = new Set<OpenStream>();
  private closing = false;

  constructor(
    private readonly sink: RecordSink,
    private readonly events: IngestEvents,
    private readonly log: Logger,
    maxMessageBytes: number,
  ) {
    this.server = new Server({ 'grpc.max_receive_message_length': maxMessageBytes });
    const definition = loadRecordIngestService();
    // raw bytes in: decoded by decodeRecordBatch below, as the Redis consumer does
    const raw = { Publish: { ...definition.Publish!, requestDeserialize: (bytes: Buffer) => bytes } } as ServiceDefinition;
    this.server.addService(raw, { Publish: (call: ServerReadableStream<Buffer, PublishAck>, done: sendUnaryData<PublishAck>) => this.publish(call, done) });
  }

  listen(host: string, port: number): Promise<number> {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) => {
        if (err) reject(new Error(`monitor gRPC ingest cannot listen on ${address}: ${err.message}`, { cause: err }));
        else resolve(bound);
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const shutdown = new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    for (const stream of this.streams) stream.finish();
    const timer = setTimeout(() => this.server.forceShutdown(), FORCE_SHUTDOWN_MS);
    await shutdown;
    clearTimeout(timer);
  }

  private publish(call: ServerReadableStream<Buffer, PublishAck>, done: sendUnaryData<PublishAck>): void {
    let records = 0;
    let answered = false;
    const answer = (err: Parameters<sendUnaryData<PublishAck>>[0], ack?: PublishAck): void => {
      if (answered) return;
      answered = true;
      this.streams.delete(stream);
      done(err, ack);
    };
    const stream: OpenStream = {
      processed: Promise.resolve(),
      finish: () => void stream.processed.then(() => answer({ code: status.UNAVAILABLE, details: 'monitor shutting down; reconnect' })),
    };
    this.streams.add(stream);
    if (this.closing) stream.finish();

    call.on('data', (bytes: Buffer) => {
      let batch;
      try {
        batch = decodeRecordBatch(bytes);
      } catch (err) {
        this.events.decodeError('grpc');
        this.log.warn('undecodable record batch on the gRPC stream, skipped', { peer: call.getPeer(), error: (err as Error).message });
        return;
      }
      records += batch.predictions.length + batch.feedback.length;
      call.pause();
      stream.processed = stream.processed
        .then(() => this.sink.accept(batch, 'grpc'))
        .catch((err: unknown) => this.log.error('record batch processing failed', { error: err instanceof Error ? err.message : String(err) }))
        .finally(() => call.resume());
    });
    call.on('end', () => void stream.processed.then(() => answer(null, { records })));
    call.on('error', () => answer({ code: status.CANCELLED, details: 'stream failed' }));
    call.on('cancelled', () => answer({ code: status.CANCELLED, details: 'cancelled by the client' }));
  }
}
