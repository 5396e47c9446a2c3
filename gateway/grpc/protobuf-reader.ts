/**
 * Protobuf wire-format primitives over one received buffer, for the hand-written
 * ModelInferRequest decoder: varints, 64-bit integers kept exact, fixed-width
 * floats, and length-delimited fields as views (no copy). A nested message is
 * read between `enter` (which narrows `end` to it) and `leave`.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { Int64 } from './messages.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

/** Varints shorter than this hold at most 49 bits: exact as a number without BigInt. */
const EXACT_VARINT_BYTES = 7;
const MAX_VARINT_BYTES = 10;

export class ProtobufReader {
  pos: number;
  end: number;

  constructor(
    readonly buf: Buffer,
    /** Named in errors: which message is malformed. */
    private readonly messageName: string,
  ) {
    this.pos = 0;
    this.end = buf.length;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint's low 32 bits, unsigned: tags, lengths, bool, int32 and uint32 values. */
  uint32(): number {
    const { buf } = this;
    let value = 0;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.pos >= this.end) throw this.malformed('a varint runs past the end');
      const byte = buf[this.pos++]!;
      // Bits past the 32nd (shift wraps mod 32) are dropped, as protobuf does for 32-bit fields.
      if (i < 5) value |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) return value >>> 0;
    }
    throw this.malformed('a varint is longer than 10 bytes');
  }

  /** An int64 (two's complement) or uint64 varint: a number when exact, else its decimal string. */
  int64(signed: boolean): Int64 {
    const { buf } = this;
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.pos >= this.end) throw this.malformed('a varint runs past the end');
      const byte = buf[this.pos++]!;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) return i < EXACT_VARINT_BYTES ? value : exactInt64(buf, start, this.pos, signed);
    }
    throw this.malformed('a varint is longer than 10 bytes');
  }

  float(): number {
    const at = this.take(4);
    return this.buf.readFloatLE(at);
  }

  double(): number {
    const at = this.take(8);
    return this.buf.readDoubleLE(at);
  }

  /** Start of a length-delimited field's body; the reader moves past it. */
  delimited(): number {
    return this.take(this.uint32());
  }

  bytes(): Buffer {
    const start = this.delimited();
    return this.buf.subarray(start, this.pos);
  }

  string(): string {
    const start = this.delimited();
    return this.buf.toString('utf8', start, this.pos);
  }

  /** Confines the reader to a length-delimited field's body; returns what `leave` needs to step out of it. */
  enter(): number {
    const start = this.delimited();
    const outer = this.end;
    this.end = this.pos;
    this.pos = start;
    return outer;
  }

  /** Moves past the field entered, back in the enclosing message. */
  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  /** Reads a repeated field's value: scalars packed (one delimited run) or not (one value per tag). */
  repeated<T>(wireType: number, valueWireType: number, read: (reader: ProtobufReader) => T, into: T[]): void {
    if (wireType !== WIRE_LENGTH_DELIMITED || valueWireType === WIRE_LENGTH_DELIMITED) {
      this.expect(wireType, valueWireType);
      into.push(read(this));
      return;
    }
    const outer = this.enter();
    while (this.pos < this.end) into.push(read(this));
    this.leave(outer);
  }

  expect(wireType: number, expected: number): void {
    if (wireType !== expected) throw this.malformed(`a field has wire type ${wireType}, expected ${expected}`);
  }

  /** Skips a field this decoder does not read (unknown fields are allowed by protobuf). */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.uint32();
        return;
      case WIRE_FIXED64:
        this.take(8);
        return;
      case WIRE_LENGTH_DELIMITED:
        this.delimited();
        return;
      case WIRE_FIXED32:
        this.take(4);
        return;
      default:
        throw this.malformed(`wire type ${wireType} is not one proto3 uses`);
    }
  }

  malformed(what: string): SwitchyardError {
    return new SwitchyardError('SY_ERR_INVALID_REQUEST', `the ${this.messageName} message is not valid protobuf: ${what} (at byte ${this.pos} of ${this.buf.length})`);
  }

  /** Moves past `length` bytes, returning where they start. */
  private take(length: number): number {
    const at = this.pos;
    if (length > this.end - at) throw this.malformed(`a field of ${length} bytes runs past the end`);
    this.pos = at + length;
    return at;
  }
}

/** A varint of 8-10 bytes, read exactly through BigInt: a number when it is a safe integer. */
function exactInt64(buf: Buffer, start: number, end: number, signed: boolean): Int64 {
  let value = 0n;
  for (let i = end - 1; i >= start; i--) value = (value << 7n) | BigInt(buf[i]! & 0x7f);
  const wrapped = signed ? BigInt.asIntN(64, value) : BigInt.asUintN(64, value);
  const asNumber = Number(wrapped);
  return Number.isSafeInteger(asNumber) ? asNumber : wrapped.toString();
}
