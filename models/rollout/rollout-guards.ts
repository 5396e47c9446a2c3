/**
 * The verdict on one step of a rollout, from the figures gathered since the
 * step began (or since its last failed check): hold while the canary has seen
 * fewer than `min_requests` requests; otherwise every guard with enough data is
 * judged — server error share, p99 ratio, accuracy ratio, drifted share — and
 * one failing guard fails the check. A guard without its data is "not judged",
 * never a failure. Pure arithmetic: no I/O, no clock.
 */
import type { MonitorReading } from './monitor-figures.js';
import type { RolloutPolicy } from './rollout-policy.js';
import { histogramQuantile, observations, type VersionTraffic } from './traffic-figures.js';

export type GuardName = 'error_rate' | 'p99_ratio' | 'accuracy_ratio' | 'drifted_share';

export interface GuardCheck {
  guard: GuardName;
  judged: boolean;
  passed?: boolean;
  value?: number;
  threshold: number;
  /** Figures behind it, or why it was not judged. */
  detail: string;
}

export interface VersionFigures {
  version: string;
  requests: number;
  errors: number;
  error_rate: number | null;
  /** Answered requests behind the p99. */
  answered: number;
  p99_s: number | null;
  accuracy?: number;
  labels?: number;
  drifted_share?: number;
}

export interface StepFigures {
  stable: VersionFigures;
  canary: VersionFigures;
  monitor: string;
}

export interface Verdict {
  outcome: 'hold' | 'pass' | 'fail';
  /** One line: what held it, what failed, or "all guards passed". */
  reason: string;
  checks: GuardCheck[];
  figures: StepFigures;
}

export interface StepWindow {
  stable: VersionTraffic;
  canary: VersionTraffic;
}

export function judgeStep(policy: Pick<RolloutPolicy, 'min_requests' | 'max_error_rate' | 'max_p99_ratio' | 'min_accuracy_ratio' | 'min_labels' | 'max_drifted_share'>, versions: { stable: string; canary: string }, window: StepWindow, monitor: MonitorReading): Verdict {
  const figures: StepFigures = {
    stable: versionFigures(versions.stable, window.stable, monitor),
    canary: versionFigures(versions.canary, window.canary, monitor),
    monitor: monitor.ok ? 'ok' : monitor.problem,
  };
  const { stable, canary } = figures;
  if (canary.requests < policy.min_requests) {
    return { outcome: 'hold', reason: `waiting for samples: canary v${canary.version} has ${canary.requests} of ${policy.min_requests} requests`, checks: [], figures };
  }
  const checks: GuardCheck[] = [];

  const errorRate = canary.errors / canary.requests;
  checks.push({ guard: 'error_rate', judged: true, passed: errorRate <= policy.max_error_rate, value: errorRate, threshold: policy.max_error_rate, detail: `${canary.errors} of ${canary.requests} canary requests failed server-side` });

  if (stable.answered < policy.min_requests || canary.answered < policy.min_requests) {
    checks.push({ guard: 'p99_ratio', judged: false, threshold: policy.max_p99_ratio, detail: `needs ${policy.min_requests} answered requests on both (stable ${stable.answered}, canary ${canary.answered})` });
  } else if (!(stable.p99_s! > 0)) {
    checks.push({ guard: 'p99_ratio', judged: false, threshold: policy.max_p99_ratio, detail: 'stable p99 is 0' });
  } else {
    const ratio = canary.p99_s! / stable.p99_s!;
    checks.push({ guard: 'p99_ratio', judged: true, passed: ratio <= policy.max_p99_ratio, value: ratio, threshold: policy.max_p99_ratio, detail: `p99 canary ${ms(canary.p99_s!)} / stable ${ms(stable.p99_s!)}` });
  }

  if (!monitor.ok) {
    checks.push({ guard: 'accuracy_ratio', judged: false, threshold: policy.min_accuracy_ratio, detail: monitor.problem });
  } else if (canary.accuracy === undefined || stable.accuracy === undefined || (canary.labels ?? 0) < policy.min_labels || (stable.labels ?? 0) < policy.min_labels) {
    checks.push({ guard: 'accuracy_ratio', judged: false, threshold: policy.min_accuracy_ratio, detail: `needs accuracy over ${policy.min_labels} labelled rows on both (stable ${stable.labels ?? 0}, canary ${canary.labels ?? 0})` });
  } else if (stable.accuracy === 0) {
    checks.push({ guard: 'accuracy_ratio', judged: false, threshold: policy.min_accuracy_ratio, detail: 'stable accuracy is 0' });
  } else {
    const ratio = canary.accuracy / stable.accuracy;
    checks.push({ guard: 'accuracy_ratio', judged: true, passed: ratio >= policy.min_accuracy_ratio, value: ratio, threshold: policy.min_accuracy_ratio, detail: `accuracy canary ${canary.accuracy.toFixed(4)} (${canary.labels} labels) / stable ${stable.accuracy.toFixed(4)} (${stable.labels} labels)` });
  }

  if (policy.max_drifted_share !== undefined) {
    if (!monitor.ok) checks.push({ guard: 'drifted_share', judged: false, threshold: policy.max_drifted_share, detail: monitor.problem });
    else if (canary.drifted_share === undefined) checks.push({ guard: 'drifted_share', judged: false, threshold: policy.max_drifted_share, detail: `the monitor has no drift figures for v${canary.version} yet` });
    else checks.push({ guard: 'drifted_share', judged: true, passed: canary.drifted_share <= policy.max_drifted_share, value: canary.drifted_share, threshold: policy.max_drifted_share, detail: `share of drifted features of canary v${canary.version}` });
  }

  const failed = checks.filter((c) => c.judged && !c.passed);
  const reason = failed.length ? failed.map(describeFailure).join('; ') : `all judged guards passed (${checks.filter((c) => c.judged).map((c) => c.guard).join(', ')})`;
  return { outcome: failed.length ? 'fail' : 'pass', reason, checks, figures };
}

export function describeFailure(c: GuardCheck): string {
  const rule = c.guard === 'accuracy_ratio' ? `< ${c.threshold}` : `> ${c.threshold}`;
  return `${c.guard} ${round(c.value!)} ${rule} (${c.detail})`;
}

function versionFigures(version: string, traffic: VersionTraffic, monitor: MonitorReading): VersionFigures {
  const answered = observations(traffic.buckets);
  const p99 = histogramQuantile(0.99, traffic.buckets);
  const figures: VersionFigures = {
    version,
    requests: traffic.requests,
    errors: traffic.errors,
    error_rate: traffic.requests > 0 ? traffic.errors / traffic.requests : null,
    answered,
    p99_s: Number.isFinite(p99) ? p99 : null,
  };
  const quality = monitor.ok ? monitor.versions.get(version) : undefined;
  if (quality) {
    figures.labels = quality.labels;
    if (quality.accuracy !== undefined) figures.accuracy = quality.accuracy;
    if (quality.drifted_share !== undefined) figures.drifted_share = quality.drifted_share;
  }
  return figures;
}

function ms(seconds: number): string {
  return `${(seconds * 1000).toFixed(2)} ms`;
}

function round(n: number): string {
  return String(Number(n.toPrecision(4)));
}
