/**
 * The body of the retraining webhook: which model and version, which condition fired, the
 * figures of the window that fired it. `id` equals the `webhook-id` header, the same on every
 * retry, so a receiver dedupes on it. Statistics that are not finite (a chi-squared over a
 * category the reference never had) are written as null.
 */
import type { ConditionSpec } from '../policies/policy-spec.js';
import type { Trigger, WindowDescription } from '../policies/policy-engine.js';

export const RETRAIN_EVENT_TYPE = 'switchyard.retrain.requested';

export interface RetrainRequest {
  readonly type: typeof RETRAIN_EVENT_TYPE;
  readonly id: string;
  readonly model: string;
  readonly version: string;
  readonly role: string;
  readonly condition: ConditionSpec;
  /** The value that breached the threshold, the window's sample count, and every figure of the window. */
  readonly figures: { readonly value: number; readonly samples: number } & Record<string, unknown>;
  readonly window: WindowDescription & { readonly samples: number };
  /** ISO 8601. */
  readonly time: string;
}

export function retrainRequest(trigger: Trigger): RetrainRequest {
  return {
    type: RETRAIN_EVENT_TYPE,
    id: trigger.id,
    model: trigger.model,
    version: trigger.version,
    role: trigger.role,
    condition: trigger.condition,
    figures: { ...trigger.figures, value: trigger.value, samples: trigger.samples },
    window: { ...trigger.window, samples: trigger.samples },
    time: new Date(trigger.timeMs).toISOString(),
  };
}

/** The signed bytes: JSON, where a non-finite number is null (JSON.stringify's own rule). */
export function retrainRequestJson(request: RetrainRequest): string {
  return JSON.stringify(request);
}
