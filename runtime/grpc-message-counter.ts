/**
 * gRPC's message framing over HTTP/2 (a 1-byte compressed flag, a 4-byte
 * big-endian length, the message), read just far enough to count messages:
 * the record sink counts the monitor's acks with it, the streaming benchmark's
 * ack-only sink the batches it acknowledges.
 */

/** Bytes of a message's length prefix. */
export const GRPC_PREFIX_BYTES = 5;

/** Counts whole gRPC messages in a byte stream that may split or join them anywhere. */
export class GrpcMessageCounter {
  private readonly prefix = Buffer.alloc(GRPC_PREFIX_BYTES);
  private prefixHave = 0;
  /** Body bytes of the current message still to come. */
  private bodyLeft = 0;

  /** How many messages `chunk` completed. */
  add(chunk: Buffer): number {
    let done = 0;
    for (let at = 0; at < chunk.length; ) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - at);
        at += take;
        this.bodyLeft -= take;
        if (this.bodyLeft === 0) done++;
        continue;
      }
      const take = Math.min(GRPC_PREFIX_BYTES - this.prefixHave, chunk.length - at);
      chunk.copy(this.prefix, this.prefixHave, at, at + take);
      at += take;
      this.prefixHave += take;
      if (this.prefixHave < GRPC_PREFIX_BYTES) break;
      this.prefixHave = 0;
      this.bodyLeft = this.prefix.readUInt32BE(1);
      if (this.bodyLeft === 0) done++;
    }
    return done;
  }
}
