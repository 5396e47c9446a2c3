/** What the API (and the watch stream) shows of a model and its versions: plain JSON, built from the store's entries. */
import type { ModelManifest } from '../manifest.js';
import { sortedVersions, statusOf, type ModelEntry, type VersionEntry, type VersionStatus } from './model-entry.js';
import { trafficShareOf, type TrafficPolicy } from './traffic-policy.js';

export interface VersionSummary {
  version: string;
  status: VersionStatus;
  sha256?: string;
  created_at?: string;
  /** Why a refused version is not served. */
  reason?: string;
  aliases: string[];
  /** Live weight and shadow percentage that reach this version through the policy. */
  weight: number;
  shadow_percent: number;
}

export interface ModelView {
  name: string;
  /** 0 until the model has a record. */
  revision: number;
  /** Global seq of the model's last change (the watch stream's event id). */
  seq: number;
  aliases: Record<string, string>;
  traffic: TrafficPolicy | null;
  versions: VersionSummary[];
  /** Set when the model's state file cannot be read; the model refuses changes until it is fixed. */
  problem?: string;
}

export interface VersionView extends VersionSummary {
  model: string;
  manifest: ModelManifest | null;
}

export function modelView(entry: ModelEntry): ModelView {
  const record = entry.record;
  const view: ModelView = {
    name: entry.name,
    revision: record?.revision ?? 0,
    seq: record?.last_change?.seq ?? 0,
    aliases: { ...(record?.aliases ?? {}) },
    traffic: record ? record.traffic : null,
    versions: sortedVersions(entry).map((v) => versionSummary(entry, v)),
  };
  if (entry.broken) view.problem = entry.broken;
  return view;
}

export function versionSummary(entry: ModelEntry, v: VersionEntry): VersionSummary {
  const aliases = entry.record?.aliases ?? {};
  const share = entry.record ? trafficShareOf(entry.record.traffic, aliases, v.version) : { weight: 0, shadow_percent: 0 };
  const summary: VersionSummary = {
    version: v.version,
    status: statusOf(v),
    aliases: Object.keys(aliases).filter((a) => aliases[a] === v.version).sort(),
    weight: share.weight,
    shadow_percent: share.shadow_percent,
  };
  if (v.manifest) {
    summary.sha256 = v.manifest.sha256;
    if (v.manifest.lineage.created_at) summary.created_at = v.manifest.lineage.created_at;
  }
  if (v.refused) summary.reason = v.refused;
  return summary;
}

export function versionView(entry: ModelEntry, v: VersionEntry): VersionView {
  return { model: entry.name, ...versionSummary(entry, v), manifest: v.manifest ?? null };
}
