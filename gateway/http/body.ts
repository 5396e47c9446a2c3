/**
 * Reads a request body from uWS chunks into one buffer, bounded by a size
 * limit. The buffer comes from Node's Buffer pool for small bodies (no
 * allocation of its own), and starts `lead` bytes in, so that the caller can
 * place a part of the body on an aligned address (the binary tensors after an
 * OIP JSON header: typed arrays view them where they lie instead of copying).
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { HttpResponse } from './uws.js';

/** Bytes a body of unknown length starts with, growing as it comes. */
const UNKNOWN_LENGTH_START = 16 * 1024;

export function readBody(
  res: HttpResponse,
  contentLength: string,
  limit: number,
  lead: number,
  done: (body: Buffer) => void,
  fail: (err: SwitchyardError) => void,
): void {
  const tooLarge = (size: number | string): SwitchyardError =>
    new SwitchyardError('SY_ERR_BODY_TOO_LARGE', `request body of ${size} bytes exceeds the limit of ${limit} bytes`);
  const declared = contentLength === '' ? -1 : Number(contentLength);
  if (declared > limit) {
    fail(tooLarge(declared));
    return;
  }
  // uWS chunks are only valid during the callback: copy each one out.
  let buffer = Buffer.allocUnsafe(lead + (declared >= 0 ? declared : UNKNOWN_LENGTH_START));
  let size = 0;
  let failed = false;
  res.onData((chunk, isLast) => {
    if (failed) return;
    const bytes = new Uint8Array(chunk);
    if (size + bytes.byteLength > limit) {
      failed = true;
      fail(tooLarge(`more than ${limit}`));
      return;
    }
    if (lead + size + bytes.byteLength > buffer.byteLength) {
      const grown = Buffer.allocUnsafe(lead + Math.min(limit, Math.max(2 * (buffer.byteLength - lead), size + bytes.byteLength)));
      buffer.copy(grown, lead, lead, lead + size);
      buffer = grown;
    }
    buffer.set(bytes, lead + size);
    size += bytes.byteLength;
    if (isLast) done(buffer.subarray(lead, lead + size));
  });
}
