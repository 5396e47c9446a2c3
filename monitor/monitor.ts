/**
 * The monitor sidecar as a list of components: profile source and cache, version table, label
 * join store and the training rows it feeds, policy engine and webhook sender, record processor
 * fed by the gRPC and/or Redis Streams ingest, the evaluation tick, the status/metrics HTTP
 * server. `start` brings them up in that order; `close` stops the ingest first, lets records in
 * hand be processed, evaluates once more, drains webhook deliveries, and closes the HTTP port last.
 */
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../runtime/process-metrics.js';
import { createLogger, type Logger } from '../runtime/log.js';
import { monitorConfig, type MonitorConfig, type MonitorConfigInput } from './config.js';
import { WindowEvaluator } from './evaluation/window-evaluator.js';
import { GrpcIngest } from './ingest/grpc-ingest.js';
import type { RecordSink } from './ingest/record-sink.js';
import { RedisStreamIngest } from './ingest/redis-stream-ingest.js';
import { LabelJoinStore } from './labels/label-join-store.js';
import { TrainingRows } from './labels/training-rows.js';
import { MonitorEventMetrics } from './metrics/event-metrics.js';
import { registerWindowMetrics } from './metrics/window-metrics.js';
import type { LabeledDataset } from '../models/training/dataset.js';
import { PolicyEngine } from './policies/policy-engine.js';
import { ProfileCache } from './profiles/profile-cache.js';
import { DirectoryProfileSource, RegistryProfileSource, type ProfileSource } from './profiles/profile-source.js';
import { monitorStatus, type MonitorStatus } from './status/status-view.js';
import { StatusServer } from './status/status-server.js';
import { RecordProcessor, type StoredPrediction } from './tracking/record-processor.js';
import { VersionTable } from './tracking/version-table.js';
import { RetrainNotifier } from './webhooks/retrain-notifier.js';
import { WebhookSender } from './webhooks/webhook-sender.js';

export interface MonitorPorts {
  http: number;
  /** null when gRPC ingest is off. */
  grpc: number | null;
}

interface Components {
  readonly versions: VersionTable;
  readonly labels: LabelJoinStore<StoredPrediction>;
  readonly trainingRows: TrainingRows;
  readonly profiles: ProfileCache;
  readonly policies: PolicyEngine;
  readonly evaluator: WindowEvaluator;
  readonly notifier: RetrainNotifier;
  readonly log: Logger;
}

export class Monitor {
  private closing: Promise<void> | undefined;
  private grpc: GrpcIngest | undefined;
  private redis: RedisStreamIngest | undefined;
  private statusServer: StatusServer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private boundPorts: MonitorPorts = { http: 0, grpc: null };

  private constructor(
    readonly config: Readonly<MonitorConfig>,
    readonly registry: Registry,
    /** The record sink both transports feed (tests may hand it batches directly). */
    readonly sink: RecordSink,
    private readonly parts: Components,
  ) {}

  static async start(input: MonitorConfigInput = {}, log: Logger = createLogger({ component: 'monitor' })): Promise<Monitor> {
    const config = monitorConfig(input);
    const registry = new Registry();
    collectProcessMetrics(registry);
    const events = new MonitorEventMetrics(registry);
    const source: ProfileSource | undefined = config.registryUrl
      ? new RegistryProfileSource(config.registryUrl, config.registryToken)
      : config.repository
        ? new DirectoryProfileSource(config.repository)
        : undefined;
    const profiles = new ProfileCache(source, config.profileRetryMs, log);
    const notifier = new RetrainNotifier(new WebhookSender(config.webhooks, events, log), config.webhooks.urls.length, log);
    const policies = new PolicyEngine(
      config.policies,
      {
        triggerFired: (trigger) => {
          events.triggerFired(trigger);
          notifier.notify(trigger);
        },
        triggerSuppressed: (model, condition) => events.triggerSuppressed(model, condition),
      },
      config.triggerHistory,
    );
    const trainingRows = new TrainingRows(config.labels.trainingRows, events);
    const versions = new VersionTable(config.maxVersions, config.versionIdleMs, (state) => {
      policies.forget(state.model, state.version);
      profiles.forget(state.model, state.version);
      // a model's rows go with its last tracked version, so their memory is bounded by maxVersions
      if (![...versions.all()].some((s) => s.model === state.model)) trainingRows.forget(state.model);
      log.info('version idle, forgotten', { model: state.model, version: state.version });
    });
    const labels = new LabelJoinStore<StoredPrediction>(config.labels, events);
    const evaluator = new WindowEvaluator(config, versions, policies, log, Date.now());
    const sink = new RecordProcessor({ config, versions, profiles, labels, trainingRows, windows: evaluator, events, log });
    registerWindowMetrics(registry, () => versions.all(), () => ({ predictions: labels.predictions, earlyLabels: labels.earlyLabels }), () => trainingRows.sizes());
    const monitor = new Monitor(config, registry, sink, { versions, labels, trainingRows, profiles, policies, evaluator, notifier, log });
    try {
      await monitor.open(events);
    } catch (err) {
      await monitor.close();
      throw err;
    }
    return monitor;
  }

