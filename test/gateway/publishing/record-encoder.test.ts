/**
 * Wire compatibility of the gateway's hand-written record encoder: whatever it
 * writes, the monitor's decoder (protobufjs, runtime/records.ts) reads back
 * field by field — the same bytes go over gRPC and Redis Streams.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordBatchEncoder, type ServedGroup, type TensorSource } from '../../../gateway/publishing/record-encoder.js';
import { decodeRecordBatch, encodeRecordBatch, type FeedbackRecord, type PredictionRecord, type RecordBatch } from '../../../runtime/records.js';

type Entry = { kind: 'prediction'; record: PredictionRecord; tensors: { inputs: TensorSource[]; outputs: TensorSource[] } } | { kind: 'feedback'; record: FeedbackRecord };

function bytesOf(t: TensorSource): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function predictionEntry(p: Omit<PredictionRecord, 'inputs' | 'outputs'>, inputs: TensorSource[], outputs: TensorSource[]): Entry {
  const asRecord = (t: TensorSource) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape], data: bytesOf(t) });
  return { kind: 'prediction', record: { ...p, inputs: inputs.map(asRecord), outputs: outputs.map(asRecord) }, tensors: { inputs, outputs } };
}

function append(encoder: RecordBatchEncoder, entry: Entry): void {
  if (entry.kind === 'feedback') {
    const f = entry.record;
    encoder.appendFeedback(f.id, f.model, f.labels, f.time_ms);
  } else {
    const p = entry.record;
    encoder.appendPrediction({ id: p.id, model: p.model, version: p.version, role: p.role, timeMs: p.time_ms, inputs: entry.tensors.inputs, outputs: entry.tensors.outputs, latencyUs: p.latency_us, status: p.status });
  }
}

/** Everything the encoder closed, decoded, in publishing order. */
function roundTrip(encoder: RecordBatchEncoder): { batches: Array<{ decoded: RecordBatch; records: number; bytes: number }> } {
  encoder.closeBatch();
  return { batches: encoder.closed.map((b) => ({ decoded: decodeRecordBatch(b.bytes), records: b.records, bytes: b.bytes.byteLength })) };
}

function assertSameTensor(actual: PredictionRecord['inputs'][number], expected: PredictionRecord['inputs'][number], where: string): void {
  assert.equal(actual.name, expected.name, `${where} name`);
  assert.equal(actual.datatype, expected.datatype, `${where} datatype`);
  assert.deepEqual(actual.shape, expected.shape, `${where} shape`);
  assert.ok(Buffer.from(actual.data).equals(Buffer.from(expected.data)), `${where} data`);
}

function assertSamePrediction(actual: PredictionRecord, expected: PredictionRecord): void {
  const where = `prediction ${JSON.stringify(expected.id)}`;
  for (const key of ['id', 'model', 'version', 'role', 'time_ms', 'latency_us', 'status'] as const) assert.equal(actual[key], expected[key], `${where} ${key}`);
  assert.equal(actual.inputs.length, expected.inputs.length, `${where} inputs`);
  assert.equal(actual.outputs.length, expected.outputs.length, `${where} outputs`);
  expected.inputs.forEach((t, i) => assertSameTensor(actual.inputs[i]!, t, `${where} input ${i}`));
  expected.outputs.forEach((t, i) => assertSameTensor(actual.outputs[i]!, t, `${where} output ${i}`));
}

function assertSameFeedback(actual: FeedbackRecord, expected: FeedbackRecord): void {
  assert.deepEqual({ ...actual }, { ...expected }, `feedback ${JSON.stringify(expected.id)}`);
}

/** Decoded batches hold predictions and feedback apart; the order within each kind is the publishing order. */
function assertDecodes(batches: Array<{ decoded: RecordBatch; records: number }>, entries: Entry[]): void {
  let at = 0;
  for (const { decoded, records } of batches) {
    const slice = entries.slice(at, at + records);
    at += records;
    assert.equal(decoded.predictions.length + decoded.feedback.length, records, 'records in the batch');
    const predictions = slice.filter((e) => e.kind === 'prediction');
    const feedback = slice.filter((e) => e.kind === 'feedback');
    assert.equal(decoded.predictions.length, predictions.length);
    assert.equal(decoded.feedback.length, feedback.length);
    predictions.forEach((e, i) => assertSamePrediction(decoded.predictions[i]!, e.record));
    feedback.forEach((e, i) => assertSameFeedback(decoded.feedback[i]!, e.record));
  }
  assert.equal(at, entries.length, 'every record in some batch');
}

