/**
 * The models this gateway serves. Each model holds one immutable snapshot —
 * its traffic router and the loaded versions the router can name — swapped in
 * one step. A change loads and warms the new versions first, then swaps, then
 * drains and unloads what the new snapshot no longer needs: no request that
 * was routed is dropped by a deploy or a weight change.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/log.js';
import type { LoadedVersion } from '../model-repository.js';
import type { ModelPlan, PlannedVersion } from '../routing/model-plan.js';
import { TrafficRouter, type ResolvedPolicy } from '../routing/traffic-router.js';
import type { RepositoryEntry, Role } from './types.js';
import type { ModelVersion } from './model-version.js';

export type VersionFactory = (loaded: LoadedVersion, lowPriority: boolean) => ModelVersion;

export interface PolicyObserver {
  policyApplied(model: string, policy: ResolvedPolicy | undefined): void;
}

interface Snapshot {
  revision: number;
  router: TrafficRouter;
  versions: ReadonlyMap<string, ModelVersion>;
}

export interface Route {
  version: ModelVersion;
  role: Role;
}

export class ModelCatalog {
  private readonly models = new Map<string, Snapshot>();
  private readonly refused = new Map<string, RepositoryEntry>();
  /** Per model, the change being applied: changes of one model apply in order. */
  private readonly applying = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly createVersion: VersionFactory,
    private readonly observer: PolicyObserver,
    private readonly log: Logger,
  ) {}

  /** Applies a plan after any earlier one for the same model; resolves when the old versions are drained. */
  apply(plan: ModelPlan): Promise<void> {
    const previous = this.applying.get(plan.name) ?? Promise.resolve();
    const next = previous.then(() => this.applyNow(plan));
    this.applying.set(plan.name, next.catch(() => {}));
    return next;
  }

  refuse(name: string, version: string, reason: string): void {
    this.refused.set(`${name}/${version}`, { name, version, state: 'UNAVAILABLE', reason });
  }

  /** The version that answers: pinned, or picked by the model's router (sticky key, then weights). */
  route(name: string, pinned: string | undefined, stickyKey: string | undefined): Route {
    const snapshot = this.snapshot(name);
    if (pinned !== undefined && pinned !== '') {
      const version = snapshot.versions.get(pinned);
      if (!version) throw this.versionNotServed(name, pinned, snapshot);
      const variant = snapshot.router.policy.variants.find((v) => v.version === pinned);
      return { version, role: variant?.role ?? 'shadow' };
    }
    const variant = snapshot.router.pick(stickyKey);
    return { version: snapshot.versions.get(variant.version)!, role: variant.role };
  }

  /** Versions the model mirrors this request to (drawn at their percentages). */
  shadowsOf(name: string): ModelVersion[] {
    const snapshot = this.models.get(name);
    if (!snapshot || snapshot.router.policy.shadows.length === 0) return [];
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
    return [...served, ...this.refused.values()].sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version));
  }

  /** Waits for changes in progress, then drains every version. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.applying.values());
    await Promise.all(this.all().map((mv) => mv.close()));
  }

  private snapshot(name: string): Snapshot {
    const snapshot = this.models.get(name);
    if (snapshot) return snapshot;
    const refused = [...this.refused.values()].find((e) => e.name === name);
    if (refused) throw new SwitchyardError('SY_ERR_MODEL_NOT_READY', `model '${name}' is unavailable: ${refused.reason}`);
    throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `model '${name}' not found; available: ${this.modelNames().join(', ') || 'none'}`);
  }

  private versionNotServed(name: string, version: string, snapshot: Snapshot): SwitchyardError {
    return new SwitchyardError('SY_ERR_VERSION_NOT_FOUND', `model '${name}' has no version '${version}' in service; served versions: ${[...snapshot.versions.keys()].join(', ')}`);
  }

  private async applyNow(plan: ModelPlan): Promise<void> {
    if (this.closed) return;
    const current = this.models.get(plan.name);
    if (current && plan.revision !== 0 && plan.revision <= current.revision) return;
    if (plan.versions.length === 0) {
      this.models.delete(plan.name);
      this.observer.policyApplied(plan.name, undefined);
      if (current) await this.drain(plan.name, [...current.versions.values()]);
      return;
    }
    const next = new Map<string, ModelVersion>();
    const fresh: ModelVersion[] = [];
    await Promise.all(
      plan.versions.map(async (pv) => {
        const existing = current?.versions.get(pv.version);
        if (existing && existing.lowPriority === pv.lowPriority) return void next.set(pv.version, existing);
        const loaded = await this.load(plan.name, pv);
        if (loaded) {
          next.set(pv.version, loaded);
          fresh.push(loaded);
        }
      }),
    );
    const missing = plan.policy.variants.filter((v) => v.weight > 0 && !next.has(v.version));
    if (missing.length > 0) {
      this.log.error('traffic change not applied: a version taking traffic failed to load; previous policy kept', { model: plan.name, revision: plan.revision, versions: missing.map((v) => v.version) });
      await Promise.all(fresh.map((mv) => mv.close()));
      return;
    }
    const policy: ResolvedPolicy = {
      ...plan.policy,
      variants: plan.policy.variants.filter((v) => next.has(v.version)),
      shadows: plan.policy.shadows.filter((s) => next.has(s.version)),
    };
    this.models.set(plan.name, { revision: plan.revision, router: new TrafficRouter(policy), versions: next });
    this.observer.policyApplied(plan.name, policy);
    this.log.info('traffic policy applied', { model: plan.name, revision: plan.revision, variants: policy.variants, shadows: policy.shadows });
    const retired = current ? [...current.versions.values()].filter((mv) => next.get(mv.manifest.version) !== mv) : [];
    await this.drain(plan.name, retired);
  }

  private async load(name: string, pv: PlannedVersion): Promise<ModelVersion | undefined> {
    let mv: ModelVersion | undefined;
    try {
      mv = this.createVersion(await pv.load(), pv.lowPriority);
      await mv.start();
      this.refused.delete(`${name}/${pv.version}`);
      return mv;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.log.error('model version failed to load', { model: name, version: pv.version, reason });
      this.refuse(name, pv.version, reason);
      await mv?.close();
      return undefined;
    }
  }

  /** Answers everything the retired versions still hold, then releases their sessions. */
  private async drain(name: string, retired: ModelVersion[]): Promise<void> {
    await Promise.all(retired.map((mv) => mv.close()));
    if (retired.length > 0) this.log.info('model versions unloaded', { model: name, versions: retired.map((mv) => mv.manifest.version) });
  }
}
