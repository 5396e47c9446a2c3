/**
 * Decides when a model needs retraining. Each evaluated window of a version is held against the
 * conditions of its model's policy that watch that window and that family of figures (drift or
 * quality): a condition fires after holding, with at least `min_samples`, in `consecutive`
 * windows in a row. A fired condition opens a trigger for the model; while it is open (until its
 * cooldown passes) the model fires no other — the breach is counted as suppressed and its run
 * kept, so it fires at the first window after the cooldown if it still holds.
 */
import { randomUUID } from 'node:crypto';
import type { QualityFigures } from '../quality/version-quality.js';
import type { DriftFigures } from '../tracking/version-drift.js';
import { conditionValue, holds } from './condition-value.js';
import { isDriftMetric, type ConditionSpec, type PolicySpec } from './policy-spec.js';

export type WindowDescription = { readonly kind: 'count'; readonly rows: number } | { readonly kind: 'time'; readonly span_ms: number };

export interface WindowObservation {
  readonly model: string;
  readonly version: string;
  readonly role: string;
  readonly window: WindowDescription;
  readonly drift: DriftFigures | null;
  readonly quality: QualityFigures | null;
}

export interface Trigger {
  /** Also the webhook-id: receivers dedupe on it. */
  readonly id: string;
  readonly model: string;
  readonly version: string;
  readonly role: string;
  readonly condition: ConditionSpec;
  readonly value: number;
  readonly samples: number;
  readonly window: WindowDescription;
  readonly figures: DriftFigures | QualityFigures;
  readonly timeMs: number;
  readonly openUntilMs: number;
}

export interface PolicyListener {
  triggerFired(trigger: Trigger): void;
  /** A condition fired while the model had an open trigger. */
  triggerSuppressed(model: string, condition: ConditionSpec): void;
}

export class PolicyEngine {
  private readonly byModel = new Map<string, PolicySpec>();
  private readonly fallback: PolicySpec | undefined;
  /** Consecutive windows each (version, condition) has held for. */
  private readonly runs = new Map<string, number>();
  private readonly openUntil = new Map<string, number>();
  private readonly history: Trigger[] = [];

  constructor(
    policies: readonly PolicySpec[],
    private readonly listener: PolicyListener,
    private readonly historySize: number,
  ) {
    for (const p of policies) if (p.model !== '*') this.byModel.set(p.model, p);
    this.fallback = policies.find((p) => p.model === '*');
  }

  policyOf(model: string): PolicySpec | undefined {
    return this.byModel.get(model) ?? this.fallback;
  }

  /** One evaluated window; `family` says which figures it brings. Returns the trigger it fired, if any. */
  observe(o: WindowObservation, family: 'drift' | 'quality', nowMs: number): Trigger | undefined {
    const policy = this.policyOf(o.model);
    if (!policy || !policy.roles.includes(o.role)) return undefined;
    let fired: Trigger | undefined;
    policy.conditions.forEach((condition, index) => {
      if (condition.window !== o.window.kind || isDriftMetric(condition.metric) !== (family === 'drift')) return;
      const key = `${o.model}/${o.version}#${index}`;
      const reading = conditionValue(condition, o.drift, o.quality);
      if (!reading || reading.samples < condition.min_samples || !holds(condition, reading.value)) {
        this.runs.delete(key);
        return;
      }
      const run = (this.runs.get(key) ?? 0) + 1;
      this.runs.set(key, run);
      if (run < condition.consecutive || fired) return;
      if ((this.openUntil.get(o.model) ?? -Infinity) > nowMs) {
        this.listener.triggerSuppressed(o.model, condition);
        return;
      }
      this.runs.delete(key);
      fired = this.fire(o, condition, reading.value, reading.samples, policy.cooldown_s, nowMs);
    });
    return fired;
  }

  /** Triggers, newest first, with whether each is still open. */
  triggers(nowMs: number): Array<Trigger & { readonly open: boolean }> {
    return this.history.map((t) => ({ ...t, open: t.openUntilMs > nowMs && this.openUntil.get(t.model) === t.openUntilMs })).reverse();
  }

  /** Drops the runs of a version the monitor no longer tracks. */
  forget(model: string, version: string): void {
    const prefix = `${model}/${version}#`;
    for (const key of this.runs.keys()) if (key.startsWith(prefix)) this.runs.delete(key);
  }

  private fire(o: WindowObservation, condition: ConditionSpec, value: number, samples: number, cooldownS: number, nowMs: number): Trigger {
    const openUntilMs = nowMs + cooldownS * 1000;
    this.openUntil.set(o.model, openUntilMs);
    const figures = (isDriftMetric(condition.metric) ? o.drift : o.quality)!;
    const trigger: Trigger = {
      id: `msg_${randomUUID().replaceAll('-', '')}`,
      model: o.model,
      version: o.version,
      role: o.role,
      condition,
      value,
      samples,
      window: o.window,
      figures,
      timeMs: nowMs,
      openUntilMs,
    };
    this.history.push(trigger);
    if (this.history.length > this.historySize) this.history.shift();
    this.listener.triggerFired(trigger);
    return trigger;
  }
}
