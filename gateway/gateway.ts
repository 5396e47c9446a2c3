/**
 * The gateway process as a list of components: models loaded from the
 * repository, the inference service, HTTP and gRPC transports, /metrics.
 * `start` brings them up in that order; `close` drains them in reverse.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createLogger, type Logger } from '../runtime/log.js';
import { MetricsServer } from '../runtime/metrics-server.js';
import { applyOverrides, gatewayConfig, type GatewayConfig } from './config.js';
import { GrpcTransport } from './grpc/server.js';
import { HttpTransport } from './http/server.js';
import { ModelCatalog } from './inference/model-catalog.js';
import { ModelVersion } from './inference/model-version.js';
import { GatewayService } from './inference/service.js';
import { GatewayMetrics } from './metrics.js';
import { readRepository } from './model-repository.js';
import { SERVER_VERSION } from '../runtime/version.js';

export interface GatewayPorts {
  http: number;
  grpc: number;
  metrics: number;
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
    private readonly log: Logger,
  ) {}

  static async start(input: Partial<GatewayConfig> & { repository: string }, log: Logger = createLogger({ component: 'gateway' })): Promise<Gateway> {
    const config = gatewayConfig(input);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const events = new GatewayMetrics(registry);
    const catalog = new ModelCatalog();

    const { loaded, refused } = await readRepository(config.repository);
    for (const r of refused) {
      log.error('model version refused', { model: r.name, version: r.version, reason: r.reason });
      catalog.refuse(r.name, r.version, r.reason);
    }
    await Promise.all(
      loaded.map(async ({ manifest, model }) => {
        const mv = new ModelVersion({ manifest: applyOverrides(manifest, config.overrides), model, pipelineDepth: config.pipelineDepth, events, log });
        try {
          await mv.start();
          catalog.add(mv);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          log.error('model version failed to load', { model: manifest.name, version: manifest.version, reason });
          catalog.refuse(manifest.name, manifest.version, reason);
          await mv.close();
        }
      }),
    );

    const service = new GatewayService(catalog, events, SERVER_VERSION);
    const http = new HttpTransport({ service, maxBodyBytes: config.maxBodyBytes });
    const grpc = new GrpcTransport({ service, maxMessageBytes: config.maxBodyBytes });
    const metricsServer = new MetricsServer(registry);
    const ports = {
      http: await http.listen(config.host, config.httpPort),
      grpc: await grpc.listen(config.host, config.grpcPort),
      metrics: await metricsServer.listen(config.host, config.metricsPort),
    };
    service.open();
    log.info('gateway ready', { host: config.host, ...ports, models: catalog.entries() });
    return new Gateway(config, ports, catalog, registry, service, http, grpc, metricsServer, log);
  }

  /** Graceful: readiness off, refuse new requests, answer every accepted one, then close everything. */
  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    this.log.info('gateway draining');
    this.service.beginShutdown();
    await Promise.all(this.catalog.all().map((mv) => mv.close()));
    await Promise.all([this.http.close(), this.grpc.close()]);
    await this.metricsServer.close();
    this.log.info('gateway stopped');
  }
}
