/**
 * gRPC's length-prefixed messages (a 1-byte compressed flag, a 4-byte
 * big-endian length, the message), both ways. Reading: out of a request's DATA
 * chunks, which may split a message anywhere or hold several; a message inside
 * one chunk is handed on as a view of it, one split across chunks is gathered
 * into a buffer of its own size, allocated once its length is known and
 * checked against the limit. Writing: encoders write messages straight into a
 * frame from `allocateFrame`.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import { GRPC_PREFIX_BYTES } from '../../runtime/grpc-message-counter.js';

export interface MessageSink {
  message(bytes: Buffer, compressed: boolean): void;
}

export class MessageReader {
  /** A prefix split across chunks, gathered here. */
  readonly #prefix = Buffer.alloc(GRPC_PREFIX_BYTES);
  #prefixHave = 0;
  /** The message being gathered across chunks, if any. */
  #body: Buffer | undefined;
  #bodyHave = 0;
  #compressed = false;

  constructor(private readonly maxMessageBytes: number) {}

  /** True when the bytes so far end inside a message. */
  get partial(): boolean {
    return this.#prefixHave > 0 || this.#body !== undefined;
  }

  /** Hands every message `chunk` completes to `sink`; throws on framing the call cannot go on from. */
  push(chunk: Buffer, sink: MessageSink): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#body) {
        at = this.#gather(chunk, at, sink);
        continue;
      }
      let length: number;
      if (this.#prefixHave === 0 && chunk.length - at >= GRPC_PREFIX_BYTES) {
        length = this.#start(chunk[at]!, chunk.readUInt32BE(at + 1));
        at += GRPC_PREFIX_BYTES;
      } else {
        const take = Math.min(GRPC_PREFIX_BYTES - this.#prefixHave, chunk.length - at);
        chunk.copy(this.#prefix, this.#prefixHave, at, at + take);
        at += take;
        this.#prefixHave += take;
        if (this.#prefixHave < GRPC_PREFIX_BYTES) return;
        this.#prefixHave = 0;
        length = this.#start(this.#prefix[0]!, this.#prefix.readUInt32BE(1));
      }
      if (chunk.length - at >= length) {
        sink.message(chunk.subarray(at, at + length), this.#compressed);
        at += length;
      } else {
        this.#body = Buffer.allocUnsafe(length);
        this.#bodyHave = 0;
      }
    }
  }

  /** Reads a message's prefix: its flag and length, both checked. */
  #start(flag: number, length: number): number {
    if (flag > 1) throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `a gRPC message prefix has compressed flag ${flag}; it must be 0 or 1`);
    if (length > this.maxMessageBytes) throw messageTooLarge('a received message', length, this.maxMessageBytes);
    this.#compressed = flag === 1;
    return length;
  }

  #gather(chunk: Buffer, at: number, sink: MessageSink): number {
    const body = this.#body!;
    const take = Math.min(body.length - this.#bodyHave, chunk.length - at);
    chunk.copy(body, this.#bodyHave, at, at + take);
    this.#bodyHave += take;
    if (this.#bodyHave === body.length) {
      this.#body = undefined;
      sink.message(body, this.#compressed);
    }
    return at + take;
  }
}

/** A frame for a message of `messageBytes` bytes (uncompressed), its prefix written. */
export function allocateFrame(messageBytes: number): Buffer {
  const frame = Buffer.allocUnsafe(GRPC_PREFIX_BYTES + messageBytes);
  frame[0] = 0;
  frame.writeUInt32BE(messageBytes, 1);
  return frame;
}

/** `which`: 'a received message', 'the answer'. */
export function messageTooLarge(which: string, bytes: number, limit: number): SwitchyardError {
  return new SwitchyardError('SY_ERR_BODY_TOO_LARGE', `${which} is ${bytes} bytes, over this server's limit of ${limit} bytes per message`);
}
