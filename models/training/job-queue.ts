/**
 * One training job per model at a time, a bounded number overall (training is CPU-heavy; one by
 * default). A trigger for a model whose job is queued and not started joins that job (its trigger
 * list grows); while a job runs and none is queued, a trigger queues exactly one follow-up — so
 * any number of triggers during a run cause at most one more job, which will see their data.
 *
 * Every job ends `succeeded` or `failed`: whatever the run throws becomes the job's error.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { Logger } from '../../runtime/log.js';
import { SerialQueue } from '../registry/serial-queue.js';
import type { JobRecord, JobResult, JobStore } from './job-store.js';

/** Runs a job that is now `running`; `signal` aborts when the registry shuts down. */
export type JobRunner = (job: JobRecord, signal: AbortSignal) => Promise<JobResult>;

/** A job that failed after registering something: the result is kept on the failed job. */
export class JobFailure extends Error {
  override name = 'JobFailure';
  constructor(
    message: string,
    readonly result: JobResult,
  ) {
    super(message);
  }
}

export interface QueueEvents {
  jobFinished(model: string, outcome: 'succeeded' | 'failed', seconds: number): void;
}

export interface Submission {
  job: JobRecord;
  /** True when the trigger joined a job that was already queued. */
  coalesced: boolean;
}

export class JobQueue {
  private readonly submits = new SerialQueue();
  /** Queued job ids, oldest first. */
  private readonly order: string[] = [];
  private readonly queuedByModel = new Map<string, string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: JobStore,
    private readonly run: JobRunner,
    private readonly concurrency: number,
    private readonly events: QueueEvents,
    private readonly log: Logger,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`training concurrency must be an integer >= 1, got ${concurrency}`);
  }

  /** Queues jobs found `queued` on disk at start (oldest first). */
  restore(jobs: readonly JobRecord[]): void {
    for (const job of jobs) {
      this.order.push(job.id);
      this.queuedByModel.set(job.model, job.id);
      this.store.appendLog(job.id, 'queued again after a registry restart');
    }
    this.pump();
  }

  submit(model: string, trigger: string, dataset?: string): Promise<Submission> {
    return this.submits.run(async () => {
      if (this.stopping.signal.aborted) throw new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'the registry is shutting down; retry against its replacement');
      const queuedId = this.queuedByModel.get(model);
      if (queuedId !== undefined) {
        // Synchronous up to the first await: the job cannot start between the check and the change.
        const current = this.store.get(queuedId);
        const pending = this.store.update(queuedId, { triggers: [...current.triggers, trigger], ...(dataset !== undefined ? { dataset } : {}) });
        this.store.appendLog(queuedId, `trigger ${trigger} joined the queued job${dataset !== undefined ? ` (dataset ${dataset})` : ''}`);
        return { job: await pending, coalesced: true };
      }
      const job = await this.store.create(model, trigger, dataset);
      this.store.appendLog(job.id, `queued by ${trigger}${dataset !== undefined ? ` (dataset ${dataset})` : ''}${this.running.has(model) ? '; it starts when the running job of this model ends' : ''}`);
      this.order.push(job.id);
      this.queuedByModel.set(model, job.id);
      this.pump();
      return { job: this.store.get(job.id), coalesced: false };
    });
  }

  get queued(): number {
    return this.order.length;
  }

  get active(): number {
    return this.running.size;
  }

  /**
   * Starts no new job; aborts the running ones and waits up to `drainMs` for them to end. A job
   * still running then stays `running` on disk and is marked failed by the next start.
   */
  async close(drainMs: number): Promise<void> {
    this.stopping.abort();
    await this.submits.idle();
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running.values()]), new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))]);
    clearTimeout(timer);
  }

  private pump(): void {
    for (let i = 0; i < this.order.length && this.running.size < this.concurrency && !this.stopping.signal.aborted; ) {
      const id = this.order[i]!;
      const model = this.store.get(id).model;
      if (this.running.has(model)) {
        i++;
        continue;
      }
      this.order.splice(i, 1);
      if (this.queuedByModel.get(model) === id) this.queuedByModel.delete(model);
      const done = this.execute(id).finally(() => {
        this.running.delete(model);
        this.pump();
      });
      this.running.set(model, done);
    }
  }

  private async execute(id: string): Promise<void> {
    const started = Date.now();
    let outcome: 'succeeded' | 'failed' = 'failed';
    const model = this.store.get(id).model;
    try {
      const job = await this.store.update(id, { state: 'running', started_at: new Date(started).toISOString() });
      this.store.appendLog(id, `started (triggers: ${job.triggers.join(', ')})`);
      this.log.info('training job started', { job: id, model, triggers: job.triggers });
      const result = await this.run(job, this.stopping.signal);
      await this.store.update(id, { state: 'succeeded', result, finished_at: new Date().toISOString() });
      outcome = 'succeeded';
      this.store.appendLog(id, `succeeded: ${result.version ? `version ${result.version}` : 'no version'}; ${result.canary ? 'canary started' : `not a canary: ${result.canary_reason}`}`);
      this.log.info('training job succeeded', { job: id, model, version: result.version, canary: result.canary, reason: result.canary_reason });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.store.appendLog(id, `failed: ${message}`);
      this.log.warn('training job failed', { job: id, model, error: message });
      try {
        await this.store.update(id, { state: 'failed', error: message, finished_at: new Date().toISOString(), ...(err instanceof JobFailure ? { result: err.result } : {}) });
      } catch (persistErr) {
        this.log.error('cannot record a failed training job', { job: id, error: (persistErr as Error).message });
      }
    } finally {
      this.events.jobFinished(model, outcome, (Date.now() - started) / 1000);
    }
  }
}
