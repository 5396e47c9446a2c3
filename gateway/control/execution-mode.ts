/**
 * Where a version's batches run. `inline` on each shard's own loop: no thread
 * hop, but a run blocks that shard's other requests while it lasts, so only
 * for short runs. `pool` on session worker threads shared by the shards: for
 * long runs, for GPU providers (one session per device, not one per shard),
 * and always for shadow-only versions (low-priority threads, so they never
 * take CPU from live traffic). `auto` decides from the warm-up run at the
 * version's largest batch.
 */
import type { ExecutionMode } from '../inference/model-version.js';
import type { RequestedMode } from '../../models/manifest.js';

/** `auto` runs a CPU version inline when a run at its max_batch_size takes at most this long. */
export const INLINE_RUN_LIMIT_MS = 5;

export function executionMode(requested: RequestedMode, provider: string, lowPriority: boolean, runMs: number): ExecutionMode {
  if (lowPriority) return 'pool';
  if (requested !== 'auto') return requested;
  if (provider !== 'cpu') return 'pool';
  return runMs <= INLINE_RUN_LIMIT_MS ? 'inline' : 'pool';
}
