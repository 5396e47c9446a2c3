/**
 * Reads a registry root into memory and finishes what a crash interrupted:
 * - `<root>/models/<m>/.staging-*` (a registration that never reached its
 *   commit rename) and stray temp files are removed;
 * - every version is verified like the gateway does (manifest + sha256); a bad
 *   one is listed as refused with the reason and logged, never served;
 * - an archive recorded in model.json but not yet moved is moved;
 * - versions on disk that model.json does not list (a crash after the commit
 *   rename, or a directory written by `switchyard examples`) are adopted.
 * The last two produce "recover" changes that the store commits and audits.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readModelVersion } from '../../gateway/model-repository.js';
import type { Logger } from '../../runtime/log.js';
import { modelNameProblem, versionProblem } from '../manifest.js';
import { mkdirDurable, renameDurable } from './durable-fs.js';
import { statusOf, sortedVersions, type ModelEntry, type VersionEntry } from './model-entry.js';
import { byVersionNumber, MODEL_STATE_FILE, parseModelRecord, type ModelSnapshot } from './model-record.js';
import { defaultTrafficPolicy } from './traffic-policy.js';

export const MODELS_DIR = 'models';
export const ARCHIVE_DIR = 'archive';
export const STAGING_PREFIX = '.staging-';

export interface Recovery {
  model: string;
  /** The snapshot to commit (revision is filled in by the store). */
  next: Omit<ModelSnapshot, 'revision'>;
  note: string;
}

export interface LoadResult {
  models: Map<string, ModelEntry>;
  recoveries: Recovery[];
  /** Directories that are not models or versions, with the rule they break. */
  problems: string[];
}

export async function loadRegistryRoot(root: string, log: Logger): Promise<LoadResult> {
  const result: LoadResult = { models: new Map(), recoveries: [], problems: [] };
  const modelsDir = join(root, MODELS_DIR);
  await mkdirDurable(modelsDir);
  const names = new Set([...(await entriesOf(modelsDir)).dirs, ...(await entriesOf(join(root, ARCHIVE_DIR))).dirs]);
  for (const name of [...names].sort()) {
    const problem = modelNameProblem(name);
    if (problem) {
      result.problems.push(`${join(modelsDir, name)}: not a model directory: ${problem}`);
      continue;
    }
    const entry = await loadModel(root, name, result.problems, log);
    result.models.set(name, entry);
    const recovery = entry.broken ? undefined : await reconcile(root, entry, log);
    if (recovery) result.recoveries.push(recovery);
  }
  for (const p of result.problems) log.warn('registry directory ignored', { problem: p });
  return result;
}

async function loadModel(root: string, name: string, problems: string[], log: Logger): Promise<ModelEntry> {
  const entry: ModelEntry = { name, record: undefined, versions: new Map() };
  const modelDir = join(root, MODELS_DIR, name);
  const live = await entriesOf(modelDir);
  for (const leftover of [...live.dirs.filter((d) => d.startsWith(STAGING_PREFIX)), ...live.files.filter((f) => f.startsWith('.') && f.endsWith('.tmp'))]) {
    log.warn('removing an unfinished write left by a crash', { path: join(modelDir, leftover) });
    await rm(join(modelDir, leftover), { recursive: true, force: true });
  }
  for (const [base, archived] of [[modelDir, false], [join(root, ARCHIVE_DIR, name), true]] as const) {
    for (const version of (await entriesOf(base)).dirs.filter((d) => !d.startsWith('.'))) {
      if (versionProblem(version)) {
        problems.push(`${join(base, version)}: not a version directory: ${versionProblem(version)}`);
        continue;
      }
      if (entry.versions.has(version)) {
        problems.push(`${join(base, version)}: version ${version} of '${name}' is also live in ${modelDir}; the live copy wins`);
        continue;
      }
      entry.versions.set(version, await loadVersion(join(base, version), name, version, archived, log));
    }
  }
  const where = join(modelDir, MODEL_STATE_FILE);
  try {
    entry.record = parseModelRecord(JSON.parse(await readFile(where, 'utf8')), name, where);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      entry.broken = `${err instanceof Error ? err.message : String(err)}; fix or remove the file (versions on disk are adopted again when it is missing)`;
      log.error('model state refused', { model: name, reason: entry.broken });
    }
  }
  return entry;
}

async function loadVersion(dir: string, name: string, version: string, archived: boolean, log: Logger): Promise<VersionEntry> {
  try {
    const { manifest } = await readModelVersion(dir, name, version);
    return { version, dir, archived, manifest };
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${dir}: no manifest or model file (${(err as Error).message})` : (err as Error).message;
    log.error('model version refused', { model: name, version, reason });
    return { version, dir, archived, refused: reason };
  }
}

/** Rolls an interrupted archive forward, adopts unlisted versions, flags listed ones that are gone. */
async function reconcile(root: string, entry: ModelEntry, log: Logger): Promise<Recovery | undefined> {
  const record = entry.record;
  const notes: string[] = [];
  for (const version of record?.archived ?? []) {
    const v = entry.versions.get(version);
    if (!v || v.archived) continue;
    const to = join(root, ARCHIVE_DIR, entry.name, version);
    await mkdirDurable(join(root, ARCHIVE_DIR, entry.name));
    await renameDurable(v.dir, to);
    log.warn('finished moving an archived version', { model: entry.name, version, to });
    v.dir = to;
    v.archived = true;
  }
  for (const version of record?.versions ?? []) {
    if (entry.versions.has(version)) continue;
    const dir = join(root, MODELS_DIR, entry.name, version);
    entry.versions.set(version, { version, dir, archived: record!.archived.includes(version), refused: `${dir}: the directory of version ${version} is missing` });
    log.error('model version refused', { model: entry.name, version, reason: `directory missing` });
  }
  const adopted = sortedVersions(entry).filter((v) => !record?.versions.includes(v.version));
  if (adopted.length === 0) return undefined;
  notes.push(`adopted version${adopted.length > 1 ? 's' : ''} ${adopted.map((v) => v.version).join(', ')} found on disk`);
  const versions = [...new Set([...(record?.versions ?? []), ...adopted.map((v) => v.version)])].sort(byVersionNumber);
  const archived = [...new Set([...(record?.archived ?? []), ...adopted.filter((v) => v.archived).map((v) => v.version)])].sort(byVersionNumber);
  if (record) return { model: entry.name, next: { versions, archived, aliases: record.aliases, traffic: record.traffic }, note: notes.join('; ') };
  const newest = adopted.filter((v) => statusOf(v) === 'ready').pop();
  if (!newest) return undefined; // nothing servable to build a policy on; stays unrecorded until a version is registered
  notes.push(`default policy: version ${newest.version} at 100, alias stable`);
  return {
    model: entry.name,
    next: { versions, archived, aliases: { stable: newest.version }, traffic: defaultTrafficPolicy(entry.name, newest.version, 0) },
    note: notes.join('; '),
  };
}

async function entriesOf(dir: string): Promise<{ dirs: string[]; files: string[] }> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return { dirs: entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(), files: entries.filter((e) => e.isFile()).map((e) => e.name) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { dirs: [], files: [] };
    throw err;
  }
}
