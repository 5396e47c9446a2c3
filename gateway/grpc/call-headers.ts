/**
 * What a gRPC call's request headers say, read as the gRPC over HTTP/2 spec
 * defines them: the content-type, the message encoding, the deadline
 * (grpc-timeout) and the custom metadata.
 */
import type { IncomingHttpHeaders } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { SwitchyardError } from '../../runtime/errors.js';

const GRPC_CONTENT_TYPE = 'application/grpc';

/** The encodings requests may be compressed with; answers are sent uncompressed (identity). */
export type Encoding = 'identity' | 'gzip' | 'deflate';
export const ACCEPT_ENCODING = 'identity,deflate,gzip';

/** application/grpc, application/grpc+proto, each optionally with ;parameters. */
export function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined || !value.startsWith(GRPC_CONTENT_TYPE)) return false;
  const rest = value.slice(GRPC_CONTENT_TYPE.length);
  return rest === '' || rest.startsWith(';') || rest === '+proto' || rest.startsWith('+proto;');
}

export function messageEncoding(headers: IncomingHttpHeaders): Encoding {
  const value = headerText(headers, 'grpc-encoding');
  if (value === undefined || value === 'identity' || value === 'gzip' || value === 'deflate') return value ?? 'identity';
  throw new SwitchyardError('SY_ERR_NOT_IMPLEMENTED', `grpc-encoding '${value}' is not supported; send messages as one of ${ACCEPT_ENCODING}`);
}

const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/** grpc-timeout (1 to 8 digits and a unit) as a performance.now() deadline; Infinity when absent. */
export function callDeadline(headers: IncomingHttpHeaders): number {
  const value = headerText(headers, 'grpc-timeout');
  if (value === undefined) return Infinity;
  const unit = TIMEOUT_UNIT_MS[value.charAt(value.length - 1)];
  const digits = value.slice(0, -1);
  if (unit === undefined || !/^\d{1,8}$/.test(digits)) {
    throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `grpc-timeout '${value}' is not 1 to 8 digits followed by a unit (H, M, S, m, u or n)`);
  }
  return performance.now() + Number(digits) * unit;
}

/**
 * A metadata value as a string ('' when absent). Repeated keys arrive joined
 * by ', ' (node:http2), as gRPC allows; binary (-bin) values are base64, and
 * their first value is decoded and read as UTF-8.
 */
export function metadataValue(headers: IncomingHttpHeaders, key: string): string {
  const text = headerText(headers, key);
  if (text === undefined) return '';
  if (!key.endsWith('-bin')) return text;
  return Buffer.from(text.split(',')[0]!.trim(), 'base64').toString('utf8');
}

function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
