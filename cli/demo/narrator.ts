/**
 * Watches the running stack while the demo replays and tells what happens, once per change:
 * drift flagged by the monitor, the retraining webhook it fired, the registry's training job and
 * its verdict, each rollout move, promotion or roll-back. Reads only public APIs: the monitor's
 * status, the registry's jobs and rollout.
 */
import type { StackUrls } from '../stack.js';

export interface DemoEvent {
  event: string;
  message: string;
  [detail: string]: unknown;
}

export type EventSink = (event: DemoEvent) => void;

interface JobView {
  id: string;
  state: string;
  triggers?: string[];
  result?: { version?: string; canary?: boolean; canary_reason?: string; metrics?: Record<string, number> };
  error?: string;
}

interface RolloutView {
  version?: string;
  canary?: string;
  state: string;
  weight?: number;
  reason?: string;
}

const pct = (x: unknown): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)} %` : 'n/a');

export class Narrator {
  private readonly seen = new Set<string>();
  private readonly jobStates = new Map<string, string>();
  private rolloutKey = '';
  /** The outcome of the latest finished rollout, if any. */
  outcome: 'promoted' | 'rolled_back' | undefined;

  constructor(
    private readonly urls: StackUrls,
    private readonly token: string,
    private readonly model: string,
    private readonly emit: EventSink,
  ) {}

  /** One look at every source, in the loop's order, so that causes are told before effects; `day` dates what is told. */
  async look(day: string): Promise<void> {
    await this.monitor(day);
    await this.jobs(day);
    await this.rollout(day);
  }

  private async get<T>(url: string): Promise<T | undefined> {
    const res = await fetch(url, { headers: { Authorization: `Bearer ${this.token}` } }).catch(() => undefined);
    if (!res?.ok) {
      await res?.body?.cancel();
      return undefined;
    }
    return (await res.json()) as T;
  }

  private once(key: string, event: DemoEvent): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.emit(event);
  }

  private async monitor(day: string): Promise<void> {
    const status = await this.get<any>(`${this.urls.monitor}/api/v1/status`);
    if (!status) return;
    for (const [version, v] of Object.entries<any>(status.models?.[this.model]?.versions ?? {})) {
      const window = v.drift?.count;
      if (window?.dataset_drift) {
        const features = Object.entries<any>(window.features ?? {}).filter(([, f]) => f.drift).map(([name]) => name);
        this.once(`drift:${version}`, { event: 'drift_detected', day, version, features, share: window.share, message: `the monitor flags drift on v${version}'s inputs: ${features.join(', ')} (${window.drifted_features} of ${window.compared_features} features, ${window.samples} rows)` });
      }
    }
    for (const t of status.triggers ?? []) {
      if (t.model !== this.model) continue;
      this.once(`trigger:${t.id}`, { event: 'retrain_webhook', day, trigger: t.id, version: t.version, condition: t.condition, message: `policy breached on v${t.version} (${t.condition?.metric} ${t.condition?.op} ${t.condition?.threshold}): signed retraining webhook ${t.id} sent to the registry` });
    }
  }

  private async jobs(day: string): Promise<void> {
    const body = await this.get<{ jobs: JobView[] }>(`${this.urls.registry}/api/v1/jobs?model=${encodeURIComponent(this.model)}`);
    for (const job of body?.jobs ?? []) {
      if (this.jobStates.get(job.id) === job.state) continue;
      this.jobStates.set(job.id, job.state);
      const m = job.result?.metrics ?? {};
      const message =
        job.state === 'succeeded'
          ? `job ${job.id} registered v${job.result?.version}: holdout accuracy ${pct(m.holdout_accuracy)} vs stable's ${pct(m.stable_holdout_accuracy)} — ${job.result?.canary ? 'it becomes the canary' : `no traffic: ${job.result?.canary_reason}`}`
          : job.state === 'failed'
            ? `job ${job.id} failed: ${job.error}`
            : `training job ${job.id} ${job.state} (triggers: ${(job.triggers ?? []).join(', ')})`;
      this.emit({ event: `job_${job.state}`, day, job: job.id, ...(job.result ? { result: job.result } : {}), ...(job.error ? { error: job.error } : {}), message });
    }
  }

  /** The registry's audit log of the model: every change the loop made, by whom and why. */
  async audit(): Promise<void> {
    const page = await this.get<{ records: { seq: number; actor: string; action: string; version?: string; alias?: string; note?: string }[] }>(`${this.urls.registry}/api/v1/audit?model=${encodeURIComponent(this.model)}&limit=1000`);
    const records = (page?.records ?? []).map(({ seq, actor, action, version, alias, note }) => ({ seq, actor, action, version, alias, note }));
    const told = records.map((r) => `  #${r.seq} ${r.actor}: ${r.action}${r.alias ? ` ${r.alias}` : ''}${r.version ? ` v${r.version}` : ''}${r.note ? ` — ${r.note}` : ''}`);
    this.emit({ event: 'audit', records, message: `the registry's audit log for ${this.model} (${records.length} changes):\n${told.join('\n')}` });
  }

  private async rollout(day: string): Promise<void> {
    const r = await this.get<RolloutView>(`${this.urls.registry}/api/v1/models/${encodeURIComponent(this.model)}/rollout`);
    if (!r) return;
    const version = r.canary ?? r.version;
    const key = `${version}:${r.state}:${r.weight}`;
    if (key === this.rolloutKey) return;
    this.rolloutKey = key;
    if (r.state === 'promoted' || r.state === 'rolled_back') this.outcome = r.state;
    const message =
      r.state === 'promoted'
        ? `v${version} promoted to stable: it now takes all traffic`
        : r.state === 'rolled_back'
          ? `v${version} rolled back: ${r.reason ?? 'a guard failed'}; stable takes all traffic`
          : `rollout of v${version}: ${r.state}, canary weight ${r.weight} %`;
    this.emit({ event: `rollout_${r.state}`, day, version, weight: r.weight, ...(r.reason ? { reason: r.reason } : {}), message });
  }
}
