/**
 * A thrown error as the gRPC status a client sees: the kind decides the code
 * (errors.ts' one mapper), the message is grpc-message (percent-encoded as the
 * gRPC over HTTP/2 spec says), and the stable SY_ERR_* code travels in
 * trailing metadata for clients that branch on it.
 */
import type { OutgoingHttpHeaders } from 'node:http2';
import { asSwitchyardError, grpcStatusOf } from '../../runtime/errors.js';

export const ERROR_CODE_METADATA_KEY = 'x-switchyard-error-code';

export const OK_TRAILERS: Readonly<OutgoingHttpHeaders> = Object.freeze({ 'grpc-status': '0' });

export function errorTrailers(err: unknown): OutgoingHttpHeaders {
  const error = asSwitchyardError(err);
  return {
    'grpc-status': String(grpcStatusOf(error.kind)),
    'grpc-message': percentEncoded(error.message),
    [ERROR_CODE_METADATA_KEY]: error.code,
  };
}

/** Bytes outside printable ASCII, and '%' itself, as %XX of their UTF-8 encoding. */
export function percentEncoded(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length && plain; i++) {
    const c = text.charCodeAt(i);
    plain = c >= 0x20 && c <= 0x7e && c !== 0x25;
  }
  if (plain) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
