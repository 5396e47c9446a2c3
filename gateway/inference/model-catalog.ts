/**
 * A shard's replica of the models the gateway serves. Each model holds one
 * immutable snapshot — its traffic router and the loaded versions the router
 * can name — swapped in one step. The control plane changes a model in two
 * steps on every shard: `prepare` loads and warms the versions the shard
 * lacks and stages the change (a pinned request may already reach them),
 * `commit` swaps, then drains and unloads what the new snapshot no longer
 * holds. So no request that was routed is dropped by a deploy or a weight
 * change, and once any shard routes to a version, every shard can answer it.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/log.js';
import { TrafficRouter } from '../routing/traffic-router.js';
import type { ModelChange, PrepareResult, VersionEntry } from '../shards/protocol.js';
import type { RepositoryEntry, Role } from './types.js';
import type { ModelVersion } from './model-version.js';

/** Builds and loads a version the shard does not hold yet; throws when it cannot load. */
export type VersionLoader = (entry: VersionEntry & Required<Pick<VersionEntry, 'load'>>) => ModelVersion;

interface Snapshot {
  revision: number;
  router: TrafficRouter;
  versions: ReadonlyMap<string, ModelVersion>;
}

interface Staged extends Snapshot {
  /** Versions loaded for this change, closed if it is aborted. */
  fresh: ModelVersion[];
}

export interface Route {
  version: ModelVersion;
  role: Role;
}

const NO_SHADOWS: readonly ModelVersion[] = Object.freeze([]);

export class ModelCatalog {
  private readonly models = new Map<string, Snapshot>();
  private readonly staged = new Map<string, Staged>();
  private refused: RepositoryEntry[] = [];

  constructor(
    private readonly loadVersion: VersionLoader,
    private readonly log: Logger,
  ) {}

  prepare(change: ModelChange): PrepareResult {
    const held = new Map(this.all().map((mv) => [mv.key, mv]));
    const versions = new Map<string, ModelVersion>();
    const fresh: ModelVersion[] = [];
    const failed: PrepareResult['failed'] = [];
    for (const entry of change.versions) {
      const version = entry.manifest.version;
      const kept = held.get(entry.key);
      if (kept) {
        versions.set(version, kept);
        continue;
      }
      try {
        if (!entry.load) throw new Error(`no load of ${entry.key} was sent to this shard`);
        const mv = this.loadVersion({ ...entry, load: entry.load });
        mv.start();
        versions.set(version, mv);
        fresh.push(mv);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        this.log.error('model version failed to load', { model: change.name, version, reason });
        failed.push({ version, reason });
      }
    }
    const policy = { ...change.policy, variants: change.policy.variants.filter((v) => versions.has(v.version)), shadows: change.policy.shadows.filter((s) => versions.has(s.version)) };
    this.staged.set(change.name, { revision: change.revision, router: new TrafficRouter(policy), versions, fresh });
    return { failed };
  }

  /** Swaps the model to its staged change; resolves when what it no longer holds is drained and unloaded. */
  async commit(name: string, revision: number): Promise<void> {
    const staged = this.staged.get(name);
    if (!staged || staged.revision !== revision) return;
    this.staged.delete(name);
    const current = this.models.get(name);
    if (staged.versions.size === 0) this.models.delete(name);
    else this.models.set(name, { revision, router: staged.router, versions: staged.versions });
    const kept = new Set(staged.versions.values());
    const retired = current ? [...current.versions.values()].filter((mv) => !kept.has(mv)) : [];
    await Promise.all(retired.map((mv) => mv.close()));
  }

  async abort(name: string, revision: number): Promise<void> {
    const staged = this.staged.get(name);
    if (!staged || staged.revision !== revision) return;
    this.staged.delete(name);
    await Promise.all(staged.fresh.map((mv) => mv.close()));
  }

  setRefused(entries: RepositoryEntry[]): void {
    this.refused = entries;
  }

