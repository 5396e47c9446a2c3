/**
 * Records encoded to protobuf the moment they are published (proto/monitor.proto,
 * written by hand for exactly these messages): each record, or group of records
 * of one ONNX run, is appended as one length-delimited RecordBatch field
 * (`predictions = 1`, `feedback = 2`, `groups = 3`) to the open batch, so a batch is already the wire message and nothing but bytes waits
 * for the sink — no record objects, no views onto request buffers.
 *
 * Batches are carved out of slabs: a batch closes at `maxBatchRecords` records
 * or when the next record would take it past `maxBatchBytes`; a record larger
 * than that on its own gets a buffer of its own. A closed batch is a subarray
 * of its slab, never written again until the owner releases it; a slab whose
 * batches were all released is used again. A new slab is a large ArrayBuffer
 * that lives long enough to be promoted, and V8 counts it toward the old
 * generation: allocated afresh every second or so under load, slabs set off a
 * full mark-compact every few seconds; reused, they cost nothing after the first.
 * Slabs are shared memory, so a batch goes to the sink's thread without a copy.
 *
 * Defaults are not written (proto3), int64s are numbers (ms timestamps and
 * shapes fit), repeated numbers are packed, tensor bytes are the typed array's
 * little-endian memory.
 */

/** A tensor as the gateway holds it (InputTensor / OutputTensor). */
export interface TensorSource {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: ArrayBufferView;
}

/** One request recorded on its own: a failed one, or one whose batch could not go as a group. */
export interface SinglePrediction {
  readonly id: string;
  readonly model: string;
  readonly version: string;
  readonly role: string;
  readonly timeMs: number;
  readonly inputs: readonly TensorSource[];
  readonly outputs: readonly TensorSource[];
  readonly latencyUs: number;
  readonly status: string;
}

/** An answered request of a group, as the gateway holds it. */
export interface GroupMember {
  readonly id: string;
  readonly role: string;
  /** Its rows along dim 0 of the group's outputs. */
  readonly rows: number;
  readonly inputs: readonly TensorSource[];
}

/**
 * The answered requests of one ONNX run, with the run's outputs. `latencyUs`
 * and `sampled` (whether a request's inputs are recorded) are columns indexed
 * like `requests`, so that recording a request makes no object of its own.
 */
export interface ServedGroup {
  readonly model: string;
  readonly version: string;
  readonly timeMs: number;
  readonly requests: readonly GroupMember[];
  readonly latencyUs: readonly number[];
  readonly sampled: readonly boolean[];
  readonly outputs: readonly TensorSource[];
}

/** A buffer batches are carved out of, and how many of them are closed and not yet released. */
interface Slab {
  readonly bytes: Buffer;
  batches: number;
}

/** One closed batch: a whole RecordBatch message. */
export interface EncodedBatch {
  readonly bytes: Buffer;
  readonly records: number;
}

interface ClosedBatch extends EncodedBatch {
  /** The slab it is carved out of; none for a record over the cap, which has a buffer of its own. */
  readonly slab: Slab | undefined;
}

/**
 * A send's fixed cost on the sink's thread (its wake-ups, and stream code that,
 * run a few times a second, is never optimized) outweighs its cost per byte, so
 * batches are large: 1 MiB against 256 KiB took that thread from ~1.5 to ~0.9 µs
 * per request (mlp, 15,000 requests/s, through grpc-js then; ~0.4 since the sink
 * speaks HTTP/2 itself). Still under the 4 MiB a gRPC server takes by default.
 */
export const DEFAULT_MAX_BATCH_BYTES = 1 << 20;
/** A few batches a slab, so that one seldom has to move to the next. */
const DEFAULT_SLAB_BYTES = 4 << 20;
/** Released slabs kept for reuse; more are left to the garbage collector. */
const MAX_SPARE_SLABS = 2;