const tensor = (name: string, datatype: string, shape: number[], data: ArrayBufferView): TensorSource => ({ name, datatype, shape, data });

/** A tensor of every Open Inference Protocol datatype, with values that use their whole width. */
function everyDatatype(): TensorSource[] {
  return [
    tensor('b', 'BOOL', [4], Uint8Array.of(1, 0, 0, 1)),
    tensor('u8', 'UINT8', [3], Uint8Array.of(0, 127, 255)),
    tensor('u16', 'UINT16', [2], Uint16Array.of(1, 65535)),
    tensor('u32', 'UINT32', [2], Uint32Array.of(7, 4294967295)),
    tensor('u64', 'UINT64', [2], BigUint64Array.of(1n, 18446744073709551615n)),
    tensor('i8', 'INT8', [2], Int8Array.of(-128, 127)),
    tensor('i16', 'INT16', [2], Int16Array.of(-32768, 32767)),
    tensor('i32', 'INT32', [2], Int32Array.of(-2147483648, 2147483647)),
    tensor('i64', 'INT64', [3, 1], BigInt64Array.of(-9223372036854775808n, 0n, 9223372036854775807n)),
    tensor('f32', 'FP32', [1, 3], Float32Array.of(0.5, -1e30, Number.NaN)),
    tensor('f64', 'FP64', [2, 1], Float64Array.of(Math.PI, -0)),
  ];
}

