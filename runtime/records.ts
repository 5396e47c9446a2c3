/**
 * The records the gateway streams to the monitor (proto/monitor.proto): a
 * prediction per served request and a feedback item per label. Shared by both
 * processes; the same RecordBatch bytes travel over gRPC and Redis Streams.
 */
import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export const MONITOR_PROTO_FILE = fileURLToPath(new URL('../../proto/monitor.proto', import.meta.url));
export const RECORD_INGEST_SERVICE = 'switchyard.monitor.RecordIngest';
/** The Redis stream the gateway appends RecordBatch entries to (field `batch`). */
export const RECORD_STREAM_KEY = 'switchyard:records';
export const RECORD_STREAM_FIELD = 'batch';

export interface TensorRecord {
  name: string;
  datatype: string;
  shape: number[];
  /** Raw little-endian bytes. */
  data: Uint8Array;
}

export interface PredictionRecord {
  id: string;
  model: string;
  version: string;
  role: string;
  time_ms: number;
  /** Empty when the request was not sampled for inputs. */
  inputs: TensorRecord[];
  outputs: TensorRecord[];
  latency_us: number;
  status: string;
}

export interface FeedbackRecord {
  id: string;
  model: string;
  /** One per row of the request. */
  labels: number[];
  time_ms: number;
}

export interface RecordBatch {
  predictions: PredictionRecord[];
  feedback: FeedbackRecord[];
}

/** int64s as numbers (ms timestamps and shapes fit), absent fields as empty. */
const LOADER_OPTIONS = { keepCase: true, longs: Number, defaults: true, arrays: true } as const;

export function loadRecordIngestService(): ServiceDefinition {
  const definition = loadSync(MONITOR_PROTO_FILE, { ...LOADER_OPTIONS })[RECORD_INGEST_SERVICE];
  if (!definition) throw new Error(`${MONITOR_PROTO_FILE} does not define ${RECORD_INGEST_SERVICE}`);
  return definition as unknown as ServiceDefinition;
}

let batchType: protobuf.Type | undefined;

function recordBatchType(): protobuf.Type {
  batchType ??= new protobuf.Root().loadSync(MONITOR_PROTO_FILE, { keepCase: true }).lookupType('switchyard.monitor.RecordBatch');
  return batchType;
}

/**
 * protobufjs's encoding of a whole batch. The gateway does not use it (it
 * encodes each record as it is published: gateway/publishing/record-encoder.ts);
 * tests use it to hand the monitor batches from an encoder of their own.
 */
export function encodeRecordBatch(batch: RecordBatch): Uint8Array {
  const type = recordBatchType();
  return type.encode(type.fromObject(batch)).finish();
}

export function decodeRecordBatch(bytes: Uint8Array): RecordBatch {
  const type = recordBatchType();
  return type.toObject(type.decode(bytes), { longs: Number, defaults: true, arrays: true }) as RecordBatch;
}
