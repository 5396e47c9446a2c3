/** Reads a request body from uWS chunks into one buffer, bounded by a size limit. */
import { SwitchyardError } from '../../runtime/errors.js';
import type { HttpResponse } from './uws.js';

export function readBody(
  res: HttpResponse,
  contentLength: string,
  limit: number,
  done: (body: Uint8Array) => void,
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
  let buffer = new Uint8Array(declared >= 0 ? declared : 16 * 1024);
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
    if (size + bytes.byteLength > buffer.byteLength) {
      const grown = new Uint8Array(Math.min(limit, Math.max(buffer.byteLength * 2, size + bytes.byteLength)));
      grown.set(buffer.subarray(0, size));
      buffer = grown;
    }
    buffer.set(bytes, size);
    size += bytes.byteLength;
    if (isLast) done(buffer.subarray(0, size));
  });
}
