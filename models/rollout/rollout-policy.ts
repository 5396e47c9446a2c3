/**
 * Progressive rollout policy per model, from a JSON file (`switchyard registry
 * --rollout FILE`): a list of entries (or `{"policies": [...]}`), one per model,
 * `"model": "*"` being the default for every other model. Fields left out take
 * the defaults below. Validated once, with the entry and field named in every
 * error; the result is frozen.
 */
import { readFile } from 'node:fs/promises';
import { modelNameProblem } from '../manifest.js';

export interface RolloutPolicy {
  /** A model name, or "*" for the default. */
  model: string;
  /** Canary weight (%) per step: ascending integers 1-100, the last one 100. */
  steps: readonly number[];
  /** Seconds between evaluations. */
  interval_s: number;
  /** Canary requests a step must see before a verdict. */
  min_requests: number;
  /** Largest tolerated share of canary requests that failed server-side (0-1). */
  max_error_rate: number;
  /** Largest tolerated canary p99 / stable p99 (judged when both have min_requests answered requests). */
  max_p99_ratio: number;
  /** Smallest tolerated canary accuracy / stable accuracy (judged when both have min_labels labelled rows). */
  min_accuracy_ratio: number;
  min_labels: number;
  /** When set: the largest tolerated share of drifted features of the canary (from the monitor). */
  max_drifted_share?: number;
  /** Failed checks tolerated; one more rolls the canary back. */
  failure_limit: number;
}

export const DEFAULT_ROLLOUT_POLICY: Readonly<RolloutPolicy> = Object.freeze({
  model: '*',
  steps: Object.freeze([10, 25, 50, 100]),
  interval_s: 30,
  min_requests: 50,
  max_error_rate: 0.01,
  max_p99_ratio: 1.5,
  min_accuracy_ratio: 0.98,
  min_labels: 50,
  failure_limit: 2,
});

const FIELDS = new Set(['model', 'steps', 'interval_s', 'min_requests', 'max_error_rate', 'max_p99_ratio', 'min_accuracy_ratio', 'min_labels', 'max_drifted_share', 'failure_limit']);

export class RolloutPolicySet {
  private readonly byModel: ReadonlyMap<string, Readonly<RolloutPolicy>>;

  constructor(policies: readonly Readonly<RolloutPolicy>[]) {
    this.byModel = new Map(policies.map((p) => [p.model, p]));
    Object.freeze(this);
  }

  /** The model's own entry, else the "*" entry, else the built-in defaults. */
  forModel(model: string): Readonly<RolloutPolicy> {
    return this.byModel.get(model) ?? this.byModel.get('*') ?? DEFAULT_ROLLOUT_POLICY;
  }

  get entries(): Readonly<RolloutPolicy>[] {
    return [...this.byModel.values()];
  }
}

/** `where` names the source in errors (the file path). */
export function parseRolloutPolicies(raw: unknown, where = 'rollout policy'): RolloutPolicySet {
  const list = Array.isArray(raw) ? raw : isObject(raw) && Array.isArray(raw.policies) && Object.keys(raw).length === 1 ? raw.policies : undefined;
  if (!list) throw new Error(`${where}: must be a JSON list of policies (or {"policies": [...]}), each {"model": "<name or *>", "steps": [10, 25, 50, 100], ...}`);
  const seen = new Set<string>();
  const policies = list.map((entry, i) => {
    const policy = parseRolloutPolicy(entry, `${where}: entry ${i}`);
    if (seen.has(policy.model)) throw new Error(`${where}: entry ${i}: model "${policy.model}" has two entries; give each model one`);
    seen.add(policy.model);
    return policy;
  });
  return new RolloutPolicySet(policies);
}

export function parseRolloutPolicy(raw: unknown, at: string): Readonly<RolloutPolicy> {
  const fail = (what: string): never => {
    throw new Error(`${at}: ${what}`);
  };
  if (!isObject(raw)) return fail('must be an object like {"model": "fraud", "steps": [10, 25, 50, 100]}');
  for (const key of Object.keys(raw)) if (!FIELDS.has(key)) fail(`unknown field "${key}" (expected ${[...FIELDS].join(', ')})`);
  const model = raw.model;
  if (typeof model !== 'string' || (model !== '*' && modelNameProblem(model))) fail(`"model" must be a model name or "*" (the default), got ${JSON.stringify(model)}${typeof model === 'string' ? `: ${modelNameProblem(model)}` : ''}`);
  const at2 = `${at} (model "${model as string}")`;
  const bad = (what: string): never => {
    throw new Error(`${at2}: ${what}`);
  };
  const number = (key: keyof RolloutPolicy, check: (n: number) => boolean, rule: string): number => {
    const value = raw[key] ?? DEFAULT_ROLLOUT_POLICY[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) bad(`"${key}" must be ${rule}, got ${JSON.stringify(value)}`);
    return value as number;
  };
  const steps = raw.steps ?? DEFAULT_ROLLOUT_POLICY.steps;
  if (!Array.isArray(steps) || steps.length === 0) bad('"steps" must be a non-empty list of canary weights, e.g. [10, 25, 50, 100]');
  (steps as unknown[]).forEach((w, i) => {
    if (!Number.isInteger(w) || (w as number) < 1 || (w as number) > 100) bad(`steps[${i}] must be an integer weight from 1 to 100, got ${JSON.stringify(w)}`);
    if (i > 0 && (w as number) <= (steps as number[])[i - 1]!) bad(`"steps" must be strictly ascending, but steps[${i}] = ${w as number} follows ${(steps as number[])[i - 1]}`);
  });
  if ((steps as number[])[(steps as number[]).length - 1] !== 100) bad(`the last step must be 100 (the canary takes all traffic before it is promoted), got ${(steps as number[]).at(-1)}`);
  const policy: RolloutPolicy = {
    model: model as string,
    steps: Object.freeze([...(steps as number[])]),
    interval_s: number('interval_s', (n) => n >= 0.05 && n <= 86_400, 'a number of seconds from 0.05 to 86400'),
    min_requests: number('min_requests', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1'),
    max_error_rate: number('max_error_rate', (n) => n >= 0 && n <= 1, 'a share from 0 to 1 (0.01 = 1 %)'),
    max_p99_ratio: number('max_p99_ratio', (n) => n >= 1, 'a ratio >= 1 (canary p99 / stable p99)'),
    min_accuracy_ratio: number('min_accuracy_ratio', (n) => n > 0 && n <= 1, 'a ratio in (0, 1] (canary accuracy / stable accuracy)'),
    min_labels: number('min_labels', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1'),
    failure_limit: number('failure_limit', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0'),
  };
  if (raw.max_drifted_share !== undefined) policy.max_drifted_share = number('max_drifted_share', (n) => n >= 0 && n <= 1, 'a share of features from 0 to 1');
  return Object.freeze(policy);
}

export async function loadRolloutPolicies(file: string): Promise<RolloutPolicySet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`--rollout ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`--rollout ${file}: not valid JSON (${(err as Error).message})`);
  }
  return parseRolloutPolicies(raw, file);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
