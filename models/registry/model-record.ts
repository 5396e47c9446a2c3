/**
 * `<root>/models/<model>/model.json`: the registry-only state of one model —
 * registered versions, archived ones, aliases, traffic policy — with a
 * revision that grows by one per change. Written atomically; it also carries
 * the audit record of its last change, so a change that committed but whose
 * audit line was lost in a crash is re-appended on the next start.
 */
import { modelNameProblem, versionProblem } from '../manifest.js';
import { aliasProblem } from './names.js';
import { parseTrafficPolicy, type TrafficPolicy } from './traffic-policy.js';

export const MODEL_STATE_FILE = 'model.json';

export type AuditAction = 'register' | 'alias.set' | 'alias.delete' | 'traffic.set' | 'archive' | 'recover';

/** The part of a model's state an audit record shows before and after a change. */
export interface ModelSnapshot {
  revision: number;
  versions: string[];
  archived: string[];
  aliases: Record<string, string>;
  traffic: TrafficPolicy;
}

export interface AuditRecord {
  /** Global, gap-free across the registry: the watch stream's event id. */
  seq: number;
  time: string;
  actor: string;
  action: AuditAction;
  model: string;
  version?: string;
  alias?: string;
  /** Why the registry itself made a change (recovery after a crash, adoption of versions found on disk, a rollout step). */
  note?: string;
  before: ModelSnapshot | null;
  after: ModelSnapshot;
}

export interface ModelRecord extends ModelSnapshot {
  format: 1;
  model: string;
  last_change: AuditRecord | null;
}

export function snapshotOf(record: ModelSnapshot): ModelSnapshot {
  return {
    revision: record.revision,
    versions: [...record.versions],
    archived: [...record.archived],
    aliases: { ...record.aliases },
    traffic: { ...record.traffic, variants: record.traffic.variants.map((v) => ({ ...v })), shadow: record.traffic.shadow.map((s) => ({ ...s })) },
  };
}

export function byVersionNumber(a: string, b: string): number {
  return Number(a) - Number(b);
}

/** Validates a model.json read from disk; the message names the file and the field. */
export function parseModelRecord(raw: unknown, model: string, where: string): ModelRecord {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('must be a JSON object');
  const r = raw as Record<string, unknown>;
  if (r.format !== 1) fail(`"format" must be 1, got ${JSON.stringify(r.format)}`);
  if (r.model !== model || modelNameProblem(r.model)) fail(`"model" is ${JSON.stringify(r.model)} but the file lives in the directory of '${model}'`);
  if (!Number.isInteger(r.revision) || (r.revision as number) < 1) fail('"revision" must be an integer >= 1');
  const versionList = (field: 'versions' | 'archived'): string[] => {
    const list = r[field];
    if (!Array.isArray(list) || !list.every((v) => versionProblem(v) === undefined)) fail(`"${field}" must be a list of version numbers`);
    return [...new Set(list as string[])].sort(byVersionNumber);
  };
  const versions = versionList('versions');
  const archived = versionList('archived');
  for (const v of archived) if (!versions.includes(v)) fail(`"archived" lists version ${v}, which is not in "versions"`);
  const aliases = r.aliases;
  if (typeof aliases !== 'object' || aliases === null || Array.isArray(aliases)) fail('"aliases" must be an object of alias → version');
  for (const [alias, version] of Object.entries(aliases as object)) {
    if (aliasProblem(alias)) fail(`alias ${JSON.stringify(alias)} is invalid: ${aliasProblem(alias)}`);
    if (versionProblem(version)) fail(`alias "${alias}" points at ${JSON.stringify(version)}, which is not a version number`);
  }
  let traffic: TrafficPolicy;
  try {
    traffic = parseTrafficPolicy(r.traffic, model);
  } catch (err) {
    return fail((err as Error).message);
  }
  const last = r.last_change;
  if (last !== null && (typeof last !== 'object' || !Number.isInteger((last as AuditRecord).seq))) fail('"last_change" must be an audit record or null');
  return {
    format: 1,
    model,
    revision: r.revision as number,
    versions,
    archived,
    aliases: { ...(aliases as Record<string, string>) },
    traffic,
    last_change: (last as AuditRecord | null) ?? null,
  };
}

export function serializeModelRecord(record: ModelRecord): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`);
}
