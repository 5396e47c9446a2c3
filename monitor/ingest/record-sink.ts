/**
 * Where both transports (gRPC stream, Redis Streams) hand decoded record batches: one processor,
 * so a record means the same whichever way it came.
 */
import type { RecordBatch } from '../../runtime/records.js';

export type Transport = 'grpc' | 'redis';

export interface RecordSink {
  /** Resolves once the batch is processed (a Redis entry is acked after that). */
  accept(batch: RecordBatch, transport: Transport): Promise<void>;
}

export type DropReason =
  /** The request failed at the gateway (status other than OK): nothing to judge. */
  | 'failed_request'
  /** No readable first output tensor. */
  | 'bad_tensor'
  /** maxVersions reached. */
  | 'too_many_versions'
  /** A record with no id, model or version. */
  | 'incomplete';

export interface IngestEvents {
  batchReceived(transport: Transport, predictions: number, feedback: number): void;
  /** now − record time, per record. */
  recordLag(transport: Transport, seconds: number): void;
  decodeError(transport: Transport): void;
  recordDropped(reason: DropReason): void;
  /** Redis: entries claimed from a consumer that stopped acking. */
  entriesClaimed(count: number): void;
}
