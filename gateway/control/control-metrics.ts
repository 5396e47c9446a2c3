/**
 * The main thread's own Prometheus series: what the control plane applied
 * (traffic weights, policy revision), where each version runs (instances by
 * provider and execution mode), and the threads it replaced. The request-path
 * series come from the shards (gateway/metrics.ts).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ExecutionMode } from '../inference/model-version.js';
import type { ResolvedPolicy } from '../routing/traffic-router.js';
import type { ShardSetObserver } from '../shards/shard-set.js';

type InstanceLabels = 'model' | 'version' | 'provider' | 'mode';

export class ControlMetrics implements ShardSetObserver {
  private readonly instances: Gauge<InstanceLabels>;
  private readonly crashes: Counter<'model' | 'version'>;
  private readonly weights: Gauge<'model' | 'version' | 'role'>;
  private readonly policyRevision: Gauge<'model'>;
  private readonly shardRestarts: Counter;
  private readonly weightSeries = new Map<string, Array<Record<'model' | 'version' | 'role', string>>>();

  constructor(registry: Registry, shards: number) {
    const registers = [registry];
    this.instances = new Gauge({ name: 'switchyard_model_instances', help: 'Sessions of each version, by the execution provider in use and where its batches run: inline (one per shard, on its loop) or pool (session worker threads).', labelNames: ['model', 'version', 'provider', 'mode'], registers });
    this.crashes = new Counter({ name: 'switchyard_worker_crashes_total', help: 'Session worker threads that died (their batches failed with 503 / UNAVAILABLE) and were replaced.', labelNames: ['model', 'version'], registers });
    this.weights = new Gauge({ name: 'switchyard_traffic_weight_percent', help: "Share of the model's live traffic each version takes under the applied policy (shadows: mirror percentage, role=shadow).", labelNames: ['model', 'version', 'role'], registers });
    this.policyRevision = new Gauge({ name: 'switchyard_traffic_policy_revision', help: "Revision of the model's traffic policy every shard of this gateway applies.", labelNames: ['model'], registers });
    this.shardRestarts = new Counter({ name: 'switchyard_shard_restarts_total', help: 'Shard threads that ended unasked and were replaced (their open connections were lost).', registers });
    new Gauge({ name: 'switchyard_shards', help: 'Shard threads serving the REST port, each with its own loop, catalog replica and sessions.', registers }).set(shards);
  }

  policyApplied(model: string, policy: ResolvedPolicy | undefined): void {
    for (const series of this.weightSeries.get(model) ?? []) this.weights.remove(series);
    const series = [
      ...(policy?.variants ?? []).map((v) => ({ labels: { model, version: v.version, role: v.role }, value: v.weight })),
      ...(policy?.shadows ?? []).map((s) => ({ labels: { model, version: s.version, role: 'shadow' }, value: s.percent })),
    ];
    for (const { labels, value } of series) this.weights.inc(labels, value);
    this.weightSeries.set(model, series.map((s) => s.labels));
    if (policy) this.policyRevision.set({ model }, policy.revision);
    else this.policyRevision.remove({ model });
  }

  /** Adds (or, negative, removes) sessions; a version being swapped can hold two loads at once. */
  instancesChanged(model: string, version: string, provider: string, mode: ExecutionMode, delta: number): void {
    const labels = { model, version, provider, mode };
    this.instances.inc(labels, delta);
  }

  workerCrashed(model: string, version: string): void {
    this.crashes.inc({ model, version });
  }

  shardRestarted(): void {
    this.shardRestarts.inc();
  }
}