  /** A version by its load key, staged or served. */
  byKey(key: string): ModelVersion | undefined {
    return [...this.all(), ...[...this.staged.values()].flatMap((s) => s.fresh)].find((mv) => mv.key === key);
  }

  /** The version that answers: pinned, or picked by the model's router (sticky key, then weights). */
  route(name: string, pinned: string | undefined, stickyKey: string | undefined): Route {
    const snapshot = this.snapshot(name);
    if (pinned !== undefined && pinned !== '') {
      const version = snapshot.versions.get(pinned) ?? this.staged.get(name)?.versions.get(pinned);
      if (!version) throw this.versionNotServed(name, pinned, snapshot);
      const variant = snapshot.router.policy.variants.find((v) => v.version === pinned);
      return { version, role: variant?.role ?? 'shadow' };
    }
    const variant = snapshot.router.pick(stickyKey);
    return { version: snapshot.versions.get(variant.version)!, role: variant.role };
  }

  /** Versions the model mirrors this request to (drawn at their percentages). */
  shadowsOf(name: string): readonly ModelVersion[] {
    const snapshot = this.models.get(name);
    if (!snapshot || snapshot.router.policy.shadows.length === 0) return NO_SHADOWS;
    return snapshot.router.shadowsFor().flatMap((v) => snapshot.versions.get(v) ?? []);
  }

  stickyHeader(name: string): string | undefined {
    return this.models.get(name)?.router.policy.stickyHeader;
  }

  /** A served version for metadata and readiness: pinned, or the stable one. */
  resolve(name: string, version?: string): ModelVersion {
    const snapshot = this.snapshot(name);
    if (version !== undefined && version !== '') {
      const found = snapshot.versions.get(version);
      if (!found) throw this.versionNotServed(name, version, snapshot);
      return found;
    }
    const variants = snapshot.router.policy.variants;
    const stable = variants.find((v) => v.role === 'stable') ?? variants[0];
    return snapshot.versions.get(stable!.version)!;
  }

  /** Served version numbers, ascending. */
  versions(name: string): string[] {
    return [...(this.models.get(name)?.versions.keys() ?? [])].sort((a, b) => Number(a) - Number(b));
  }

  modelNames(): string[] {
    return [...this.models.keys()].sort();
  }

  all(): ModelVersion[] {
    return [...this.models.values()].flatMap((s) => [...s.versions.values()]);
  }

  entries(): RepositoryEntry[] {
    const served: RepositoryEntry[] = this.all().map((mv) => ({
      name: mv.manifest.name,
      version: mv.manifest.version,
      state: mv.isReady ? 'READY' : 'UNAVAILABLE',
      reason: mv.isReady ? '' : 'draining',
    }));
    const shown = new Set(served.map((e) => `${e.name}/${e.version}`));
    const refused = this.refused.filter((e) => !shown.has(`${e.name}/${e.version}`));
    return [...served, ...refused].sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version));
  }

  /** Drops staged changes and drains every version. */
  async close(): Promise<void> {
    await Promise.all([...this.staged.values()].flatMap((s) => s.fresh.map((mv) => mv.close())));
    this.staged.clear();
    await Promise.all(this.all().map((mv) => mv.close()));
  }

  private snapshot(name: string): Snapshot {
    const snapshot = this.models.get(name);
    if (snapshot) return snapshot;
    const refused = this.refused.find((e) => e.name === name);
    if (refused) throw new SwitchyardError('SY_ERR_MODEL_NOT_READY', `model '${name}' is unavailable: ${refused.reason}`);
    throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `model '${name}' not found; available: ${this.modelNames().join(', ') || 'none'}`);
  }

  private versionNotServed(name: string, version: string, snapshot: Snapshot): SwitchyardError {
    return new SwitchyardError('SY_ERR_VERSION_NOT_FOUND', `model '${name}' has no version '${version}' in service; served versions: ${[...snapshot.versions.keys()].join(', ')}`);
  }
}
