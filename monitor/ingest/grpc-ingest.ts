/**
 * gRPC ingest: switchyard.monitor.RecordIngest. PublishStream is the gateway's: one long-lived
 * stream of RecordBatch per gateway, each batch acknowledged in order once processed. Publish
 * takes a stream of batches and acknowledges them all when the caller ends it. Batches are
 * decoded here with the shared codec (the same bytes travel over Redis), so a batch that does
 * not decode is counted and skipped rather than failing the stream. A stream is paused while a
 * batch is processed: a slow monitor slows its publisher, whose buffer then drops (and counts)
 * records, never serving.
 *
 * On close, each open stream is finished with UNAVAILABLE ("monitor shutting down") once its
 * batches in hand are processed: the publisher reconnects, to this monitor or its successor.
 */
import { Server, ServerCredentials, status, type ServerDuplexStream, type ServerReadableStream, type ServiceDefinition, type sendUnaryData } from '@grpc/grpc-js';
import type { RecordBatch } from '../../runtime/records.js';
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
    const raw = {
      Publish: { ...definition.Publish!, requestDeserialize: (bytes: Buffer) => bytes },
      PublishStream: { ...definition.PublishStream!, requestDeserialize: (bytes: Buffer) => bytes },
    } as ServiceDefinition;
    this.server.addService(raw, {
      Publish: (call: ServerReadableStream<Buffer, PublishAck>, done: sendUnaryData<PublishAck>) => this.publish(call, done),
      PublishStream: (call: ServerDuplexStream<Buffer, PublishAck>) => this.publishStream(call),
    });
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
    const stream = this.consume(call, (n) => (records += n), (err) => done(err, err ? undefined : { records }));
    call.on('end', () => void stream.processed.then(() => stream.answer(null)));
  }

  private publishStream(call: ServerDuplexStream<Buffer, PublishAck>): void {
    const stream = this.consume(call, (records) => call.write({ records }), (err) => (err ? call.emit('error', err) : call.end()));
    call.on('end', () => void stream.processed.then(() => stream.answer(null)));
  }

  /**
   * Takes a call's batches one at a time: each decoded batch is processed with the call paused,
   * then `processed(records)`; an undecodable one is counted and reported as 0 records. `answer`
   * ends the call once (null: done; an error: its status).
   */
  private consume(
    call: ServerReadableStream<Buffer, PublishAck> | ServerDuplexStream<Buffer, PublishAck>,
    processed: (records: number) => void,
    answer: (err: { code: status; details: string } | null) => void,
  ): OpenStream & { answer(err: { code: status; details: string } | null): void } {
    let answered = false;
    const stream = {
      processed: Promise.resolve(),
      answer: (err: { code: status; details: string } | null): void => {
        if (answered) return;
        answered = true;
        this.streams.delete(stream);
        answer(err);
      },
      finish: () => void stream.processed.then(() => stream.answer({ code: status.UNAVAILABLE, details: 'monitor shutting down; reconnect' })),
    };
    this.streams.add(stream);
    if (this.closing) stream.finish();

    call.on('data', (bytes: Buffer) => {
      let batch: RecordBatch;
      try {
        batch = decodeRecordBatch(bytes);
      } catch (err) {
        this.events.decodeError('grpc');
        this.log.warn('undecodable record batch on the gRPC stream, skipped', { peer: call.getPeer(), error: (err as Error).message });
        stream.processed = stream.processed.then(() => processed(0));
        return;
      }
      call.pause();
      stream.processed = stream.processed
        .then(() => this.sink.accept(batch, 'grpc'))
        .catch((err: unknown) => this.log.error('record batch processing failed', { error: err instanceof Error ? err.message : String(err) }))
        .then(() => processed(batch.predictions.length + batch.feedback.length))
        .finally(() => call.resume());
    });
    call.on('error', () => stream.answer({ code: status.CANCELLED, details: 'stream failed' }));
    call.on('cancelled', () => stream.answer({ code: status.CANCELLED, details: 'cancelled by the client' }));
    return stream;
  }
}
