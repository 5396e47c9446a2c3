/**
 * The gateway's options: validated once, defaults filled, frozen. Per-model
 * settings come from each manifest; the overrides here apply to every model
 * (e.g. `--instances 2` on a bigger machine).
 */
import { EXECUTION_MODES, type ModelManifest, type RequestedMode } from '../models/manifest.js';
import { availableCpus } from '../runtime/available-cpus.js';

export interface ModelOverrides {
  executionMode?: RequestedMode;
  instances?: number;
  intraOpThreads?: number;
  maxBatchSize?: number;
  maxQueueDelayUs?: number;
  maxQueueSize?: number;
  providers?: string[];
}

export interface GatewayConfig {
  /** A model-repository directory to serve; or, instead, `registryUrl`. */
  repository?: string;
  /** Follow this registry's watch stream: versions and traffic policy come from it. */
  registryUrl?: string;
  /** Bearer token for the registry (a read token is enough). */
  registryToken?: string;
  /** Also take registry changes from Redis pub/sub (several replicas). */
  redisUrl?: string;
  /** Stream prediction/feedback records to this monitor's gRPC ingest (host:port). */
  monitorAddress?: string;
  /** Or append them to Redis Streams on this server. */
  recordsRedisUrl?: string;
  /** Share of requests whose inputs are recorded (0-1). */
  recordInputsRate: number;
  /** At most this many requests per second keep their inputs in the record (Infinity: no limit). */
  recordInputsPerSecond: number;
  /** Cap of the Redis record stream (XADD MAXLEN ~). */
  recordStreamMaxLength: number;
  host: string;
  /** Shard threads, each serving the REST port with its own catalog replica and sessions. */
  shards: number;
  /** How long a shard keeps polling after an answer before its loop may sleep (0: never poll). */
  idleSpinUs: number;
  httpPort: number;
  grpcPort: number;
  metricsPort: number;
  maxBodyBytes: number;
  /** Batches a shard keeps queued per pool worker beyond the running one, so a busy worker never sleeps between batches. */
  pipelineDepth: number;
  /** Mirrored requests in flight at most; beyond it shadow work is shed. */
  shadowMaxInflight: number;
  overrides: ModelOverrides;
}

export const GATEWAY_DEFAULTS = {
  host: '127.0.0.1',
  httpPort: 8000,
  grpcPort: 8001,
  metricsPort: 8002,
  maxBodyBytes: 64 * 1024 * 1024,
  pipelineDepth: 2,
  shadowMaxInflight: 64,
  idleSpinUs: 200,
  recordInputsRate: 1,
  recordInputsPerSecond: 1000,
  recordStreamMaxLength: 100_000,
};

export function gatewayConfig(input: Partial<GatewayConfig>): Readonly<GatewayConfig> {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const config: GatewayConfig = { ...GATEWAY_DEFAULTS, shards: availableCpus(), overrides: {}, ...given };
  if (!Number.isInteger(config.shards) || config.shards < 1) throw new Error(`shards must be an integer >= 1, got ${config.shards}`);
  if (!Number.isInteger(config.idleSpinUs) || config.idleSpinUs < 0) throw new Error(`idleSpinUs must be an integer >= 0, got ${config.idleSpinUs}`);
  if (!config.repository === !config.registryUrl) throw new Error('serve either a model repository directory or a registry (--repository DIR or --registry URL), exactly one');
  if (config.redisUrl && !config.registryUrl) throw new Error('--redis carries registry changes: it needs --registry URL');
  for (const key of ['httpPort', 'grpcPort', 'metricsPort'] as const) {
    const port = config[key];
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${key} must be a port number 0-65535, got ${port}`);
  }
  if (!Number.isInteger(config.maxBodyBytes) || config.maxBodyBytes < 1024) throw new Error(`maxBodyBytes must be an integer >= 1024, got ${config.maxBodyBytes}`);
  if (config.monitorAddress && config.recordsRedisUrl) throw new Error('records go to one place: --monitor HOST:PORT or --records-redis URL');
  if (!(config.recordInputsRate >= 0 && config.recordInputsRate <= 1)) throw new Error(`recordInputsRate must be between 0 and 1, got ${config.recordInputsRate}`);
  if (!(config.recordInputsPerSecond >= 1)) throw new Error(`recordInputsPerSecond must be at least 1 (or Infinity), got ${config.recordInputsPerSecond}`);
  if (!Number.isInteger(config.shadowMaxInflight) || config.shadowMaxInflight < 0) throw new Error(`shadowMaxInflight must be an integer >= 0, got ${config.shadowMaxInflight}`);
  if (!Number.isInteger(config.pipelineDepth) || config.pipelineDepth < 1) throw new Error(`pipelineDepth must be an integer >= 1, got ${config.pipelineDepth}`);
  const mode = config.overrides.executionMode;
  if (mode !== undefined && !EXECUTION_MODES.includes(mode)) throw new Error(`executionMode must be one of ${EXECUTION_MODES.join(', ')}, got ${mode}`);
  for (const [key, value] of Object.entries(config.overrides)) {
    if (key === 'providers' || key === 'executionMode') continue;
    const min = key === 'maxBatchSize' || key === 'maxQueueDelayUs' ? 0 : 1;
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < min)) throw new Error(`${key} must be an integer >= ${min}, got ${value}`);
  }
  return Object.freeze({ ...config, overrides: Object.freeze({ ...config.overrides }) });
}

export function applyOverrides(manifest: ModelManifest, o: ModelOverrides): ModelManifest {
  const instances = o.instances ?? manifest.execution.instances;
  const maxBatchSize = o.maxBatchSize ?? manifest.batching.max_batch_size;
  return {
    ...manifest,
    batching: {
      ...manifest.batching,
      max_batch_size: maxBatchSize,
      preferred_batch_sizes: manifest.batching.preferred_batch_sizes.filter((n) => n <= maxBatchSize),
      max_queue_delay_us: o.maxQueueDelayUs ?? manifest.batching.max_queue_delay_us,
      max_queue_size: o.maxQueueSize ?? manifest.batching.max_queue_size,
    },
    execution: {
      mode: o.executionMode ?? manifest.execution.mode,
      instances,
      intra_op_threads: o.intraOpThreads ?? manifest.execution.intra_op_threads,
      providers: o.providers ?? manifest.execution.providers,
    },
  };
}