// Field tags: (field number << 3) | wire type (0 varint, 1 64-bit, 2 length-delimited).
const BATCH_PREDICTIONS = (1 << 3) | 2;
const BATCH_FEEDBACK = (2 << 3) | 2;
const PREDICTION_ID = (1 << 3) | 2;
const PREDICTION_MODEL = (2 << 3) | 2;
const PREDICTION_VERSION = (3 << 3) | 2;
const PREDICTION_ROLE = (4 << 3) | 2;
const PREDICTION_TIME_MS = (5 << 3) | 0;
const PREDICTION_INPUTS = (6 << 3) | 2;
const PREDICTION_OUTPUTS = (7 << 3) | 2;
const PREDICTION_LATENCY_US = (8 << 3) | 0;
const PREDICTION_STATUS = (9 << 3) | 2;
const TENSOR_NAME = (1 << 3) | 2;
const TENSOR_DATATYPE = (2 << 3) | 2;
const TENSOR_SHAPE = (3 << 3) | 2;
const TENSOR_DATA = (4 << 3) | 2;
const BATCH_GROUPS = (3 << 3) | 2;
const GROUP_MODEL = (1 << 3) | 2;
const GROUP_VERSION = (2 << 3) | 2;
const GROUP_TIME_MS = (3 << 3) | 0;
const GROUP_IDS = (4 << 3) | 2;
const GROUP_ROLES = (5 << 3) | 2;
const GROUP_LATENCY_US = (6 << 3) | 2;
const GROUP_ROWS = (7 << 3) | 2;
const GROUP_OUTPUTS = (8 << 3) | 2;
const GROUP_INPUTS = (9 << 3) | 2;
const SAMPLED_REQUEST = (1 << 3) | 0;
const SAMPLED_INPUTS = (2 << 3) | 2;
const FEEDBACK_ID = (1 << 3) | 2;
const FEEDBACK_MODEL = (2 << 3) | 2;
const FEEDBACK_LABELS = (3 << 3) | 2;
const FEEDBACK_TIME_MS = (4 << 3) | 0;

const TWO_32 = 4294967296;
/** An empty string field: its tag and a zero length. proto3 leaves it out, except as an element of a repeated field. */
const EMPTY_FIELD_BYTES = 2;
/** Distinct repeated strings kept encoded: names of models, versions, tensors and the like. */
const MAX_KNOWN_STRINGS = 1024;

export class RecordBatchEncoder {
  /** Closed batches, oldest first. The owner takes them off the front once they are delivered. */
  private readonly closedBatches: ClosedBatch[] = [];
  private slab: Slab;
  private readonly spareSlabs: Slab[] = [];
  /** Where the open batch starts in the slab, and where its next record goes. */
  private start = 0;
  private end = 0;
  private openRecords = 0;
  /** Room a new batch wants in the slab: a little more than the last batch took. */
  private expectedBatchBytes = 0;
  /**
   * The size pass's results in writing order — UTF-8 lengths of strings, body
   * lengths of tensors — so the write pass measures nothing again.
   */
  private readonly lengths: number[] = [];
  private lengthCount = 0;
  private lengthAt = 0;
  /** The same for the repeated strings: their encoded bytes, looked up once per record. */
  private readonly knownInOrder: Buffer[] = [];
  private knownCount = 0;
  private knownAt = 0;
  /**
   * UTF-8 bytes of the strings every record repeats — model, version, role, status, tensor names
   * and datatypes — measured and encoded once. Bounded: emptied when full.
   */
  private readonly known = new Map<string, Buffer>();
  /** Where the field being written goes (the slab, or a buffer of its own), and where it must end. */
  private out: Buffer;
  private outEnd = 0;

  constructor(
    private readonly maxBatchRecords: number,
    private readonly maxBatchBytes = DEFAULT_MAX_BATCH_BYTES,
    private readonly slabBytes = Math.max(DEFAULT_SLAB_BYTES, maxBatchBytes),
  ) {
    if (!(maxBatchRecords >= 1) || !(maxBatchBytes >= 16) || !(slabBytes >= maxBatchBytes)) {
      throw new RangeError(`RecordBatchEncoder: maxBatchRecords ${maxBatchRecords}, maxBatchBytes ${maxBatchBytes}, slabBytes ${slabBytes}`);
    }
    this.slab = newSlab(slabBytes);
    this.out = this.slab.bytes;
  }

