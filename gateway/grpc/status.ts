/**
 * A thrown error as the gRPC status a client sees: the kind decides the code
 * (errors.ts' one mapper), the message is the details, and the stable
 * SY_ERR_* code travels in trailing metadata for clients that branch on it.
 */
import { Metadata, type StatusObject } from '@grpc/grpc-js';
import { asSwitchyardError, grpcStatusOf } from '../../runtime/errors.js';

export const ERROR_CODE_METADATA_KEY = 'x-switchyard-error-code';

export function statusOf(err: unknown): Partial<StatusObject> {
  const error = asSwitchyardError(err);
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, error.code);
  return { code: grpcStatusOf(error.kind), details: error.message, metadata };
}