describe('RecordBatchEncoder', () => {
  it('writes records the monitor decodes field by field', () => {
    // A view into the middle of a larger buffer, as a tensor decoded from a request body is.
    const body = new ArrayBuffer(64);
    new Float32Array(body, 8, 4).set([1, 2, 3, 4]);
    const features = tensor('features', 'FP32', [1, 4], new Float32Array(body, 8, 4));
    const entries: Entry[] = [
      predictionEntry({ id: 'req-1', model: 'tabular', version: '3', role: 'stable', time_ms: Date.now(), latency_us: 812, status: 'OK' }, [features], [tensor('probabilities', 'FP32', [1, 2], Float32Array.of(0.25, 0.75))]),
      predictionEntry({ id: '', model: '', version: '', role: '', time_ms: 0, latency_us: 0, status: '' }, [], []),
      predictionEntry({ id: 'ß-ünïcødé-标识-🚀', model: 'módel', version: 'v2', role: 'canary', time_ms: 2 ** 53 - 1, latency_us: 4294967295, status: 'SY_ERR_MODEL_EXECUTION' }, [], []),
      { kind: 'feedback', record: { id: 'req-1', model: 'tabular', labels: [1], time_ms: Date.now() } },
      predictionEntry({ id: 'every-datatype', model: 'm', version: '1', role: 'shadow', time_ms: 1, latency_us: 1, status: 'OK' }, everyDatatype(), everyDatatype().reverse()),
      { kind: 'feedback', record: { id: '', model: '', labels: [], time_ms: 0 } },
      { kind: 'feedback', record: { id: 'rows-🚀', model: 'regressor', labels: Array.from({ length: 1000 }, (_, i) => i * 0.5 - 3.25), time_ms: 1_700_000_000_000 } },
      predictionEntry({ id: 'empty-tensors', model: 'm', version: '1', role: 'stable', time_ms: 12, latency_us: 128, status: 'OK' }, [tensor('', '', [], new Float32Array(0))], [tensor('scalar', 'FP64', [], Float64Array.of(1)), tensor('rows', 'INT64', [0, 3], new BigInt64Array(0))]),
      predictionEntry({ id: 'wide-shape', model: 'm', version: '1', role: 'stable', time_ms: 2 ** 40 + 3, latency_us: 16384, status: 'OK' }, [tensor('x', 'UINT8', [1, 300, 2 ** 33, 0], Uint8Array.of(9))], []),
      { kind: 'feedback', record: { id: 'labels', model: 'classifier', labels: [0, 1, 2, -1, 1e300, -0.5], time_ms: 127 } },
    ];
    const encoder = new RecordBatchEncoder(512);
    for (const e of entries) append(encoder, e);
    assert.equal(encoder.openBatchRecords, entries.length);
    const { batches } = roundTrip(encoder);
    assert.equal(batches.length, 1);
    assertDecodes(batches, entries);
  });

  it('closes a batch at maxBatchRecords', () => {
    const encoder = new RecordBatchEncoder(4);
    const entries: Entry[] = Array.from({ length: 10 }, (_, i): Entry =>
      i % 3 === 2
        ? { kind: 'feedback', record: { id: `r${i}`, model: 'm', labels: [i], time_ms: 1000 + i } }
        : predictionEntry({ id: `r${i}`, model: 'm', version: '1', role: 'stable', time_ms: 1000 + i, latency_us: i, status: 'OK' }, [], [tensor('y', 'FP32', [1, 1], Float32Array.of(i))]),
    );
    for (const e of entries.slice(0, 8)) append(encoder, e);
    assert.deepEqual(encoder.closed.map((b) => b.records), [4, 4], 'full batches close by themselves');
    assert.equal(encoder.openBatchRecords, 0);
    for (const e of entries.slice(8)) append(encoder, e);
    const { batches } = roundTrip(encoder);
    assert.deepEqual(batches.map((b) => b.records), [4, 4, 2]);
    assertDecodes(batches, entries);
  });

  it('closes a batch before it would pass maxBatchBytes, and gives a larger record a batch of its own', () => {
    const maxBytes = 1024;
    const encoder = new RecordBatchEncoder(10_000, maxBytes);
    const entries: Entry[] = [];
    for (let i = 0; i < 300; i++) {
      // sizes vary so batches end at different places in the slab (the open batch moves to a new slab)
      const n = (i * 7) % 40;
      const e =
        i === 150
          ? predictionEntry({ id: 'huge', model: 'm', version: '1', role: 'stable', time_ms: 5, latency_us: 5, status: 'OK' }, [tensor('x', 'FP64', [1, 1000], new Float64Array(1000).fill(2.5))], [])
          : i % 50 === 49
            ? ({ kind: 'feedback', record: { id: `f${i}`, model: 'm', labels: Array.from({ length: n }, (_, k) => k), time_ms: i } } as Entry)
            : predictionEntry({ id: `r${i}`, model: 'm', version: '1', role: 'stable', time_ms: i + 1, latency_us: i + 1, status: 'OK' }, [tensor('x', 'FP32', [1, n], new Float32Array(n).fill(i))], []);
      entries.push(e);
      append(encoder, e);
    }
    const { batches } = roundTrip(encoder);
    const huge = batches.findIndex((b) => b.decoded.predictions.some((p) => p.id === 'huge'));
    assert.ok(huge >= 0);
    assert.equal(batches[huge]!.records, 1, 'the oversized record goes alone');
    assert.ok(batches[huge]!.bytes > maxBytes);
    for (const [i, b] of batches.entries()) if (i !== huge) assert.ok(b.bytes <= maxBytes, `batch ${i}: ${b.bytes} bytes`);
    assert.ok(batches.length > 10, `${batches.length} batches`);
    assertDecodes(batches, entries);
  });

  it('keeps closed batches intact while later records are written', () => {
    const encoder = new RecordBatchEncoder(2, 256);
    const entries: Entry[] = [];
    let first: Buffer | undefined;
    for (let i = 0; i < 40; i++) {
      const e = predictionEntry({ id: `r${i}`, model: 'm', version: '1', role: 'stable', time_ms: i + 1, latency_us: 1, status: 'OK' }, [], [tensor('y', 'UINT8', [1, 30], new Uint8Array(30).fill(i))]);
      entries.push(e);
      append(encoder, e);
      if (encoder.closed.length === 1) first ??= Buffer.from(encoder.closed[0]!.bytes);
    }
    assert.ok(first?.equals(encoder.closed[0]!.bytes), 'the first batch as it was when it closed');
    assertDecodes(roundTrip(encoder).batches, entries);
  });

  it('moves an open batch that outgrows the room left in its slab', () => {
    // small partial batches (closed as the flush timer would), then one that grows to the cap
    const encoder = new RecordBatchEncoder(1000, 1024);
    const entries: Entry[] = [];
    const add = (i: number, n: number) => {
      const e = predictionEntry({ id: `r${i}`, model: 'm', version: '1', role: 'stable', time_ms: i + 1, latency_us: 1, status: 'OK' }, [tensor('x', 'UINT8', [1, n], new Uint8Array(n).fill(i))], []);
      entries.push(e);
      append(encoder, e);
    };
    let i = 0;
    for (let round = 0; round < 5; round++) {
      add(i++, 10);
      encoder.closeBatch();
      add(i++, 10);
      add(i++, 10);
      encoder.closeBatch();
      for (let k = 0; k < 12; k++) add(i++, 60);
    }
    const { batches } = roundTrip(encoder);
    for (const b of batches) assert.ok(b.bytes <= 1024);
    assertDecodes(batches, entries);
  });

  it('writes a slab again once its batches were released, never while one is held', () => {
    // 256-byte batches out of 1 KiB slabs
    const encoder = new RecordBatchEncoder(4, 256, 1024);
    const entries: Entry[] = [];
    const add = () => {
      const i = entries.length;
      const e = predictionEntry({ id: `r${i}`, model: 'm', version: '1', role: 'stable', time_ms: i + 1, latency_us: 1, status: 'OK' }, [], [tensor('y', 'UINT8', [1, 40], new Uint8Array(40).fill(i))]);
      entries.push(e);
      append(encoder, e);
    };
    while (encoder.closed.length < 16) add();
    const firstRecords = encoder.closed.reduce((n, b) => n + b.records, 0);
    const firstSlabs = new Set(encoder.closed.map((b) => b.bytes.buffer));
    assert.ok(firstSlabs.size >= 3, `${firstSlabs.size} slabs`);
    // the newest two batches stay held; everything older is delivered
    const held = encoder.closed.slice(-2).map((b) => ({ view: b.bytes, copy: Buffer.from(b.bytes) }));
    while (encoder.closed.length > 2) encoder.release();
    while (encoder.closed.length < 2 + 12) add();
    const later = encoder.closed.slice(2);
    assert.ok(later.some((b) => firstSlabs.has(b.bytes.buffer)), 'released slabs are written again');
    for (const h of held) assert.ok(h.view.equals(h.copy), 'a held batch is never written over');
    assertDecodes(later.map((b) => ({ decoded: decodeRecordBatch(b.bytes), records: b.records })), entries.slice(firstRecords, firstRecords + later.reduce((n, b) => n + b.records, 0)));
  });

  describe('groups (the answered requests of one ONNX run)', () => {
    interface GroupedRequest {
      id: string;
      role: string;
      latencyUs: number;
      rows: number;
      /** Set when the request was sampled for inputs. */
      inputs: TensorSource[] | undefined;
    }
    /** The group of these requests, in the encoder's columns. */
    const served = (model: string, version: string, timeMs: number, requests: GroupedRequest[], outputs: TensorSource[]): ServedGroup => ({
      model, version, timeMs, outputs,
      requests: requests.map((r) => ({ ...r, inputs: r.inputs ?? [] })),
      latencyUs: requests.map((r) => r.latencyUs),
      sampled: requests.map((r) => r.inputs !== undefined),
    });
    const row = (values: number[]) => Float32Array.from(values);
    /** Three requests of 2, 1 and 3 rows; the run's outputs hold their rows in that order. */
    const requests: GroupedRequest[] = [
      { id: 'a-1', role: 'stable', latencyUs: 0, rows: 2, inputs: [tensor('features', 'FP32', [2, 2], row([1, 2, 3, 4]))] },
      { id: '', role: 'canary', latencyUs: 4294967295, rows: 1, inputs: undefined },
      { id: 'ß-标识-🚀', role: 'stable', latencyUs: 812, rows: 3, inputs: [tensor('features', 'FP32', [3, 2], row([5, 6, 7, 8, 9, 10]))] },
    ];
    const probabilities = tensor('probabilities', 'FP32', [6, 2], row([0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6, 0.5, 0.5, 0.6, 0.4]));
    const labels = tensor('label', 'INT64', [6], BigInt64Array.of(1n, 1n, 1n, 0n, 0n, 0n));

    it('reads as one prediction record per request: its rows of every output, its sampled inputs', () => {
      const encoder = new RecordBatchEncoder(512);
      encoder.appendGroup(served('tabular', '7', 1_700_000_000_123, requests, [probabilities, labels]));
      encoder.appendFeedback('a-1', 'tabular', [1, 0], 1_700_000_000_200);
      assert.equal(encoder.openBatchRecords, 4, 'a group counts as its requests');
      const { batches } = roundTrip(encoder);
      assert.equal(batches.length, 1);
      const { predictions, feedback } = batches[0]!.decoded;
      assert.equal(feedback.length, 1);
      const slice = (t: TensorSource, from: number, rows: number, perRow: number) => {
        const bytes = bytesOf(t);
        const rowBytes = perRow * (t.data as Float32Array).BYTES_PER_ELEMENT;
        return { name: t.name, datatype: t.datatype, shape: [rows, ...t.shape.slice(1)], data: bytes.subarray(from * rowBytes, (from + rows) * rowBytes) };
      };
      const asRecord = (t: TensorSource) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape], data: bytesOf(t) });
      const expected: PredictionRecord[] = [
        { id: 'a-1', model: 'tabular', version: '7', role: 'stable', time_ms: 1_700_000_000_123, latency_us: 0, status: 'OK', inputs: requests[0]!.inputs!.map(asRecord), outputs: [slice(probabilities, 0, 2, 2), slice(labels, 0, 2, 1)] },
        { id: '', model: 'tabular', version: '7', role: 'canary', time_ms: 1_700_000_000_123, latency_us: 4294967295, status: 'OK', inputs: [], outputs: [slice(probabilities, 2, 1, 2), slice(labels, 2, 1, 1)] },
        { id: 'ß-标识-🚀', model: 'tabular', version: '7', role: 'stable', time_ms: 1_700_000_000_123, latency_us: 812, status: 'OK', inputs: requests[2]!.inputs!.map(asRecord), outputs: [slice(probabilities, 3, 3, 2), slice(labels, 3, 3, 1)] },
      ];
      assert.equal(predictions.length, expected.length);
      expected.forEach((e, i) => assertSamePrediction(predictions[i]!, e));
    });

    it('gives a group of one request the outputs whole, whatever their dim 0', () => {
      const encoder = new RecordBatchEncoder(512);
      const scores = tensor('scores', 'FP64', [3], Float64Array.of(0.5, 1.5, 2.5));
      encoder.appendGroup(served('unbatched', '1', 5, [{ id: 'only', role: 'stable', latencyUs: 3, rows: 1, inputs: undefined }], [scores]));
      const [record] = roundTrip(encoder).batches[0]!.decoded.predictions;
      assertSamePrediction(record!, { id: 'only', model: 'unbatched', version: '1', role: 'stable', time_ms: 5, latency_us: 3, status: 'OK', inputs: [], outputs: [{ name: 'scores', datatype: 'FP64', shape: [3], data: bytesOf(scores) }] });
    });

    it('keeps a batch within maxBatchRecords, counting a group as its requests', () => {
      const encoder = new RecordBatchEncoder(4);
      const group = (n: number) => {
        const rs = requests.slice(0, n).map((r) => ({ ...r, rows: 1, inputs: undefined }));
        encoder.appendGroup(served('m', '1', 1, rs, [tensor('y', 'FP32', [n, 1], new Float32Array(n))]));
      };
      encoder.appendFeedback('f', 'm', [1], 1);
      group(3); // fills the batch: 4
      group(3);
      group(2); // would make 5: a new batch
      const { batches } = roundTrip(encoder);
      assert.deepEqual(batches.map((b) => b.records), [4, 3, 2]);
      assert.deepEqual(batches.map((b) => b.decoded.predictions.length + b.decoded.feedback.length), [4, 3, 2]);
    });

    it('refuses to decode a group whose columns or rows do not add up', () => {
      const base = { model: 'm', version: '1', time_ms: 1, ids: ['a', 'b'], roles: ['stable', 'stable'], latency_us: [1, 2], rows: [1, 2], inputs: [] };
      const output = { name: 'y', datatype: 'FP32', shape: [3, 1], data: new Uint8Array(12) };
      assert.equal(decodeRecordBatch(encodeRecordBatch({ predictions: [], feedback: [], groups: [{ ...base, outputs: [output] }] })).predictions.length, 2);
      assert.throws(() => decodeRecordBatch(encodeRecordBatch({ predictions: [], feedback: [], groups: [{ ...base, roles: ['stable'], outputs: [output] }] })), /group of 2 requests has 1 roles/);
      assert.throws(() => decodeRecordBatch(encodeRecordBatch({ predictions: [], feedback: [], groups: [{ ...base, outputs: [{ ...output, shape: [4, 1] }] }] })), /output 'y' has shape \[4, 1\] and 12 bytes for 3 rows/);
    });
  });
});