  /** Closed batches, oldest first. */
  get closed(): readonly EncodedBatch[] {
    return this.closedBatches;
  }

  /** The oldest closed batch is delivered (or given up): it leaves `closed`, and its bytes may be written again. */
  release(): void {
    const batch = this.closedBatches.shift();
    const slab = batch?.slab;
    if (!slab) return;
    slab.batches--;
    if (slab !== this.slab) this.recycle(slab);
  }

  /** Records in the batch still open (not yet in `closed`). */
  get openBatchRecords(): number {
    return this.openRecords;
  }

  appendPrediction(prediction: SinglePrediction): void {
    const { id, model, version, role, timeMs, inputs, outputs, status } = prediction;
    const latencyUs = prediction.latencyUs >>> 0;
    this.lengthCount = 0;
    this.knownCount = 0;
    let body = this.stringSize(id) + this.knownSize(model) + this.knownSize(version) + this.knownSize(role);
    if (timeMs !== 0) body += 1 + int64Size(timeMs);
    for (const t of inputs) body += this.tensorSize(t);
    for (const t of outputs) body += this.tensorSize(t);
    if (latencyUs !== 0) body += 1 + varintSize(latencyUs);
    body += this.knownSize(status);

    let o = this.open(BATCH_PREDICTIONS, body, 1);
    const buf = this.out;
    o = this.writeString(buf, o, PREDICTION_ID, id);
    o = this.writeKnown(buf, o, PREDICTION_MODEL);
    o = this.writeKnown(buf, o, PREDICTION_VERSION);
    o = this.writeKnown(buf, o, PREDICTION_ROLE);
    if (timeMs !== 0) {
      buf[o++] = PREDICTION_TIME_MS;
      o = writeInt64(buf, o, timeMs);
    }
    for (const t of inputs) o = this.writeTensor(buf, o, PREDICTION_INPUTS, t);
    for (const t of outputs) o = this.writeTensor(buf, o, PREDICTION_OUTPUTS, t);
    if (latencyUs !== 0) {
      buf[o++] = PREDICTION_LATENCY_US;
      o = writeVarint(buf, o, latencyUs);
    }
    o = this.writeKnown(buf, o, PREDICTION_STATUS);
    this.commit(o, 1);
  }

