/**
 * The routing headers (HTTP) / metadata keys (gRPC) both transports read:
 * `x-switchyard-version` pins a version, the model's sticky header keeps a
 * caller on one variant. The response names the version and role that answered.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { InferRequest } from './types.js';

export const PIN_HEADER = 'x-switchyard-version';
export const ANSWER_VERSION_HEADER = 'x-switchyard-model-version';
export const ANSWER_ROLE_HEADER = 'x-switchyard-role';

/** Empty strings mean the header was absent. */
export function applyRoutingHeaders(request: InferRequest, pinned: string, stickyKey: string): void {
  if (pinned !== '') {
    if (request.version !== undefined && request.version !== pinned) {
      throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `${PIN_HEADER} pins version '${pinned}' but the request names version '${request.version}'; send one of them`);
    }
    request.version = pinned;
  }
  if (stickyKey !== '') request.stickyKey = stickyKey;
}
