/**
 * The registry's training runner: the job store (recovered at start), the per-model job queue,
 * the seen webhook ids and the training metrics, behind one `start` / `close`. The registry
 * mounts its routes (training-routes.ts) and closes it before the store.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../../runtime/log.js';
import type { RegistryStore } from '../registry/store.js';
import type { CanaryStarter } from './canary-starter.js';
import { JobQueue, type Submission } from './job-queue.js';
import { JobStore } from './job-store.js';
import { SeenDeliveries } from './seen-deliveries.js';
import type { TrainingConfig } from './training-config.js';
import { trainingJobRunner } from './training-job.js';
import { TrainingMetrics } from './training-metrics.js';

export interface TrainingRunnerOptions {
  dataDir: string;
  store: RegistryStore;
  training: TrainingConfig;
  /** The monitor's base URL, for its labeled-data export. */
  monitorUrl?: string;
  /** Standard Webhooks secret (whsec_...) of retraining webhooks; without it the webhook route answers 503. */
  webhookSecret?: string;
  /** Jobs running at once, over all models. */
  concurrency: number;
  canaryStarter: CanaryStarter;
  log: Logger;
  metrics: Registry;
  /** How long `close` waits for a running job before leaving it to the next start (default 5 s). */
  drainMs?: number;
}

export class TrainingRunner {
  private constructor(
    readonly jobs: JobStore,
    readonly seen: SeenDeliveries,
    readonly metrics: TrainingMetrics,
    readonly webhookSecret: string | undefined,
    private readonly queue: JobQueue,
    private readonly store: RegistryStore,
    private readonly drainMs: number,
  ) {}

  static async start(options: TrainingRunnerOptions): Promise<TrainingRunner> {
    const { log } = options;
    const { store: jobs, queued } = await JobStore.open(options.dataDir, log);
    // No job runs yet: whatever is here was left by a registry that stopped mid-job.
    await rm(join(options.dataDir, 'training', 'work'), { recursive: true, force: true });
    const seen = await SeenDeliveries.open(options.dataDir, log);
    let queue: JobQueue | undefined;
    const metrics = new TrainingMetrics(options.metrics, () => queue?.queued ?? 0);
    const run = trainingJobRunner({
      store: options.store,
      jobs,
      config: options.training,
      dataDir: options.dataDir,
      ...(options.monitorUrl !== undefined ? { monitorUrl: options.monitorUrl } : {}),
      canaryStarter: options.canaryStarter,
    });
    queue = new JobQueue(jobs, run, options.concurrency, metrics, log);
    const runner = new TrainingRunner(jobs, seen, metrics, options.webhookSecret, queue, options.store, options.drainMs ?? 5000);
    if (!options.webhookSecret) log.info('retraining webhooks are off: no SWITCHYARD_WEBHOOK_SECRET (POST /api/v1/webhooks/retrain answers 503)');
    if (queued.length) log.info('re-queueing training jobs found queued on disk', { jobs: queued.map((j) => j.id) });
    queue.restore(queued);
    return runner;
  }

  /** Queues a job for `model` (404 for an unknown one), or adds the trigger to its queued job. */
  submit(model: string, trigger: string, dataset?: string): Promise<Submission> {
    this.store.model(model);
    return this.queue.submit(model, trigger, dataset);
  }

  get queued(): number {
    return this.queue.queued;
  }

  async close(): Promise<void> {
    await this.queue.close(this.drainMs);
    await this.jobs.close();
    await this.seen.close();
  }
}
