/** Every error code has a kind, an HTTP status and a gRPC status, and survives a thread boundary. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ERROR_CODES, GRPC_STATUS, grpcStatusOf, httpStatusOf, SwitchyardError, type ErrorCode } from '../../runtime/errors.js';

const EXPECTED: Record<ErrorCode, [number, number]> = {
  SY_ERR_MODEL_NOT_FOUND: [404, status.NOT_FOUND],
  SY_ERR_ROLLOUT_NOT_FOUND: [404, status.NOT_FOUND],
  SY_ERR_VERSION_NOT_FOUND: [404, status.NOT_FOUND],
  SY_ERR_ROUTE_NOT_FOUND: [404, status.NOT_FOUND],
  SY_ERR_ALIAS_NOT_FOUND: [404, status.NOT_FOUND],
  SY_ERR_JOB_NOT_FOUND: [404, status.NOT_FOUND],
  SY_ERR_INVALID_NAME: [400, status.INVALID_ARGUMENT],
  SY_ERR_INVALID_MANIFEST: [400, status.INVALID_ARGUMENT],
  SY_ERR_SHA256_MISMATCH: [400, status.INVALID_ARGUMENT],
  SY_ERR_INVALID_POLICY: [400, status.INVALID_ARGUMENT],
  SY_ERR_UNAUTHENTICATED: [401, status.UNAUTHENTICATED],
  SY_ERR_INVALID_SIGNATURE: [401, status.UNAUTHENTICATED],
  SY_ERR_FORBIDDEN: [403, status.PERMISSION_DENIED],
  SY_ERR_VERSION_EXISTS: [409, status.FAILED_PRECONDITION],
  SY_ERR_VERSION_ARCHIVED: [409, status.FAILED_PRECONDITION],
  SY_ERR_VERSION_REFUSED: [409, status.FAILED_PRECONDITION],
  SY_ERR_IN_TRAFFIC: [409, status.FAILED_PRECONDITION],
  SY_ERR_REVISION_MISMATCH: [409, status.FAILED_PRECONDITION],
  SY_ERR_MODEL_STATE_BROKEN: [409, status.FAILED_PRECONDITION],
  SY_ERR_ROLLOUT_CONFLICT: [409, status.FAILED_PRECONDITION],
  SY_ERR_UNSUPPORTED_MEDIA_TYPE: [415, status.INVALID_ARGUMENT],
  SY_ERR_INVALID_REQUEST: [400, status.INVALID_ARGUMENT],
  SY_ERR_INVALID_JSON: [400, status.INVALID_ARGUMENT],
  SY_ERR_INVALID_BINARY: [400, status.INVALID_ARGUMENT],
  SY_ERR_INVALID_TENSOR: [400, status.INVALID_ARGUMENT],
  SY_ERR_BODY_TOO_LARGE: [413, status.RESOURCE_EXHAUSTED],
  SY_ERR_QUEUE_FULL: [429, status.RESOURCE_EXHAUSTED],
  SY_ERR_DEADLINE_EXCEEDED: [504, status.DEADLINE_EXCEEDED],
  SY_ERR_MODEL_NOT_READY: [503, status.UNAVAILABLE],
  SY_ERR_SHUTTING_DOWN: [503, status.UNAVAILABLE],
  SY_ERR_WORKER_CRASHED: [503, status.UNAVAILABLE],
  SY_ERR_MONITOR_NOT_CONFIGURED: [503, status.UNAVAILABLE],
  SY_ERR_WEBHOOK_NOT_CONFIGURED: [503, status.UNAVAILABLE],
  SY_ERR_METHOD_NOT_ALLOWED: [405, status.UNIMPLEMENTED],
  SY_ERR_NOT_IMPLEMENTED: [405, status.UNIMPLEMENTED],
  SY_ERR_MODEL_EXECUTION: [500, status.INTERNAL],
  SY_ERR_INTERNAL: [500, status.INTERNAL],
};

describe('error catalogue', () => {
  it('maps every code to the expected HTTP and gRPC status', () => {
    assert.deepEqual(Object.keys(ERROR_CODES).sort(), Object.keys(EXPECTED).sort(), 'every code has an expectation here');
    for (const [code, [http, grpc]] of Object.entries(EXPECTED)) {
      const err = new SwitchyardError(code as ErrorCode, 'x');
      assert.equal(httpStatusOf(err.kind), http, `${code} → HTTP`);
      assert.equal(grpcStatusOf(err.kind), grpc, `${code} → gRPC`);
    }
  });

  it('uses grpc-js status numbers', () => {
    for (const [name, value] of Object.entries(GRPC_STATUS)) assert.equal(value, status[name as keyof typeof status], name);
  });

  it('round-trips through plain data, and unknown codes become internal', () => {
    const back = SwitchyardError.fromData(new SwitchyardError('SY_ERR_QUEUE_FULL', 'full').toData());
    assert.equal(back.code, 'SY_ERR_QUEUE_FULL');
    assert.equal(back.kind, 'overloaded');
    assert.equal(back.message, 'full');
    assert.equal(SwitchyardError.fromData({ code: 'SOMETHING_ELSE', message: 'm' }).code, 'SY_ERR_INTERNAL');
  });
});
