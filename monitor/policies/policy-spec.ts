/**
 * When the monitor asks for retraining: per model, conditions over a version's drift or quality
 * figures, each with a threshold, a minimum of samples in the window and a number of consecutive
 * windows it must hold for; a cooldown after a trigger. Read from a JSON file (an array of
 * policies, or `{"policies": [...]}`); model "*" is the policy of every model without its own.
 */
import { SwitchyardError } from '../../runtime/errors.js';

export const DRIFT_METRICS = ['dataset_drift', 'drift_share', 'feature_drift'] as const;
export const QUALITY_METRICS = [
  'accuracy',
  'precision_binary',
  'recall_binary',
  'f1_binary',
  'precision_macro',
  'recall_macro',
  'f1_macro',
  'log_loss',
  'mae',
  'rmse',
] as const;
/** Statistics a `feature_drift` condition may compare instead of the feature's drift flag. */
export const DRIFT_TESTS = ['psi', 'ks_stat', 'ks_pvalue', 'js', 'wasserstein_norm', 'chi2_pvalue'] as const;

export type DriftMetric = (typeof DRIFT_METRICS)[number];
export type QualityMetric = (typeof QUALITY_METRICS)[number];
export type PolicyMetric = DriftMetric | QualityMetric;
export type DriftTest = (typeof DRIFT_TESTS)[number];
export type WindowKind = 'count' | 'time';

export interface ConditionSpec {
  readonly metric: PolicyMetric;
  readonly op: '>' | '<';
  readonly threshold: number;
  /** Rows (drift) or labelled rows (quality) the window must hold for the condition to count. */
  readonly min_samples: number;
  /** Windows in a row the condition must hold for; a window that misses it, or has too few samples, resets the run. */
  readonly consecutive: number;
  readonly window: WindowKind;
  /** feature_drift: which feature (or "__prediction__"). */
  readonly feature?: string;
  /** feature_drift: compare this statistic instead of the feature's drift flag (1 drifted, 0 not). */
  readonly test?: DriftTest;
}

export interface PolicySpec {
  /** A model name, or "*" for every model without a policy of its own. */
  readonly model: string;
  readonly conditions: readonly ConditionSpec[];
  /** After a trigger, the model's next trigger waits this long (the trigger stays open meanwhile). */
  readonly cooldown_s: number;
  /** Roles whose versions are judged (default stable and canary: a shadow serves no one). */
  readonly roles: readonly string[];
}

export const DEFAULT_ROLES: readonly string[] = Object.freeze(['stable', 'canary']);

/**
 * The built-in policy: retrain when the dataset drifted in 3 consecutive count windows of at
 * least 500 rows, then wait an hour. Quality conditions need a model-specific threshold, so none
 * is assumed.
 */
export const DEFAULT_POLICY: PolicySpec = Object.freeze({
  model: '*',
  conditions: Object.freeze([Object.freeze({ metric: 'dataset_drift', op: '>', threshold: 0.5, min_samples: 500, consecutive: 3, window: 'count' } as const)]),
  cooldown_s: 3600,
  roles: DEFAULT_ROLES,
});

export function isDriftMetric(metric: PolicyMetric): metric is DriftMetric {
  return (DRIFT_METRICS as readonly string[]).includes(metric);
}

/** Validates policies read from JSON (`where` names the file in messages). */
export function parsePolicies(raw: unknown, where: string): PolicySpec[] {
  const list = Array.isArray(raw) ? raw : isObject(raw) && Array.isArray(raw.policies) ? raw.policies : undefined;
  if (!list) throw invalid(where, 'expected an array of policies or {"policies": [...]}');
  const seen = new Set<string>();
  return list.map((p: unknown, i: number) => {
    const policy = parsePolicy(p, `${where}: policies[${i}]`);
    if (seen.has(policy.model)) throw invalid(where, `model '${policy.model}' has two policies`);
    seen.add(policy.model);
    return policy;
  });
}

export function parsePolicy(raw: unknown, at: string): PolicySpec {
  if (!isObject(raw)) throw invalid(at, 'must be an object {model, conditions, cooldown_s}');
  if (typeof raw.model !== 'string' || raw.model === '') throw invalid(at, '"model" must be a model name or "*"');
  if (!Array.isArray(raw.conditions) || raw.conditions.length === 0) throw invalid(at, '"conditions" must be a non-empty list');
  const cooldown = raw.cooldown_s ?? 3600;
  if (typeof cooldown !== 'number' || !(cooldown >= 0)) throw invalid(at, `"cooldown_s" must be a number of seconds >= 0, got ${JSON.stringify(cooldown)}`);
  const roles = raw.roles ?? DEFAULT_ROLES;
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) throw invalid(at, '"roles" must be a list of roles, e.g. ["stable", "canary"]');
  return Object.freeze({
    model: raw.model,
    conditions: Object.freeze(raw.conditions.map((c: unknown, i: number) => parseCondition(c, `${at}.conditions[${i}]`))),
    cooldown_s: cooldown,
    roles: Object.freeze([...roles]),
  });
}

function parseCondition(raw: unknown, at: string): ConditionSpec {
  if (!isObject(raw)) throw invalid(at, 'must be an object {metric, op, threshold, ...}');
  const metric = raw.metric;
  if (typeof metric !== 'string' || ![...DRIFT_METRICS, ...QUALITY_METRICS].includes(metric as PolicyMetric)) {
    throw invalid(at, `"metric" must be one of ${[...DRIFT_METRICS, ...QUALITY_METRICS].join(', ')}, got ${JSON.stringify(metric)}`);
  }
  if (raw.op !== '>' && raw.op !== '<') throw invalid(at, `"op" must be ">" or "<", got ${JSON.stringify(raw.op)}`);
  if (typeof raw.threshold !== 'number' || !Number.isFinite(raw.threshold)) throw invalid(at, '"threshold" must be a finite number');
  const minSamples = raw.min_samples ?? 100;
  const consecutive = raw.consecutive ?? 1;
  const window = raw.window ?? 'count';
  if (!Number.isInteger(minSamples) || (minSamples as number) < 1) throw invalid(at, '"min_samples" must be an integer >= 1');
  if (!Number.isInteger(consecutive) || (consecutive as number) < 1) throw invalid(at, '"consecutive" must be an integer >= 1');
  if (window !== 'count' && window !== 'time') throw invalid(at, `"window" must be "count" or "time", got ${JSON.stringify(window)}`);
  if (metric === 'feature_drift' && (typeof raw.feature !== 'string' || raw.feature === '')) throw invalid(at, 'feature_drift needs "feature": the feature to watch');
  if (raw.test !== undefined && (metric !== 'feature_drift' || !(DRIFT_TESTS as readonly unknown[]).includes(raw.test))) {
    throw invalid(at, `"test" applies to feature_drift only and must be one of ${DRIFT_TESTS.join(', ')}`);
  }
  return Object.freeze({
    metric: metric as PolicyMetric,
    op: raw.op,
    threshold: raw.threshold,
    min_samples: minSamples as number,
    consecutive: consecutive as number,
    window,
    ...(typeof raw.feature === 'string' ? { feature: raw.feature } : {}),
    ...(raw.test !== undefined ? { test: raw.test as DriftTest } : {}),
  });
}

function invalid(at: string, what: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_INVALID_POLICY', `${at}: ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
