/**
 * The figure a policy condition compares with its threshold, read from a window's drift or
 * quality figures, with the window's sample count for `min_samples`. Undefined when the window
 * has no such figure (accuracy of a regressor, a feature the profile lacks, a test that does not
 * apply to the feature's kind).
 */
import type { QualityFigures } from '../quality/version-quality.js';
import type { DriftFigures } from '../tracking/version-drift.js';
import { isDriftMetric, type ConditionSpec, type QualityMetric } from './policy-spec.js';

/** The name the prediction goes by where features are named (conditions, metrics). */
export const PREDICTION_FEATURE = '__prediction__';

export interface ConditionReading {
  readonly value: number;
  readonly samples: number;
}

export function conditionValue(condition: ConditionSpec, drift: DriftFigures | null, quality: QualityFigures | null): ConditionReading | undefined {
  if (isDriftMetric(condition.metric)) {
    if (!drift) return undefined;
    const reading = (value: number | null | undefined): ConditionReading | undefined =>
      typeof value === 'number' && !Number.isNaN(value) ? { value, samples: drift.samples } : undefined;
    switch (condition.metric) {
      case 'dataset_drift':
        return reading(drift.drift ? 1 : 0);
      case 'drift_share':
        return reading(drift.share);
      case 'feature_drift': {
        const feature = condition.feature === PREDICTION_FEATURE ? drift.prediction : drift.features[condition.feature!];
        if (!feature) return undefined;
        return reading(condition.test ? feature[condition.test] : feature.drift ? 1 : 0);
      }
    }
  }
  if (!quality) return undefined;
  const value = (quality as unknown as Record<QualityMetric, number | null | undefined>)[condition.metric as QualityMetric];
  return typeof value === 'number' && !Number.isNaN(value) ? { value, samples: quality.samples } : undefined;
}

export function holds(condition: ConditionSpec, value: number): boolean {
  return condition.op === '>' ? value > condition.threshold : value < condition.threshold;
}
