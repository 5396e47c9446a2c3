/**
 * Reads a request body from uWS chunks into one buffer, bounded by a size
 * limit. The buffer comes from Node's Buffer pool for small bodies (no
 * allocation of its own), and starts `lead` bytes in, so that the caller can
 * place a part of the body on an aligned address (the binary tensors after an
 * OIP JSON header: typed arrays view them where they lie instead of copying).
 *
 * A body over the limit is read on and thrown away, up to DRAIN_BYTES more,
 * before the refusal: a server that answers and closes while the client is
 * still sending makes the client's TCP stack see a reset, often before it has
 * read the answer (nginx's lingering close, for the same reason). Past that,
 * the refusal goes at once and the connection is closed.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { HttpResponse } from './uws.js';

/** Bytes a body of unknown length starts with, growing as it comes. */
const UNKNOWN_LENGTH_START = 16 * 1024;
/** Bytes past the limit read and discarded so that the client can take its 413. */
const DRAIN_BYTES = 1024 * 1024;

/** `close`: the rest of the body was not read, so the connection must go with the answer. */
export type BodyRefused = (err: SwitchyardError, close: boolean) => void;

export function readBody(res: HttpResponse, contentLength: string, limit: number, lead: number, done: (body: Buffer) => void, fail: BodyRefused): void {
  const tooLarge = (size: number | string): SwitchyardError =>
    new SwitchyardError('SY_ERR_BODY_TOO_LARGE', `request body of ${size} bytes exceeds the limit of ${limit} bytes`);
  const declared = contentLength === '' ? -1 : Number(contentLength);
  if (declared > limit + DRAIN_BYTES) {
    fail(tooLarge(declared), true);
    return;
  }
  // uWS chunks are only valid during the callback: copy each one out.
  let buffer = declared > limit ? undefined : Buffer.allocUnsafe(lead + (declared >= 0 ? declared : UNKNOWN_LENGTH_START));
  let size = 0;
  let refused = false;
  res.onData((chunk, isLast) => {
    if (refused) return;
    size += chunk.byteLength;
    if (size > limit) {
      buffer = undefined;
      if (size > limit + DRAIN_BYTES) {
        refused = true;
        return fail(tooLarge(`more than ${limit + DRAIN_BYTES}`), true);
      }
      if (isLast) fail(tooLarge(declared >= 0 ? declared : size), false);
      return;
    }
    const at = size - chunk.byteLength;
    if (lead + size > buffer!.byteLength) {
      const grown = Buffer.allocUnsafe(lead + Math.min(limit, Math.max(2 * (buffer!.byteLength - lead), size)));
      buffer!.copy(grown, lead, lead, lead + at);
      buffer = grown;
    }
    buffer!.set(new Uint8Array(chunk), lead + at);
    if (isLast) done(buffer!.subarray(lead, lead + size));
  });
}
