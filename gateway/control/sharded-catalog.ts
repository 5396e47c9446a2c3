/**
 * The control plane's catalog: what the gateway serves, applied to every
 * shard. A model's change loads the versions it adds here first — one
 * session on a session worker, which resolves the execution providers, checks
 * the graph against the manifest and times a run at the largest batch, from
 * which the execution mode follows — and refuses those that cannot load. Then
 * every shard prepares it (loads its inline sessions, or connects to the
 * version's pool), one shard at a time so that the others keep serving while
 * one loads; then every shard commits. A change whose live versions cannot
 * load anywhere leaves the previous policy in place.
 */
import type { MessagePort, Transferable } from 'node:worker_threads';
import { SwitchyardError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/log.js';
import { applyOverrides, type ModelOverrides } from '../config.js';
import { SessionPool } from '../execution/session-pool.js';
import { warmupTask } from '../execution/warmup.js';
import type { ExecutionMode } from '../inference/model-version.js';
import type { RepositoryEntry } from '../inference/types.js';
import type { ModelManifest } from '../../models/manifest.js';
import type { ModelPlan, PlannedVersion } from '../routing/model-plan.js';
import type { ResolvedPolicy } from '../routing/traffic-router.js';
import type { ModelChange, PrepareResult, ShardRequest, VersionEntry } from '../shards/protocol.js';
import type { ShardSet } from '../shards/shard-set.js';
import type { ShardThread } from '../shards/shard-thread.js';
import { ChangeLock } from './change-lock.js';
import type { ControlMetrics } from './control-metrics.js';
import { executionMode } from './execution-mode.js';

/** One load of a version, as the control plane holds it. */
interface ServedVersion {
  key: string;
  manifest: ModelManifest;
  provider: string;
  lowPriority: boolean;
  mode: ExecutionMode;
  /** Inline: the ONNX bytes each shard loads (kept to bring a replacement shard up). */
  model?: Uint8Array;
  /** Pool: the session workers the shards share. */
  pool?: SessionPool;
}

interface ServedModel {
  revision: number;
  policy: ResolvedPolicy;
  versions: Map<string, ServedVersion>;
}

export class ShardedCatalog {
  private readonly models = new Map<string, ServedModel>();
  private readonly refused = new Map<string, RepositoryEntry>();
  private readonly lock = new ChangeLock();
  private shardSet: ShardSet | undefined;
  private loads = 0;
  private closed = false;

  constructor(
    private readonly overrides: ModelOverrides,
    private readonly metrics: ControlMetrics,
    private readonly log: Logger,
  ) {}

  /** The shards changes go to (set once they exist: they are started with `bootstrap`). */
  attach(shards: ShardSet): void {
    this.shardSet = shards;
  }

  /** Applies a plan after any earlier one for the same model; resolves once every shard has switched and drained. */
  apply(plan: ModelPlan): Promise<void> {
    return this.lock.run(plan.name, () => this.applyNow(plan));
  }

  refuse(name: string, version: string, reason: string): void {
    this.refused.set(`${name}/${version}`, { name, version, state: 'UNAVAILABLE', reason });
    void this.lock.runExclusive(() => this.sendRefused());
  }

  /** Brings a new shard up to the served state (every model, whole) and lets it `join`, with no change in between. */
  bootstrap(shard: ShardThread, join: () => void): Promise<void> {
    return this.lock.runExclusive(async () => {
      for (const [name, model] of this.models) {
        const versions = [...model.versions.values()];
        await this.prepareOn(shard, this.change(name, model.revision, model.policy, versions, new Set(versions)));
        await shard.request({ kind: 'commit', model: name, revision: model.revision });
      }
      await shard.request({ kind: 'refused', entries: [...this.refused.values()] });
      join();
    });
  }

  /** Every version served or refused, as the repository index lists them. */
  entries(): RepositoryEntry[] {
    const served: RepositoryEntry[] = [...this.models.values()].flatMap((m) => [...m.versions.values()].map((v) => ({ name: v.manifest.name, version: v.manifest.version, state: 'READY' as const, reason: '' })));
    return [...served, ...this.refused.values()].sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version));
  }

  /** The session pool of a served pool-mode version, for operators' tooling and crash tests. */
  pool(name: string, version: string): SessionPool | undefined {
    return this.models.get(name)?.versions.get(version)?.pool;
  }

  /** Resolves once every change asked for so far has been applied (or refused) on every shard. */
  idle(): Promise<void> {
    return this.lock.idle();
  }

  /** Takes no more changes; waits for those in progress. Call before the shards drain. */
  async close(): Promise<void> {
    this.closed = true;
    await this.lock.idle();
  }

  /** After the shards have drained: ends every session worker. */
  async release(): Promise<void> {
    await Promise.all([...this.models.values()].flatMap((m) => [...m.versions.values()].map((v) => v.pool?.close())));
  }

  private get shards(): ShardThread[] {
    return this.shardSet?.all() ?? [];
  }

  private async applyNow(plan: ModelPlan): Promise<void> {
    if (this.closed) return;
    const current = this.models.get(plan.name);
    if (current && plan.revision !== 0 && plan.revision <= current.revision) return;
    const next = new Map<string, ServedVersion>();
    const fresh = new Set<ServedVersion>();
    await Promise.all(
      plan.versions.map(async (pv) => {
        const existing = current?.versions.get(pv.version);
        if (existing && existing.lowPriority === pv.lowPriority) return void next.set(pv.version, existing);
        const loaded = await this.load(plan.name, pv);
        if (!loaded) return;
        next.set(pv.version, loaded);
        fresh.add(loaded);
      }),
    );
    const missing = plan.policy.variants.filter((v) => v.weight > 0 && !next.has(v.version));
    if (missing.length > 0) {
      this.log.error('traffic change not applied: a version taking traffic failed to load; previous policy kept', { model: plan.name, revision: plan.revision, versions: missing.map((v) => v.version) });
      return this.discard(fresh);
    }
    const policy: ResolvedPolicy = {
      ...plan.policy,
      variants: plan.policy.variants.filter((v) => next.has(v.version)),
      shadows: plan.policy.shadows.filter((s) => next.has(s.version)),
    };
    const versions = [...next.values()];
    if (!(await this.prepareAll(plan.name, plan.revision, policy, versions, fresh))) return this.discard(fresh);
    // A shard that dies meanwhile is not waited for: its replacement is brought up to this state before it listens.
    await Promise.all(this.shards.map((shard) => shard.request({ kind: 'commit', model: plan.name, revision: plan.revision }).catch(ignoreGone)));
    if (versions.length === 0) this.models.delete(plan.name);
    else this.models.set(plan.name, { revision: plan.revision, policy, versions: next });
    for (const v of fresh) this.countInstances(v, 1);
    const retired = current ? [...current.versions.values()].filter((v) => next.get(v.manifest.version) !== v) : [];
    for (const v of retired) this.countInstances(v, -1);
    await Promise.all(retired.map((v) => v.pool?.close()));
    this.metrics.policyApplied(plan.name, versions.length === 0 ? undefined : policy);
    this.log.info('traffic policy applied', { model: plan.name, revision: plan.revision, variants: policy.variants, shadows: policy.shadows });
    if (retired.length > 0) this.log.info('model versions unloaded', { model: plan.name, versions: retired.map((v) => v.manifest.version) });
  }

  /** Prepares the change on each shard in turn; on a failure of a live version, aborts it everywhere. */
  private async prepareAll(name: string, revision: number, policy: ResolvedPolicy, versions: ServedVersion[], fresh: ReadonlySet<ServedVersion>): Promise<boolean> {
    const prepared: ShardThread[] = [];
    for (const shard of this.shards) {
      const result = await this.prepareOn(shard, this.change(name, revision, policy, versions, fresh)).catch(ignoreGone);
      if (!result) continue;
      prepared.push(shard);
      const live = result.failed.filter((f) => policy.variants.some((v) => v.version === f.version && v.weight > 0));
      if (live.length > 0) {
        this.log.error('traffic change not applied: a shard could not load a version taking traffic; previous policy kept', { model: name, revision, shard: shard.index, failed: live });
        await Promise.all(prepared.map((s) => s.request({ kind: 'abort', model: name, revision }).catch(ignoreGone)));
        return false;
      }
    }
    return true;
  }

  private prepareOn(shard: ShardThread, change: ModelChange): Promise<PrepareResult> {
    const request: ShardRequest = { kind: 'prepare', change };
    const transfer: Transferable[] = change.versions.flatMap((v) => (v.load?.mode === 'pool' ? (v.load.ports as MessagePort[]) : []));
    return shard.request<PrepareResult>(request, transfer);
  }

  /** The change as one shard receives it: what it already holds by key, the rest with its load (pool ports are per shard). */
  private change(name: string, revision: number, policy: ResolvedPolicy, versions: ServedVersion[], fresh: ReadonlySet<ServedVersion>): ModelChange {
    return {
      name,
      revision,
      policy,
      versions: versions.map((v): VersionEntry => {
        const entry: VersionEntry = { key: v.key, manifest: v.manifest, provider: v.provider, lowPriority: v.lowPriority };
        if (fresh.has(v)) entry.load = v.pool ? { mode: 'pool', ports: v.pool.connect() } : { mode: 'inline', model: v.model! };
        return entry;
      }),
    };
  }

  /** Loads a version on one session worker; returns it with its execution mode decided, or refuses it. */
  private async load(name: string, pv: PlannedVersion): Promise<ServedVersion | undefined> {
    let pool: SessionPool | undefined;
    try {
      const loaded = await pv.load();
      const manifest = applyOverrides(loaded.manifest, this.overrides);
      const key = `${name}/${pv.version}#${++this.loads}`;
      pool = await SessionPool.open(
        {
          model: loaded.model,
          providers: manifest.execution.providers,
          intraOpThreads: manifest.execution.intra_op_threads,
          lowPriority: pv.lowPriority,
          warmup: warmupTask(manifest, Math.max(1, manifest.batching.max_batch_size)),
        },
        { workerCrashed: () => this.workerCrashed(name, pv.version), replaced: (slot) => this.reconnect(key, slot) },
      );
      const { provider, dropped, runMs } = pool.description;
      for (const d of dropped) this.log.warn('execution provider unavailable, falling back', { model: name, version: pv.version, provider: d.provider, fallback: provider, reason: d.reason });
      checkNames(manifest, pool.description.inputNames, pool.description.outputNames);
      const mode = executionMode(manifest.execution.mode, provider, pv.lowPriority, runMs);
      const served: ServedVersion = { key, manifest, provider, lowPriority: pv.lowPriority, mode };
      if (mode === 'pool') {
        await pool.grow(manifest.execution.instances);
        served.pool = pool;
      } else {
        await pool.close();
        served.model = loaded.model;
      }
      this.refused.delete(`${name}/${pv.version}`);
      const instances = mode === 'pool' ? manifest.execution.instances : this.shards.length;
      this.log.info('model version ready', { model: name, version: pv.version, provider, mode, instances, run_ms: Number(runMs.toFixed(3)), max_batch_size: manifest.batching.max_batch_size });
      return served;
    } catch (err) {
      await pool?.close();
      const reason = err instanceof Error ? err.message : String(err);
      this.log.error('model version failed to load', { model: name, version: pv.version, reason });
      this.refuse(name, pv.version, reason);
      return undefined;
    }
  }

  private async discard(fresh: ReadonlySet<ServedVersion>): Promise<void> {
    await Promise.all([...fresh].map((v) => v.pool?.close()));
  }

  private countInstances(v: ServedVersion, sign: 1 | -1): void {
    const instances = v.pool ? v.pool.instances : this.shards.length;
    this.metrics.instancesChanged(v.manifest.name, v.manifest.version, v.provider, v.mode, sign * instances);
  }

  private workerCrashed(name: string, version: string): void {
    this.metrics.workerCrashed(name, version);
    this.log.error('session worker thread died; its batches failed (retry); replacing it', { model: name, version });
  }

  /** A pool worker was replaced: every shard holding that load connects to it. */
  private reconnect(key: string, slot: number): void {
    const pool = [...this.models.values()].flatMap((m) => [...m.versions.values()]).find((v) => v.key === key)?.pool;
    if (!pool) return;
    for (const shard of this.shards) {
      const port = pool.connectSlot(slot);
      void shard.request({ kind: 'pool-port', key, slot, port }, [port]).catch(() => undefined);
    }
  }

  private async sendRefused(): Promise<void> {
    const entries = [...this.refused.values()];
    await Promise.all(this.shards.map((shard) => shard.request({ kind: 'refused', entries }).catch(() => undefined)));
  }
}

/** A request to a shard that died meanwhile: nothing to wait for (its replacement starts from the served state). */
function ignoreGone(err: unknown): undefined {
  if (err instanceof SwitchyardError && err.code === 'SY_ERR_SHUTTING_DOWN') return undefined;
  throw err;
}

function checkNames(manifest: ModelManifest, inputNames: string[], outputNames: string[]): void {
  for (const [kind, declared, actual] of [
    ['input', manifest.inputs.map((s) => s.name), inputNames],
    ['output', manifest.outputs.map((s) => s.name), outputNames],
  ] as const) {
    const missing = declared.filter((n) => !actual.includes(n));
    if (missing.length > 0) {
      throw new SwitchyardError('SY_ERR_MODEL_NOT_READY', `manifest declares ${kind} ${missing.map((n) => `'${n}'`).join(', ')} but the ONNX graph's ${kind}s are ${actual.map((n) => `'${n}'`).join(', ')}`);
    }
  }
}
