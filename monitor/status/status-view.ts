/**
 * GET /api/v1/status: per model and version, the role, whether drift is monitored (the reference
 * profile's state, and why not), the latest drift and quality figures of the count and time
 * windows, the sample counts; then the latest triggers, newest first. Plain JSON (a non-finite
 * statistic is null).
 */
import type { PolicyEngine } from '../policies/policy-engine.js';
import type { ProfileStatus } from '../profiles/profile-cache.js';
import type { QualityFigures } from '../quality/version-quality.js';
import type { DriftFigures } from '../tracking/version-drift.js';
import type { VersionState } from '../tracking/version-state.js';

export interface VersionStatus {
  role: string;
  profile: { state: ProfileStatus['state'] | 'unknown'; reason?: string };
  drift: { count: DriftView | null; time: DriftView | null };
  /** The count window's flag, or the time window's while the count window is empty; null without drift. */
  dataset_drift: boolean | null;
  quality: { kind: string | null; count: QualityFigures | null; time: QualityFigures | null; invalid_labels: number };
  samples: { predictions: number; rows: number; drift_rows: number; labelled_rows: number; failed: number; input_problems: number };
  input_problem?: string;
  first_seen: string;
  last_seen: string;
  evaluated_at: string | null;
}

export interface DriftView {
  samples: number;
  dataset_drift: boolean;
  share: number;
  share_threshold: number;
  drifted_features: number;
  compared_features: number;
  features: DriftFigures['features'];
  prediction?: DriftFigures['prediction'];
}

export interface MonitorStatus {
  time: string;
  models: Record<string, { versions: Record<string, VersionStatus> }>;
  triggers: ReturnType<typeof triggerView>[];
}

export function monitorStatus(versions: Iterable<VersionState>, policies: PolicyEngine, nowMs: number): MonitorStatus {
  const models: MonitorStatus['models'] = {};
  const sorted = [...versions].sort((a, b) => a.model.localeCompare(b.model) || Number(a.version) - Number(b.version) || a.version.localeCompare(b.version));
  for (const state of sorted) {
    models[state.model] ??= { versions: {} };
    models[state.model]!.versions[state.version] = versionStatus(state);
  }
  return { time: new Date(nowMs).toISOString(), models, triggers: policies.triggers(nowMs).map(triggerView) };
}

function versionStatus(s: VersionState): VersionStatus {
  const profile = s.profile;
  const drift = { count: driftView(s.latestDrift.count), time: driftView(s.latestDrift.time) };
  return {
    role: s.role,
    profile: profile ? { state: profile.state, ...('reason' in profile ? { reason: profile.reason } : {}) } : { state: 'unknown' },
    drift,
    dataset_drift: (drift.count ?? drift.time)?.dataset_drift ?? null,
    quality: { kind: s.quality?.kind ?? null, count: s.latestQuality.count, time: s.latestQuality.time, invalid_labels: s.quality?.invalidLabels ?? 0 },
    samples: {
      predictions: s.counts.predictions,
      rows: s.counts.rows,
      drift_rows: s.counts.driftRows,
      labelled_rows: s.counts.labelledRows,
      failed: s.counts.failed,
      input_problems: s.counts.inputProblems,
    },
    ...(s.lastInputProblem ? { input_problem: s.lastInputProblem } : {}),
    first_seen: new Date(s.firstSeenMs).toISOString(),
    last_seen: new Date(s.lastSeenMs).toISOString(),
    evaluated_at: s.evaluatedAtMs === undefined ? null : new Date(s.evaluatedAtMs).toISOString(),
  };
}

function driftView(d: DriftFigures | null): DriftView | null {
  if (!d) return null;
  return {
    samples: d.samples,
    dataset_drift: d.drift,
    share: d.share,
    share_threshold: d.shareThreshold,
    drifted_features: d.driftedFeatures,
    compared_features: d.comparedFeatures,
    features: d.features,
    ...(d.prediction ? { prediction: d.prediction } : {}),
  };
}

function triggerView(t: ReturnType<PolicyEngine['triggers']>[number]) {
  return {
    id: t.id,
    model: t.model,
    version: t.version,
    role: t.role,
    condition: t.condition,
    value: t.value,
    samples: t.samples,
    window: t.window,
    time: new Date(t.timeMs).toISOString(),
    open: t.open,
    open_until: new Date(t.openUntilMs).toISOString(),
  };
}
