/** The registry's in-memory picture of one model: its persisted record plus what was found on disk. */
import type { ModelManifest } from '../manifest.js';
import { byVersionNumber, type ModelRecord } from './model-record.js';
import type { TargetCatalog } from './traffic-policy.js';

export type VersionStatus = 'ready' | 'archived' | 'refused';

export interface VersionEntry {
  version: string;
  /** models/<m>/<v> while live, archive/<m>/<v> once archived. */
  dir: string;
  archived: boolean;
  manifest?: ModelManifest;
  /** Why the version cannot be served (missing manifest, sha256 mismatch, ...). */
  refused?: string;
}

export interface ModelEntry {
  name: string;
  /** Undefined until the model has a record (no model.json yet and no servable version to build one from). */
  record: ModelRecord | undefined;
  versions: Map<string, VersionEntry>;
  /** Set when model.json cannot be read: the model is listed but refuses changes until it is fixed. */
  broken?: string;
}

export function statusOf(v: VersionEntry): VersionStatus {
  if (v.archived) return 'archived';
  return v.refused ? 'refused' : 'ready';
}

export function sortedVersions(entry: ModelEntry): VersionEntry[] {
  return [...entry.versions.values()].sort((a, b) => byVersionNumber(a.version, b.version));
}

/** The catalog a traffic policy is checked against, with the aliases it would have. */
export function targetCatalog(entry: ModelEntry, aliases: Readonly<Record<string, string>>): TargetCatalog {
  return {
    aliases,
    statusOf: (version) => {
      const v = entry.versions.get(version);
      return v ? statusOf(v) : undefined;
    },
    describeVersions: () => {
      const ready = sortedVersions(entry).filter((v) => statusOf(v) === 'ready').map((v) => v.version);
      return ready.length ? ready.join(', ') : 'none ready';
    },
  };
}
