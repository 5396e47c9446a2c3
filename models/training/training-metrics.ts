/** The training runner's Prometheus series, on the registry's metrics registry. The queue gauge is read at scrape time. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { QueueEvents } from './job-queue.js';

export type WebhookOutcome = 'accepted' | 'duplicate' | 'refused';

export class TrainingMetrics implements QueueEvents {
  private readonly jobs: Counter<'model' | 'outcome'>;
  private readonly duration: Histogram<'model'>;
  private readonly webhooks: Counter<'outcome'>;

  constructor(registry: Registry, queued: () => number) {
    const registers = [registry];
    this.jobs = new Counter({ name: 'switchyard_training_jobs_total', help: 'Training jobs finished, by model and outcome (succeeded, failed).', labelNames: ['model', 'outcome'], registers });
    this.duration = new Histogram({
      name: 'switchyard_training_job_duration_seconds',
      help: 'Time from a training job starting to it ending (data, training, evaluation, registration).',
      labelNames: ['model'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    });
    this.webhooks = new Counter({ name: 'switchyard_retrain_webhooks_total', help: 'Retraining webhooks received: accepted (queued or joined a job), duplicate (a delivery id seen before), refused (bad signature, unknown model, not configured).', labelNames: ['outcome'], registers });
    for (const outcome of ['accepted', 'duplicate', 'refused']) this.webhooks.inc({ outcome }, 0);
    new Gauge({ name: 'switchyard_training_jobs_queued', help: 'Training jobs waiting to start.', registers, collect() { this.set(queued()); } });
  }

  jobFinished(model: string, outcome: 'succeeded' | 'failed', seconds: number): void {
    this.jobs.inc({ model, outcome });
    this.duration.observe({ model }, seconds);
  }

  webhook(outcome: WebhookOutcome): void {
    this.webhooks.inc({ outcome });
  }
}
