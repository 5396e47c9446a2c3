/**
 * Triton's `timeout` request parameter (microseconds; 0 or absent means none),
 * as a performance.now() deadline. Both transports read it the same way.
 */
import { performance } from 'node:perf_hooks';
import { SwitchyardError } from '../../runtime/errors.js';
import type { ParameterValue } from './types.js';

export const TIMEOUT_PARAMETER = 'timeout';

/** Infinity when the request sets no timeout. */
export function timeoutDeadline(timeout: ParameterValue | undefined): number {
  if (timeout === undefined) return Infinity;
  if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 0) {
    throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `parameter '${TIMEOUT_PARAMETER}' must be a whole number of microseconds >= 0 (0 = no timeout), got ${JSON.stringify(timeout)}`);
  }
  return timeout === 0 ? Infinity : performance.now() + timeout / 1000;
}
