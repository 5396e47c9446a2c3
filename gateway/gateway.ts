/**
 * The gateway process. Its main thread is the control plane: it follows the
 * model source (a repository directory, or the registry plus its Redis
 * fan-out), loads each change once and applies it to every shard
 * (control/sharded-catalog), owns the session pools and the record sink's
 * thread, serves /metrics for all shards, replaces a shard that dies and
 * drains them all on close. Requests never touch it: each shard serves the
 * REST port itself (and the first one gRPC). `start` brings the parts up in
 * that order; `close` drains them in reverse.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { ModelView } from '../models/registry/views.js';
import { ChangeSubscriber } from '../runtime/change-channel.js';
import { createLogger, logLevel, type Logger } from '../runtime/log.js';
import { MetricsServer } from '../runtime/metrics-server.js';
import { collectProcessMetrics } from '../runtime/process-metrics.js';
import { gatewayConfig, type GatewayConfig } from './config.js';
import { ControlMetrics } from './control/control-metrics.js';
import { GatewayMetricsPage } from './control/metrics-page.js';
import { ShardedCatalog } from './control/sharded-catalog.js';
import { readRepository, type LoadedVersion } from './model-repository.js';
import { SinkThread, type SinkSpec } from './publishing/sink-thread.js';
import { directoryPlan } from './routing/model-plan.js';
import { ShardSet } from './shards/shard-set.js';
import type { ShardThread } from './shards/shard-thread.js';
import { RegistryClient } from './sources/registry-client.js';
import { RegistryFollower } from './sources/registry-follower.js';

export interface GatewayPorts {
  http: number;
  grpc: number;
  metrics: number;
}

/** Where models come from: started before the shards listen, closed before they drain. */
interface ModelSource {
  close(): Promise<void>;
}

export class Gateway {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly config: Readonly<GatewayConfig>,
    readonly ports: GatewayPorts,
    readonly catalog: ShardedCatalog,
    readonly shards: ShardSet,
    private readonly page: GatewayMetricsPage,
    private readonly sink: SinkThread | undefined,
    private readonly metricsServer: MetricsServer,
    private readonly sources: ModelSource[],
    private readonly log: Logger,
  ) {}

  static async start(input: Partial<GatewayConfig>, log: Logger = createLogger({ component: 'gateway' })): Promise<Gateway> {
    const config = gatewayConfig(input);
    const httpPort = await freePort(config.host, config.httpPort, 'HTTP');
    const registry = new Registry();
    collectProcessMetrics(registry);
    const metrics = new ControlMetrics(registry, config.shards);
    const catalog = new ShardedCatalog(config.overrides, metrics, log);
    const spec = sinkSpec(config);
    const sink = spec && new SinkThread(spec, log, () => void Promise.all(shards.all().map((shard) => connectSink(shard, sink!).catch(() => undefined))));
    const prepare = async (shard: ShardThread, join: () => void): Promise<void> => {
      if (sink) await connectSink(shard, sink);
      await catalog.bootstrap(shard, join);
    };
    const shards = new ShardSet(
      config.shards,
      {
        host: config.host,
        maxBodyBytes: config.maxBodyBytes,
        pipelineDepth: config.pipelineDepth,
        shadowMaxInflight: config.shadowMaxInflight,
        recordInputsRate: config.recordInputsRate,
        recordInputsPerSecond: config.recordInputsPerSecond,
        sink: spec?.kind,
        logLevel: logLevel(),
        idleSpinUs: config.idleSpinUs,
      },
      prepare,
      metrics,
      log,
    );
    catalog.attach(shards);
    await shards.start();
    const sources = config.registryUrl ? await followRegistry(config, catalog, log) : await serveDirectory(config.repository!, catalog, log);
    await catalog.idle();
    const page = new GatewayMetricsPage(registry, shards);
    const metricsServer = new MetricsServer(page);
    const listening = await shards.listen(httpPort, config.grpcPort);
    const ports = { http: listening.http, grpc: listening.grpc!, metrics: await metricsServer.listen(config.host, config.metricsPort) };
    log.info('gateway ready', { host: config.host, ...ports, shards: config.shards, source: config.registryUrl ?? config.repository, models: catalog.entries() });
    return new Gateway(config, ports, catalog, shards, page, sink, metricsServer, sources, log);
  }

  /** Every series of the gateway (the main thread's and the shards' summed), as /metrics shows them. */
  metricsRegistry(): Promise<Registry> {
    return this.page.registry();
  }

  /** Graceful: stop following changes; every shard refuses new requests, answers every accepted one and flushes its records; then the rest closes. */
  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    await this.shards.stopAccepting();
    this.log.info('gateway draining');
    await Promise.all(this.sources.map((s) => s.close()));
    await this.catalog.close();
    await this.shards.drain();
    await this.catalog.release();
    await this.sink?.close();
    await this.metricsServer.close();
    this.log.info('gateway stopped');
  }
}

function sinkSpec(config: Readonly<GatewayConfig>): SinkSpec | undefined {
  if (config.monitorAddress) return { kind: 'grpc', address: config.monitorAddress };
  if (config.recordsRedisUrl) return { kind: 'redis', url: config.recordsRedisUrl, maxLength: config.recordStreamMaxLength };
  return undefined;
}

async function connectSink(shard: ShardThread, sink: SinkThread): Promise<void> {
  const port = sink.connect();
  await shard.request({ kind: 'sink-port', port }, [port]);
}

/**
 * The REST port the shards will share, checked free. uWS listens with
 * SO_REUSEPORT, so that every shard can bind it — and so could a second
 * gateway started on the same port, silently taking half the connections: a
 * plain bind first fails if anything holds the port. uWS sets SO_REUSEPORT
 * only for a given port, so port 0 is turned into a free port here.
 */
function freePort(host: string, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`${what}: cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`)));
    probe.listen({ host, port, exclusive: true }, () => {
      const bound = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(bound));
    });
  });
}

/** A plain directory: every version found is served, the newest takes the traffic. */
async function serveDirectory(dir: string, catalog: ShardedCatalog, log: Logger): Promise<ModelSource[]> {
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
async function followRegistry(config: Readonly<GatewayConfig>, catalog: ShardedCatalog, log: Logger): Promise<ModelSource[]> {
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
