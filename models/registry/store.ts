/**
 * The filesystem registry: `<root>/models/<m>/<v>/{model.onnx,manifest.json}`
 * (the layout the gateway's `readRepository(<root>/models)` serves),
 * `<root>/models/<m>/model.json` (aliases, traffic policy, archived versions,
 * revision), `<root>/archive/<m>/<v>/` and `<root>/audit.log`.
 *
 * One writer: every change runs on a serial queue and is durable (fsynced,
 * audited) before it resolves. A new version is staged in a hidden directory
 * and renamed into place (the commit point), so a crash never leaves a
 * half-registered version visible.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../runtime/log.js';
import { writeFileAtomic, writeModelVersion } from '../repository-writer.js';
import { AUDIT_FILE, AuditLog } from './audit-log.js';
import { mkdirDurable, renameDurable } from './durable-fs.js';
import { SwitchyardError } from '../../runtime/errors.js';
import { statusOf, targetCatalog, type ModelEntry, type VersionEntry } from './model-entry.js';
import { MODEL_STATE_FILE, serializeModelRecord, snapshotOf, type AuditAction, type AuditRecord, type ModelRecord, type ModelSnapshot } from './model-record.js';
import { requireAlias, requireModelName, requireVersion } from './names.js';
import { ARCHIVE_DIR, loadRegistryRoot, MODELS_DIR, STAGING_PREFIX, type Recovery } from './store-loader.js';
import { checkTrafficTargets, defaultTrafficPolicy, parseTrafficPolicyInput, resolveTarget, trafficShareOf, TrafficPolicyError } from './traffic-policy.js';
import { checkUpload, manifestFor, versionFields } from './version-upload.js';
import { SerialQueue } from './serial-queue.js';
import { modelView, versionView, type ModelView, type VersionView } from './views.js';

export interface StoreChange {
  seq: number;
  action: AuditAction;
  model: ModelView;
}

export interface MutationResult {
  /** False when the request asked for the state the model already had (nothing written, nothing audited). */
  changed: boolean;
  model: ModelView;
  audit?: AuditRecord;
}

type Next = Omit<ModelSnapshot, 'revision'>;

export class RegistryStore {
  private readonly queue = new SerialQueue();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private lastSeq = 0;
  private closed = false;

  private constructor(
    readonly root: string,
    private readonly models: Map<string, ModelEntry>,
    readonly audit: AuditLog,
    readonly problems: readonly string[],
    private readonly log: Logger,
  ) {}

  static async open(root: string, log: Logger): Promise<RegistryStore> {
    await mkdirDurable(root);
    const loaded = await loadRegistryRoot(root, log);
    const audit = await AuditLog.open(join(root, AUDIT_FILE), log);
    const store = new RegistryStore(root, loaded.models, audit, loaded.problems, log);
    await store.recover(loaded.recoveries);
    return store;
  }

