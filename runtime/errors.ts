/**
 * The one error catalogue of every Switchyard process. Every error a client can
 * see has a stable code and a transport-neutral kind; the HTTP and gRPC
 * adapters map the kind, never the code.
 */
export type ErrorKind =
  | 'not_found'
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media'
  | 'overloaded'
  | 'deadline'
  | 'unavailable'
  | 'unimplemented'
  | 'internal';

export const ERROR_CODES = {
  SY_ERR_MODEL_NOT_FOUND: 'not_found',
  SY_ERR_ROLLOUT_NOT_FOUND: 'not_found',
  SY_ERR_VERSION_NOT_FOUND: 'not_found',
  SY_ERR_ALIAS_NOT_FOUND: 'not_found',
  SY_ERR_ROUTE_NOT_FOUND: 'not_found',
  SY_ERR_JOB_NOT_FOUND: 'not_found',
  SY_ERR_INVALID_REQUEST: 'invalid',
  SY_ERR_INVALID_JSON: 'invalid',
  SY_ERR_INVALID_BINARY: 'invalid',
  SY_ERR_INVALID_TENSOR: 'invalid',
  SY_ERR_INVALID_NAME: 'invalid',
  SY_ERR_INVALID_MANIFEST: 'invalid',
  SY_ERR_SHA256_MISMATCH: 'invalid',
  SY_ERR_INVALID_POLICY: 'invalid',
  SY_ERR_UNAUTHENTICATED: 'unauthenticated',
  SY_ERR_INVALID_SIGNATURE: 'unauthenticated',
  SY_ERR_FORBIDDEN: 'forbidden',
  SY_ERR_VERSION_EXISTS: 'conflict',
  SY_ERR_VERSION_ARCHIVED: 'conflict',
  SY_ERR_VERSION_REFUSED: 'conflict',
  SY_ERR_IN_TRAFFIC: 'conflict',
  SY_ERR_REVISION_MISMATCH: 'conflict',
  SY_ERR_MODEL_STATE_BROKEN: 'conflict',
  SY_ERR_ROLLOUT_CONFLICT: 'conflict',
  SY_ERR_BODY_TOO_LARGE: 'too_large',
  SY_ERR_UNSUPPORTED_MEDIA_TYPE: 'unsupported_media',
  SY_ERR_QUEUE_FULL: 'overloaded',
  SY_ERR_DEADLINE_EXCEEDED: 'deadline',
  SY_ERR_MODEL_NOT_READY: 'unavailable',
  SY_ERR_SHUTTING_DOWN: 'unavailable',
  SY_ERR_WORKER_CRASHED: 'unavailable',
  SY_ERR_MONITOR_NOT_CONFIGURED: 'unavailable',
  SY_ERR_WEBHOOK_NOT_CONFIGURED: 'unavailable',
  SY_ERR_METHOD_NOT_ALLOWED: 'unimplemented',
  /** An RPC, or a feature of one (a grpc-encoding), that this server does not implement. */
  SY_ERR_NOT_IMPLEMENTED: 'unimplemented',
  SY_ERR_MODEL_EXECUTION: 'internal',
  SY_ERR_INTERNAL: 'internal',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'SwitchyardError';
    this.code = code;
    this.kind = ERROR_CODES[code];
  }

  /** Plain data, the only form in which an error crosses a thread boundary. */
  toData(): ErrorData {
    return { code: this.code, message: this.message };
  }

  static fromData(data: ErrorData): SwitchyardError {
    const code = data.code in ERROR_CODES ? (data.code as ErrorCode) : 'SY_ERR_INTERNAL';
    return new SwitchyardError(code, data.message);
  }
}

export interface ErrorData {
  code: string;
  message: string;
}

/** Anything thrown that is not ours becomes an internal error with its message kept. */
export function asSwitchyardError(err: unknown): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwitchyardError('SY_ERR_INTERNAL', message);
}

const HTTP_STATUS: Record<ErrorKind, number> = {
  not_found: 404,
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  overloaded: 429,
  deadline: 504,
  unavailable: 503,
  unimplemented: 405,
  internal: 500,
};

export function httpStatusOf(kind: ErrorKind): number {
  return HTTP_STATUS[kind];
}

/** gRPC status codes (grpc/status.h numbering), kept here so this module has no grpc import. */
export const GRPC_STATUS = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const GRPC_CODE: Record<ErrorKind, number> = {
  not_found: GRPC_STATUS.NOT_FOUND,
  invalid: GRPC_STATUS.INVALID_ARGUMENT,
  unauthenticated: GRPC_STATUS.UNAUTHENTICATED,
  forbidden: GRPC_STATUS.PERMISSION_DENIED,
  conflict: GRPC_STATUS.FAILED_PRECONDITION,
  too_large: GRPC_STATUS.RESOURCE_EXHAUSTED,
  unsupported_media: GRPC_STATUS.INVALID_ARGUMENT,
  overloaded: GRPC_STATUS.RESOURCE_EXHAUSTED,
  deadline: GRPC_STATUS.DEADLINE_EXCEEDED,
  unavailable: GRPC_STATUS.UNAVAILABLE,
  unimplemented: GRPC_STATUS.UNIMPLEMENTED,
  internal: GRPC_STATUS.INTERNAL,
};

export function grpcStatusOf(kind: ErrorKind): number {
  return GRPC_CODE[kind];
}