  /**
   * The answered requests of one ONNX run as one PredictionGroup: what they
   * share once, their outputs as the run's own tensors — a few bytes of work
   * per request instead of a whole record.
   */
  appendGroup(group: ServedGroup): void {
    const { model, version, timeMs, requests, latencyUs, sampled, outputs } = group;
    const n = requests.length;
    this.lengthCount = 0;
    this.knownCount = 0;
    let body = this.knownSize(model) + this.knownSize(version);
    if (timeMs !== 0) body += 1 + int64Size(timeMs);
    let latencyBytes = 0;
    let rowBytes = 0;
    // ids take the first n lengths, roles the known strings after model and version, in this order
    for (let i = 0; i < n; i++) {
      const r = requests[i]!;
      body += this.elementSize(r.id) + this.knownElementSize(r.role);
      latencyBytes += varintSize(latencyUs[i]! >>> 0);
      rowBytes += varintSize(r.rows >>> 0);
    }
    if (n > 0) body += 2 + varintSize(latencyBytes) + latencyBytes + varintSize(rowBytes) + rowBytes;
    for (const t of outputs) body += this.tensorSize(t);
    for (let i = 0; i < n; i++) {
      if (!sampled[i]) continue;
      const slot = this.lengthCount++;
      let size = i === 0 ? 0 : 1 + varintSize(i);
      for (const t of requests[i]!.inputs) size += this.tensorSize(t);
      this.lengths[slot] = size;
      body += 1 + varintSize(size) + size;
    }

    let o = this.open(BATCH_GROUPS, body, n);
    const buf = this.out;
    o = this.writeKnown(buf, o, GROUP_MODEL);
    o = this.writeKnown(buf, o, GROUP_VERSION);
    if (timeMs !== 0) {
      buf[o++] = GROUP_TIME_MS;
      o = writeInt64(buf, o, timeMs);
    }
    for (let i = 0; i < n; i++) o = this.writeElement(buf, o, GROUP_IDS, requests[i]!.id);
    for (let i = 0; i < n; i++) o = this.writeKnownElement(buf, o, GROUP_ROLES);
    if (n > 0) {
      buf[o++] = GROUP_LATENCY_US;
      o = writeVarint(buf, o, latencyBytes);
      for (let i = 0; i < n; i++) o = writeVarint(buf, o, latencyUs[i]! >>> 0);
      buf[o++] = GROUP_ROWS;
      o = writeVarint(buf, o, rowBytes);
      for (let i = 0; i < n; i++) o = writeVarint(buf, o, requests[i]!.rows >>> 0);
    }
    for (const t of outputs) o = this.writeTensor(buf, o, GROUP_OUTPUTS, t);
    for (let i = 0; i < n; i++) {
      if (!sampled[i]) continue;
      buf[o++] = GROUP_INPUTS;
      o = writeVarint(buf, o, this.lengths[this.lengthAt++]!);
      if (i !== 0) {
        buf[o++] = SAMPLED_REQUEST;
        o = writeVarint(buf, o, i);
      }
      for (const t of requests[i]!.inputs) o = this.writeTensor(buf, o, SAMPLED_INPUTS, t);
    }
    this.commit(o, n);
  }

  appendFeedback(id: string, model: string, labels: readonly number[], timeMs: number): void {
    this.lengthCount = 0;
    let body = this.stringSize(id) + this.stringSize(model);
    const labelBytes = labels.length * 8;
    if (labelBytes > 0) body += 1 + varintSize(labelBytes) + labelBytes;
    if (timeMs !== 0) body += 1 + int64Size(timeMs);

    let o = this.open(BATCH_FEEDBACK, body, 1);
    const buf = this.out;
    o = this.writeString(buf, o, FEEDBACK_ID, id);
    o = this.writeString(buf, o, FEEDBACK_MODEL, model);
    if (labelBytes > 0) {
      buf[o++] = FEEDBACK_LABELS;
      o = writeVarint(buf, o, labelBytes);
      for (const label of labels) o = buf.writeDoubleLE(label, o);
    }
    if (timeMs !== 0) {
      buf[o++] = FEEDBACK_TIME_MS;
      o = writeInt64(buf, o, timeMs);
    }
    this.commit(o, 1);
  }

  /** Closes the open batch, if it holds any record. */
  closeBatch(): void {
    if (this.openRecords === 0) return;
    this.closedBatches.push({ bytes: this.slab.bytes.subarray(this.start, this.end), records: this.openRecords, slab: this.slab });
    this.slab.batches++;
    this.expectedBatchBytes = Math.min(this.maxBatchBytes, Math.ceil((this.end - this.start) * 1.25));
    this.start = this.end;
    this.openRecords = 0;
  }

