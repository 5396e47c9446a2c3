/**
 * The records the gateway streams to the monitor (proto/monitor.proto): a
 * prediction per served request (answered ones grouped by ONNX run) and a
 * feedback item per label. Shared by both
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

/**
 * The answered requests of one ONNX run, column by column (the gateway writes these):
 * per request its id, role, latency and rows; the run's outputs whole.
 */
export interface PredictionGroup {
  model: string;
  version: string;
  time_ms: number;
  ids: string[];
  roles: string[];
  latency_us: number[];
  rows: number[];
  outputs: TensorRecord[];
  inputs: Array<{ request: number; inputs: TensorRecord[] }>;
}

export interface RecordBatch {
  predictions: PredictionRecord[];
  feedback: FeedbackRecord[];
  /** On the wire only: decodeRecordBatch hands them on as `predictions`, one per request. */
  groups?: PredictionGroup[];
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

/** A batch with its groups read as one prediction record per request. Throws on bytes or groups that do not add up. */
export function decodeRecordBatch(bytes: Uint8Array): RecordBatch {
  const type = recordBatchType();
  const batch = type.toObject(type.decode(bytes), { longs: Number, defaults: true, arrays: true }) as Required<RecordBatch>;
  for (const group of batch.groups) batch.predictions.push(...groupRecords(group));
  return { predictions: batch.predictions, feedback: batch.feedback };
}

/** Per request of the group: its rows of every output (views, not copies) and, when sampled, its inputs. */
export function groupRecords(group: PredictionGroup): PredictionRecord[] {
  const n = group.ids.length;
  for (const [column, values] of [['roles', group.roles], ['latency_us', group.latency_us], ['rows', group.rows]] as const) {
    if (values.length !== n) throw new Error(`prediction group of ${n} requests has ${values.length} ${column}`);
  }
  const outputs = group.outputs.map((t) => (n === 1 ? [t] : splitRows(t, group.rows)));
  const inputs = new Map(group.inputs.map((s) => [s.request, s.inputs]));
  return group.ids.map((id, i) => ({
    id,
    model: group.model,
    version: group.version,
    role: group.roles[i]!,
    time_ms: group.time_ms,
    inputs: inputs.get(i) ?? [],
    outputs: outputs.map((perRequest) => perRequest[i]!),
    latency_us: group.latency_us[i]!,
    status: 'OK',
  }));
}

function splitRows(t: TensorRecord, rows: readonly number[]): TensorRecord[] {
  const total = rows.reduce((a, b) => a + b, 0);
  if (t.shape[0] !== total || t.data.byteLength % Math.max(1, total) !== 0) {
    throw new Error(`prediction group output '${t.name}' has shape [${t.shape.join(', ')}] and ${t.data.byteLength} bytes for ${total} rows`);
  }
  const rowBytes = total === 0 ? 0 : t.data.byteLength / total;
  let at = 0;
  return rows.map((r) => {
    const part = { name: t.name, datatype: t.datatype, shape: [r, ...t.shape.slice(1)], data: t.data.subarray(at, at + r * rowBytes) };
    at += r * rowBytes;
    return part;
  });
}
