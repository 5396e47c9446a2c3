/**
 * The gateway process as a list of components: the model catalog fed by a
 * repository directory or the registry (plus Redis fan-out), the inference
 * service, HTTP and gRPC transports, /metrics. `start` brings them up in that
 * order; `close` drains them in reverse.
 */
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../runtime/process-metrics.js';
import type { ModelView } from '../models/registry/views.js';
import { ChangeSubscriber } from '../runtime/change-channel.js';
import { createLogger, type Logger } from '../runtime/log.js';
import { MetricsServer } from '../runtime/metrics-server.js';
import { SERVER_VERSION } from '../runtime/version.js';
import { applyOverrides, gatewayConfig, type GatewayConfig } from './config.js';
import { GrpcTransport } from './grpc/server.js';
import { HttpTransport } from './http/server.js';
import { ModelCatalog } from './inference/model-catalog.js';
import { ModelVersion } from './inference/model-version.js';
import { GatewayService } from './inference/service.js';
import { GatewayMetrics } from './metrics.js';
import { readRepository, type LoadedVersion } from './model-repository.js';
import { directoryPlan } from './routing/model-plan.js';
import { ShadowMirror } from './routing/shadow-mirror.js';
import { RegistryClient } from './sources/registry-client.js';
import { RegistryFollower } from './sources/registry-follower.js';
import { InputBudget } from './publishing/input-budget.js';
import { PredictionRecorder } from './publishing/prediction-recorder.js';
import { PUBLISHER_DEFAULTS, RecordPublisher } from './publishing/record-publisher.js';
import { SinkThread } from './publishing/sink-thread.js';

export interface GatewayPorts {
  http: number;
  grpc: number;
  metrics: number;
}

/** Where models come from and where records go: started before the transports, closed after them. */
interface ModelSource {
  close(): Promise<void>;
}

export class Gateway {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly config: Readonly<GatewayConfig>,
    readonly ports: GatewayPorts,
    readonly catalog: ModelCatalog,
    readonly registry: Registry,
    private readonly service: GatewayService,
    private readonly http: HttpTransport,
    private readonly grpc: GrpcTransport,
    private readonly metricsServer: MetricsServer,
    private readonly sources: ModelSource[],
    private readonly log: Logger,
  ) {}

  static async start(input: Partial<GatewayConfig>, log: Logger = createLogger({ component: 'gateway' })): Promise<Gateway> {
    const config = gatewayConfig(input);
    const registry = new Registry();
    collectProcessMetrics(registry);
    const events = new GatewayMetrics(registry);
    const publisher = recordPublisher(config, events, log);
    const recorder = publisher && new PredictionRecorder(publisher, config.recordInputsRate, new InputBudget(config.recordInputsPerSecond), (n) => events.recordInputsOverBudget(n));
    const createVersion = ({ manifest, model }: LoadedVersion, lowPriority: boolean): ModelVersion =>
      new ModelVersion({ manifest: applyOverrides(manifest, config.overrides), model, pipelineDepth: config.pipelineDepth, lowPriority, events, recorder, log });
    const catalog = new ModelCatalog(createVersion, events, log);
    const sources = config.registryUrl ? await followRegistry(config, catalog, log) : await serveDirectory(config.repository!, catalog, log);
    if (publisher) sources.push(publisher);
    const service = new GatewayService(catalog, new ShadowMirror(config.shadowMaxInflight, events), events, SERVER_VERSION, recorder);
    const http = new HttpTransport({ service, maxBodyBytes: config.maxBodyBytes });
    const grpc = new GrpcTransport({ service, maxMessageBytes: config.maxBodyBytes });
    const metricsServer = new MetricsServer(registry);
    const ports = {
      http: await http.listen(config.host, config.httpPort),
      grpc: await grpc.listen(config.host, config.grpcPort),
      metrics: await metricsServer.listen(config.host, config.metricsPort),
    };
    service.open();
    log.info('gateway ready', { host: config.host, ...ports, source: config.registryUrl ?? config.repository, models: catalog.entries() });
    return new Gateway(config, ports, catalog, registry, service, http, grpc, metricsServer, sources, log);
  }

  /** Graceful: readiness off, refuse new requests, answer every accepted one, then close everything. */
  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    this.log.info('gateway draining');
    this.service.beginShutdown();
    await this.catalog.close();
    await Promise.all([this.http.close(), this.grpc.close()]);
    // After the last answer, so its record is still published.
    await Promise.all(this.sources.map((s) => s.close()));
    await this.metricsServer.close();
    this.log.info('gateway stopped');
  }
}

function recordPublisher(config: Readonly<GatewayConfig>, events: GatewayMetrics, log: Logger): RecordPublisher | undefined {
  const sink = config.monitorAddress
    ? new SinkThread({ kind: 'grpc', address: config.monitorAddress })
    : config.recordsRedisUrl
      ? new SinkThread({ kind: 'redis', url: config.recordsRedisUrl, maxLength: config.recordStreamMaxLength })
      : undefined;
  return sink && new RecordPublisher(sink, PUBLISHER_DEFAULTS, events, log);
}

/** A plain directory: every version found is served, the newest takes the traffic. */
async function serveDirectory(dir: string, catalog: ModelCatalog, log: Logger): Promise<ModelSource[]> {
  const { loaded, refused } = await readRepository(dir);
  for (const r of refused) {
    log.error('model version refused', { model: r.name, version: r.version, reason: r.reason });
    catalog.refuse(r.name, r.version, r.reason);
  }
  const byModel = new Map<string, LoadedVersion[]>();
  for (const v of loaded) byModel.set(v.manifest.name, [...(byModel.get(v.manifest.name) ?? []), v]);
  await Promise.all([...byModel].map(([name, versions]) => catalog.apply(directoryPlan(name, versions))));
  return [];
}

/** The registry's watch stream, and with Redis its pub/sub fan-out too; both feed the same idempotent apply. */
async function followRegistry(config: Readonly<GatewayConfig>, catalog: ModelCatalog, log: Logger): Promise<ModelSource[]> {
  const follower = new RegistryFollower(new RegistryClient(config.registryUrl!, config.registryToken), catalog, log);
  const sources: ModelSource[] = [{ close: async () => follower.close() }];
  if (config.redisUrl) {
    const subscriber = new ChangeSubscriber(config.redisUrl, (message) => void follower.apply((message as { model: ModelView }).model, 'redis'), log);
    subscriber.start();
    sources.push(subscriber);
  }
  await follower.start();
  return sources;
}