  /**
   * Room for a record of `size` bytes: closes the open batch when the record
   * would take it past the byte cap; takes another slab when this one is full —
   * or, for a new batch, when it has less room left than the last batch took,
   * so that a batch seldom has to move. Returns the slab (write at `end`) or,
   * for a record over the cap on its own, a buffer of its own (write at 0).
   */
  private reserve(size: number, records: number): Buffer {
    if (this.openRecords > 0 && (this.end - this.start + size > this.maxBatchBytes || this.openRecords + records > this.maxBatchRecords)) this.closeBatch();
    if (size > this.maxBatchBytes) return Buffer.allocUnsafe(size);
    const room = this.slabBytes - this.end;
    if (room < size || (this.openRecords === 0 && room < this.expectedBatchBytes)) {
      // The open batch (under the cap with this record, so it fits) moves to the start of the next slab.
      const next = this.spareSlabs.pop() ?? newSlab(this.slabBytes);
      this.slab.bytes.copy(next.bytes, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
      const previous = this.slab;
      this.slab = next;
      this.recycle(previous);
    }
    return this.slab.bytes;
  }

  /** A slab no longer written to is kept for reuse once none of its batches waits for delivery. */
  private recycle(slab: Slab): void {
    if (slab.batches === 0 && this.spareSlabs.length < MAX_SPARE_SLABS) this.spareSlabs.push(slab);
  }

  /**
   * Room for one RecordBatch field of `body` bytes holding `records` records (see reserve): writes
   * its tag and length and readies the write pass; the body goes to `out` from the offset returned.
   */
  private open(tag: number, body: number, records: number): number {
    const size = 1 + varintSize(body) + body;
    const buf = this.reserve(size, records);
    const start = buf === this.slab.bytes ? this.end : 0;
    this.out = buf;
    this.outEnd = start + size;
    this.lengthAt = 0;
    this.knownAt = 0;
    buf[start] = tag;
    return writeVarint(buf, start + 1, body);
  }

  /** The field opened last is written up to `written`. */
  private commit(written: number, records: number): void {
    // A mismatch is a bug in the size pass; the record is lost, not the batch.
    if (written !== this.outEnd) throw new Error(`record encoder: wrote ${written} bytes where ${this.outEnd} were measured`);
    const buf = this.out;
    if (buf !== this.slab.bytes) {
      this.closedBatches.push({ bytes: buf, records, slab: undefined });
      return;
    }
    this.end = written;
    this.openRecords += records;
    if (this.openRecords >= this.maxBatchRecords) this.closeBatch();
  }

  /** Bytes of a string field (none when empty: proto3 does not write defaults). */
  private stringSize(s: string): number {
    const size = this.elementSize(s);
    return size === EMPTY_FIELD_BYTES ? 0 : size;
  }

  /** Bytes of an element of a repeated string field: written even when empty, or the columns would shift. */
  private elementSize(s: string): number {
    const n = utf8Length(s);
    this.lengths[this.lengthCount++] = n;
    return 1 + varintSize(n) + n;
  }

  /** The same for a value that repeats across records. */
  private knownElementSize(s: string): number {
    const bytes = this.knownBytes(s);
    this.knownInOrder[this.knownCount++] = bytes;
    return 1 + varintSize(bytes.length) + bytes.length;
  }

  /** Bytes of a tensor field (the Tensor message is never empty: its field is always written). */
  private tensorSize(t: TensorSource): number {
    const slot = this.lengthCount++;
    let body = this.knownSize(t.name) + this.knownSize(t.datatype);
    const shapeBytes = packedInt64Size(t.shape);
    if (shapeBytes > 0) body += 1 + varintSize(shapeBytes) + shapeBytes;
    const dataBytes = t.data.byteLength;
    if (dataBytes > 0) body += 1 + varintSize(dataBytes) + dataBytes;
    this.lengths[slot] = body;
    return 1 + varintSize(body) + body;
  }

  private knownBytes(s: string): Buffer {
    let bytes = this.known.get(s);
    if (bytes === undefined) {
      if (this.known.size >= MAX_KNOWN_STRINGS) this.known.clear();
      bytes = Buffer.from(s, 'utf8');
      this.known.set(s, bytes);
    }
    return bytes;
  }

  /** Bytes of a string field whose value repeats across records. */
  private knownSize(s: string): number {
    const size = this.knownElementSize(s);
    return size === EMPTY_FIELD_BYTES ? 0 : size;
  }

  private writeKnown(buf: Buffer, o: number, tag: number): number {
    if (this.knownInOrder[this.knownAt]!.length === 0) {
      this.knownAt++;
      return o;
    }
    return this.writeKnownElement(buf, o, tag);
  }

  private writeKnownElement(buf: Buffer, o: number, tag: number): number {
    const bytes = this.knownInOrder[this.knownAt++]!;
    const n = bytes.length;
    buf[o++] = tag;
    o = writeVarint(buf, o, n);
    for (let i = 0; i < n; i++) buf[o + i] = bytes[i]!;
    return o + n;
  }

  private writeString(buf: Buffer, o: number, tag: number, s: string): number {
    if (this.lengths[this.lengthAt] === 0) {
      this.lengthAt++;
      return o;
    }
    return this.writeElement(buf, o, tag, s);
  }

  private writeElement(buf: Buffer, o: number, tag: number, s: string): number {
    const n = this.lengths[this.lengthAt++]!;
    buf[o++] = tag;
    o = writeVarint(buf, o, n);
    if (n !== s.length) buf.write(s, o, n, 'utf8');
    // ASCII (as many bytes as characters): a short one (a request id) is copied here, cheaper than a call into the native encoder
    else if (n <= SHORT_STRING) for (let i = 0; i < n; i++) buf[o + i] = charCodeAt.call(s, i);
    else buf.write(s, o, n, 'latin1');
    return o + n;
  }

  private writeTensor(buf: Buffer, o: number, tag: number, t: TensorSource): number {
    buf[o++] = tag;
    o = writeVarint(buf, o, this.lengths[this.lengthAt++]!);
    o = this.writeKnown(buf, o, TENSOR_NAME);
    o = this.writeKnown(buf, o, TENSOR_DATATYPE);
    const shapeBytes = packedInt64Size(t.shape);
    if (shapeBytes > 0) {
      buf[o++] = TENSOR_SHAPE;
      o = writeVarint(buf, o, shapeBytes);
      for (const d of t.shape) o = writeInt64(buf, o, d);
    }
    const dataBytes = t.data.byteLength;
    if (dataBytes > 0) {
      buf[o++] = TENSOR_DATA;
      o = writeVarint(buf, o, dataBytes);
      buf.set(new Uint8Array(t.data.buffer, t.data.byteOffset, dataBytes), o);
      o += dataBytes;
    }
    return o;
  }
}

/** A slab in shared memory (see above). */
function newSlab(bytes: number): Slab {
  return { bytes: Buffer.from(new SharedArrayBuffer(bytes)), batches: 0 };
}

/**
 * Called as charCodeAt.call(s, i), not s.charCodeAt(i): the encoder sees strings of many
 * kinds (flat, sliced, internalized, two-byte...), and looking the method up on each of them
 * made V8 call its generic property lookup once per character.
 */
const charCodeAt = String.prototype.charCodeAt;

/** Strings up to this long (request ids: a UUID is 36) are measured in JS: cheaper than a call into the native encoder. */
const SHORT_STRING = 64;

function utf8Length(s: string): number {
  if (s.length > SHORT_STRING) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < s.length; i++) if (charCodeAt.call(s, i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/** Varint bytes of a non-negative integer up to 2^53. */
function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 4;
  v = Math.floor(v / 0x10000000);
  while (v > 0) {
    n++;
    v = Math.floor(v / 0x80);
  }
  return n;
}

/** int64 as a varint: negatives take ten bytes (two's complement). */
function int64Size(v: number): number {
  return v < 0 ? 10 : varintSize(v);
}

function packedInt64Size(values: readonly number[]): number {
  let size = 0;
  for (const v of values) size += int64Size(v);
  return size;
}

function writeVarint(buf: Buffer, o: number, v: number): number {
  while (v >= 0x80) {
    buf[o++] = (v & 0x7f) | 0x80;
    v = v >= TWO_32 ? Math.floor(v / 0x80) : v >>> 7;
  }
  buf[o++] = v;
  return o;
}

function writeInt64(buf: Buffer, o: number, v: number): number {
  if (v >= 0) return writeVarint(buf, o, v);
  // Two's complement over 64 bits, 7 bits a byte: ten bytes.
  let u = BigInt.asUintN(64, BigInt(Math.trunc(v)));
  for (let i = 0; i < 9; i++) {
    buf[o++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[o++] = Number(u);
  return o;
}