  get ports(): MonitorPorts {
    return this.boundPorts;
  }

  /** What GET /api/v1/status answers. */
  status(nowMs: number = Date.now()): MonitorStatus {
    return monitorStatus(this.parts.versions.all(), this.parts.policies, nowMs);
  }

  /**
   * What GET /api/v1/models/{model}/labeled-data answers: the model's labelled rows, oldest
   * first, the newest `limit` of them when given, only those since the cursor `after` when given
   * (see TrainingRows); undefined when it has none. Features are named
   * by the newest row's version's reference profile when it is loaded and fits, x0..x{F-1} otherwise.
   */
  labeledData(model: string, limit?: number, after?: string): (LabeledDataset & { cursor: string }) | undefined {
    const rows = this.parts.trainingRows.snapshot(model, limit, after);
    if (!rows) return undefined;
    const profile = this.parts.profiles.status(model, rows.version);
    const profiled = profile?.state === 'loaded' ? Object.keys(profile.profile.features) : [];
    const featureNames = profiled.length === rows.columns ? profiled : Array.from({ length: rows.columns }, (_, j) => `x${j}`);
    return { featureNames, rows: rows.rows, features: rows.features, labels: rows.labels, cursor: rows.cursor };
  }

  /** Refreshes every window now (the periodic tick does it every evaluateIntervalMs); expires labels and idle versions. */
  evaluate(nowMs: number = Date.now()): void {
    this.parts.evaluator.tick(nowMs);
    this.parts.labels.expire(nowMs);
    this.parts.versions.forgetIdle(nowMs);
  }

  /** Resolves when every webhook delivery started so far has ended (delivered, failed or abandoned). */
  webhooksSettled(): Promise<void> {
    return this.parts.notifier.settled();
  }

  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async open(events: MonitorEventMetrics): Promise<void> {
    const { config, sink, parts } = this;
    this.statusServer = new StatusServer(
      this.registry,
      () => this.status(),
      (model, limit, after) => this.labeledData(model, limit, after),
      () => this.closing === undefined,
    );
    const http = await this.statusServer.listen(config.host, config.httpPort);
    let grpc: number | null = null;
    if (config.grpcPort !== null) {
      this.grpc = new GrpcIngest(sink, events, parts.log, config.maxMessageBytes);
      grpc = await this.grpc.listen(config.host, config.grpcPort);
    }
    if (config.redis) {
      this.redis = new RedisStreamIngest(config.redis, sink, events, parts.log);
      await this.redis.start();
    }
    this.boundPorts = { http, grpc };
    this.timer = setInterval(() => this.evaluate(), config.evaluateIntervalMs);
    this.timer.unref();
    parts.log.info('monitor ready', {
      host: config.host,
      http,
      grpc,
      redis: config.redis ? { stream: config.redis.stream, group: config.redis.group, consumer: config.redis.consumer } : null,
      profiles: config.registryUrl ?? config.repository ?? null,
      policies: config.policies.map((p) => p.model),
      webhooks: config.webhooks.urls.length,
    });
  }

  private async drain(): Promise<void> {
    const { log, notifier } = this.parts;
    log.info('monitor draining');
    clearInterval(this.timer);
    await Promise.all([this.grpc?.close(), this.redis?.close()]);
    this.evaluate();
    await notifier.close();
    await this.statusServer?.close();
    log.info('monitor stopped');
  }
}