  /** The seq of the last change: a watcher that has seen it is up to date. */
  get seq(): number {
    return this.lastSeq;
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  listModels(): ModelView[] {
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name)).map(modelView);
  }

  model(name: string): ModelView {
    return modelView(this.entry(name));
  }

  version(name: string, version: string): VersionView {
    const entry = this.entry(name);
    return versionView(entry, this.versionEntry(entry, version));
  }

  /** Where a servable (or archived) version's ONNX file is, for download. */
  versionFile(name: string, version: string): { path: string; sha256: string } {
    const entry = this.entry(name);
    const v = this.versionEntry(entry, version);
    if (!v.manifest) throw new SwitchyardError('SY_ERR_VERSION_REFUSED', `version ${version} of model '${name}' was refused: ${v.refused}`);
    return { path: join(v.dir, v.manifest.file), sha256: v.manifest.sha256 };
  }

  /** Models changed after `since` (all of them without it, or when `since` is from a registry this one is not). */
  changesSince(since: number | undefined): ModelView[] {
    const all = this.listModels();
    if (since === undefined || since > this.lastSeq) return all;
    return all.filter((m) => m.seq > since).sort((a, b) => a.seq - b.seq);
  }

  register(actor: string, model: string, manifest: unknown, bytes: Uint8Array): Promise<MutationResult> {
    requireModelName(model);
    const upload = checkUpload(model, manifest, bytes);
    return this.write(async () => {
      const entry = this.models.get(model) ?? { name: model, record: undefined, versions: new Map<string, VersionEntry>() };
      this.notBroken(entry);
      const version = upload.version ?? String(Math.max(0, ...[...entry.versions.keys()].map(Number)) + 1);
      if (entry.versions.has(version)) throw new SwitchyardError('SY_ERR_VERSION_EXISTS', `model '${model}' already has a version ${version}${entry.versions.get(version)!.archived ? ' (archived)' : ''}; versions are immutable, register a new one`);
      const parsed = manifestFor(upload, model, version, new Date());
      const modelDir = join(this.root, MODELS_DIR, model);
      await mkdirDurable(modelDir);
      const staging = join(modelDir, `${STAGING_PREFIX}${version}-${randomBytes(4).toString('hex')}`);
      try {
        await writeModelVersion(staging, versionFields(parsed), bytes);
        await renameDurable(join(staging, model, version), join(modelDir, version));
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
      this.models.set(model, entry);
      entry.versions.set(version, { version, dir: join(modelDir, version), archived: false, manifest: parsed });
      const r = entry.record;
      const next: Next = r
        ? { ...r, versions: [...r.versions, version] }
        : { versions: [...entry.versions.keys()], archived: [...entry.versions.values()].filter((v) => v.archived).map((v) => v.version), aliases: { stable: version }, traffic: defaultTrafficPolicy(model, version, 0) };
      return this.commit(entry, actor, 'register', next, { version });
    });
  }

  /** `note` (optional) says why, in the audit record: the rollout controller's reasons. */
  setAlias(actor: string, model: string, alias: string, version: string, note?: string): Promise<MutationResult> {
    requireModelName(model);
    requireAlias(alias);
    requireVersion(version);
    return this.write(async () => {
      const entry = this.entry(model);
      const record = this.writable(entry);
      const v = this.versionEntry(entry, version);
      if (v.archived) throw new SwitchyardError('SY_ERR_VERSION_ARCHIVED', `version ${version} of model '${model}' is archived; an alias can only point at a live version`);
      if (v.refused) throw new SwitchyardError('SY_ERR_VERSION_REFUSED', `version ${version} of model '${model}' was refused: ${v.refused}`);
      if (record.aliases[alias] === version) return this.unchanged(entry);
      const aliases = { ...record.aliases, [alias]: version };
      try {
        checkTrafficTargets(model, record.traffic, targetCatalog(entry, aliases));
      } catch (err) {
        throw new SwitchyardError('SY_ERR_IN_TRAFFIC', `moving alias "${alias}" to version ${version} would break the traffic policy: ${(err as Error).message}`);
      }
      return this.commit(entry, actor, 'alias.set', { ...record, aliases }, { alias, version, ...noted(note) });
    });
  }

  deleteAlias(actor: string, model: string, alias: string, note?: string): Promise<MutationResult> {
    requireModelName(model);
    requireAlias(alias);
    return this.write(async () => {
      const entry = this.entry(model);
      const record = this.writable(entry);
      if (!(alias in record.aliases)) throw new SwitchyardError('SY_ERR_ALIAS_NOT_FOUND', `model '${model}' has no alias "${alias}" (aliases: ${Object.keys(record.aliases).join(', ') || 'none'})`);
      const uses = [...record.traffic.variants.filter((v) => v.target === alias).map((v) => `variant ${alias}=${v.weight}`), ...record.traffic.shadow.filter((s) => s.target === alias).map((s) => `shadow ${alias}:${s.percent}%`)];
      if (uses.length) throw new SwitchyardError('SY_ERR_IN_TRAFFIC', `alias "${alias}" is used by the traffic policy of '${model}' (${uses.join(', ')}); change the policy first`);
      const { [alias]: removed, ...aliases } = record.aliases;
      return this.commit(entry, actor, 'alias.delete', { ...record, aliases }, { alias, version: removed, ...noted(note) });
    });
  }

  putTraffic(actor: string, model: string, body: unknown, note?: string): Promise<MutationResult> {
    requireModelName(model);
    const input = policyError(() => parseTrafficPolicyInput(body, model));
    return this.write(async () => {
      const entry = this.entry(model);
      const record = this.writable(entry);
      if (input.expected_revision !== undefined && input.expected_revision !== record.revision) {
        throw new SwitchyardError('SY_ERR_REVISION_MISMATCH', `the policy was based on revision ${input.expected_revision} but model '${model}' is at revision ${record.revision}; read it again and retry`);
      }
      policyError(() => checkTrafficTargets(model, input, targetCatalog(entry, record.aliases)));
      const traffic = { ...record.traffic, variants: input.variants, shadow: input.shadow, sticky_header: input.sticky_header };
      if (JSON.stringify(traffic) === JSON.stringify(record.traffic)) return this.unchanged(entry);
      return this.commit(entry, actor, 'traffic.set', { ...record, traffic }, noted(note));
    });
  }

  /** Refused (409) while the version takes live or shadow traffic; aliases and zero-weight entries naming it are dropped. */
  archive(actor: string, model: string, version: string): Promise<MutationResult> {
    requireModelName(model);
    requireVersion(version);
    return this.write(async () => {
      const entry = this.entry(model);
      const record = this.writable(entry);
      const v = this.versionEntry(entry, version);
      if (v.archived) return this.unchanged(entry);
      const share = trafficShareOf(record.traffic, record.aliases, version);
      if (share.weight > 0 || share.shadow_percent > 0) {
        throw new SwitchyardError('SY_ERR_IN_TRAFFIC', `version ${version} of model '${model}' receives traffic (${share.referenced_by.join(', ')}); move its traffic away first (switchyard traffic set ${model} ...)`);
      }
      const named = (target: string): boolean => resolveTarget(target, record.aliases) === version;
      const aliases = Object.fromEntries(Object.entries(record.aliases).filter(([, to]) => to !== version));
      const traffic = { ...record.traffic, variants: record.traffic.variants.filter((t) => !named(t.target)), shadow: record.traffic.shadow.filter((t) => !named(t.target)) };
      const result = await this.commit(entry, actor, 'archive', { ...record, aliases, traffic, archived: [...record.archived, version] }, { version }, false);
      const to = join(this.root, ARCHIVE_DIR, model, version);
      await mkdirDurable(join(this.root, ARCHIVE_DIR, model));
      await renameDurable(v.dir, to);
      v.dir = to;
      v.archived = true;
      return this.emit(entry, result.audit!);
    });
  }

  /** Waits for queued changes, then closes the audit log. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
    await this.audit.close();
  }

  private async recover(recoveries: Recovery[]): Promise<void> {
    const lost = [...this.models.values()].map((e) => e.record?.last_change).filter((c): c is AuditRecord => !!c && c.seq > this.audit.lastSeq).sort((a, b) => a.seq - b.seq);
    for (const change of lost) {
      this.log.warn('re-appending the audit record of a change committed just before a crash', { seq: change.seq, model: change.model, action: change.action });
      await this.audit.append(change);
    }
    this.lastSeq = Math.max(this.audit.lastSeq, ...[...this.models.values()].map((e) => e.record?.last_change?.seq ?? 0));
    for (const r of recoveries) {
      this.log.warn('registry recovered model state from disk', { model: r.model, note: r.note });
      await this.commit(this.models.get(r.model)!, 'registry', 'recover', r.next, { note: r.note }, false);
    }
  }

  private write(task: () => Promise<MutationResult>): Promise<MutationResult> {
    if (this.closed) return Promise.reject(new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'the registry is shutting down; retry against its replacement'));
    return this.queue.run(task);
  }

  /** Persists the next state (model.json is the commit point), then appends the audit record; both fsynced. */
  private async commit(entry: ModelEntry, actor: string, action: AuditAction, next: Next, details: { version?: string; alias?: string; note?: string }, notify = true): Promise<MutationResult> {
    const before = entry.record ? snapshotOf(entry.record) : null;
    const revision = (entry.record?.revision ?? 0) + 1;
    const seq = this.lastSeq + 1;
    const after = snapshotOf({ versions: next.versions, archived: next.archived, aliases: next.aliases, revision, traffic: { ...next.traffic, model: entry.name, revision } });
    after.versions.sort((a, b) => Number(a) - Number(b));
    after.archived.sort((a, b) => Number(a) - Number(b));
    const audit: AuditRecord = { seq, time: new Date().toISOString(), actor, action, model: entry.name, ...details, before, after };
    const record: ModelRecord = { format: 1, model: entry.name, ...after, last_change: audit };
    await writeFileAtomic(join(this.root, MODELS_DIR, entry.name, MODEL_STATE_FILE), serializeModelRecord(record));
    entry.record = record;
    this.lastSeq = seq;
    await this.audit.append(audit);
    return notify ? this.emit(entry, audit) : { changed: true, model: modelView(entry), audit };
  }

  private emit(entry: ModelEntry, audit: AuditRecord): MutationResult {
    const view = modelView(entry);
    for (const listener of this.listeners) {
      try {
        listener({ seq: audit.seq, action: audit.action, model: view });
      } catch (err) {
        this.log.error('watch listener failed', { error: (err as Error).message });
      }
    }
    return { changed: true, model: view, audit };
  }

  private unchanged(entry: ModelEntry): MutationResult {
    return { changed: false, model: modelView(entry) };
  }

  private entry(name: string): ModelEntry {
    requireModelName(name);
    const entry = this.models.get(name);
    if (!entry) throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `no model named '${name}' (models: ${[...this.models.keys()].join(', ') || 'none'})`);
    return entry;
  }

  private versionEntry(entry: ModelEntry, version: string): VersionEntry {
    requireVersion(version);
    const v = entry.versions.get(version);
    if (!v) throw new SwitchyardError('SY_ERR_VERSION_NOT_FOUND', `model '${entry.name}' has no version ${version} (versions: ${[...entry.versions.keys()].join(', ') || 'none'})`);
    return v;
  }

  /** The model's record, for changes that need one (all but register, which creates it). */
  private writable(entry: ModelEntry): ModelRecord {
    if (entry.broken) throw new SwitchyardError('SY_ERR_MODEL_STATE_BROKEN', `model '${entry.name}' refuses changes: ${entry.broken}`);
    if (!entry.record) {
      const refused = [...entry.versions.values()].filter((v) => statusOf(v) === 'refused').map((v) => v.version);
      throw new SwitchyardError('SY_ERR_MODEL_STATE_BROKEN', `model '${entry.name}' has no servable version yet (refused: ${refused.join(', ') || 'none'}); register one first`);
    }
    return entry.record;
  }

  private notBroken(entry: ModelEntry): void {
    if (entry.broken) throw new SwitchyardError('SY_ERR_MODEL_STATE_BROKEN', `model '${entry.name}' refuses changes: ${entry.broken}`);
  }
}

function noted(note: string | undefined): { note?: string } {
  return note === undefined ? {} : { note };
}

function policyError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TrafficPolicyError) throw new SwitchyardError('SY_ERR_INVALID_POLICY', err.message);
    throw err;
  }
}
