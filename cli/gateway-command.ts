/** `switchyard gateway`: serve a model repository until SIGTERM/SIGINT, then drain and exit 0. */
import { parseArgs } from 'node:util';
import { GATEWAY_DEFAULTS, type GatewayConfig, type ModelOverrides } from '../gateway/config.js';
import { Gateway } from '../gateway/gateway.js';
import { createLogger } from '../runtime/log.js';
import { onShutdownSignal } from '../runtime/shutdown.js';

export const GATEWAY_OPTIONS = {
  repository: { type: 'string', short: 'r' },
  registry: { type: 'string' },
  'registry-token': { type: 'string' },
  redis: { type: 'string' },
  monitor: { type: 'string' },
  'records-redis': { type: 'string' },
  'record-inputs': { type: 'string' },
  'record-inputs-per-second': { type: 'string' },
  host: { type: 'string', default: GATEWAY_DEFAULTS.host },
  shards: { type: 'string' },
  'idle-spin-us': { type: 'string', default: String(GATEWAY_DEFAULTS.idleSpinUs) },
  'http-port': { type: 'string', default: String(GATEWAY_DEFAULTS.httpPort) },
  'grpc-port': { type: 'string', default: String(GATEWAY_DEFAULTS.grpcPort) },
  'metrics-port': { type: 'string', default: String(GATEWAY_DEFAULTS.metricsPort) },
  'max-body-bytes': { type: 'string', default: String(GATEWAY_DEFAULTS.maxBodyBytes) },
  'pipeline-depth': { type: 'string', default: String(GATEWAY_DEFAULTS.pipelineDepth) },
  'execution-mode': { type: 'string' },
  instances: { type: 'string' },
  'intra-op-threads': { type: 'string' },
  'max-batch-size': { type: 'string' },
  'max-queue-delay-us': { type: 'string' },
  'max-queue-size': { type: 'string' },
  providers: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const GATEWAY_HELP = `options:
  -r, --repository DIR       model repository: DIR/<model>/<version>/{model.onnx,manifest.json};
                             every version is served, the newest takes the traffic
  --registry URL             instead: follow a Switchyard registry (versions, aliases, traffic policy)
  --registry-token TOKEN     its read token (default $SWITCHYARD_TOKEN)
  --redis URL                also take registry changes from Redis pub/sub (several replicas)
  --monitor HOST:PORT        stream prediction and feedback records to this monitor (gRPC ingest, e.g. 127.0.0.1:8011)
  --records-redis URL        or append them to Redis Streams (key switchyard:records) for monitor consumers
  --record-inputs RATE       share of requests whose inputs are recorded, 0-1 (default 1)
  --record-inputs-per-second N
                             at most N requests/s keep their inputs; beyond, outputs only
                             (default 1000; 'inf': no limit)
  --host ADDR                bind address (default 127.0.0.1)
  --shards N                 shard threads serving the REST port, each with its own loop, model
                             sessions and batchers (default: the CPUs available to the process)
  --idle-spin-us N           after an answer a shard keeps polling this long before its loop may
                             sleep: the next request finds the core awake and its caches warm
                             (default 200; 0: never poll, for hosts shared with other work)
  --http-port N              REST port (default 8000)
  --grpc-port N              gRPC port (default 8001)
  --metrics-port N           Prometheus /metrics port (default 8002)
  --max-body-bytes N         largest request body / gRPC message (default 64 MiB)
  --pipeline-depth N         batches a shard queues per pool worker behind the running one (default 2)
  overrides of every model's manifest:
  --execution-mode MODE      auto, inline (on each shard's loop) or pool (shared session workers)
  --instances N              session worker threads of a pool-mode version
  --intra-op-threads N       ONNX Runtime threads per session
  --max-batch-size N         rows per ONNX run (0 = no batching)
  --max-queue-delay-us N     how long a partial batch may wait for more requests
  --max-queue-size N         queued requests before 429 / RESOURCE_EXHAUSTED
  --providers LIST           execution providers in order of preference, e.g. cuda,cpu
`;

type Values = { [K in keyof typeof GATEWAY_OPTIONS]?: string | boolean };

function int(values: Values, key: keyof typeof GATEWAY_OPTIONS): number | undefined {
  const raw = values[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`--${key} must be an integer, got '${raw}'`);
  return n;
}

export function gatewayConfigFromArgs(values: Values, repository: string | undefined): Partial<GatewayConfig> {
  const mode = values['execution-mode'];
  const overrides: ModelOverrides = {
    executionMode: typeof mode === 'string' ? (mode as ModelOverrides['executionMode']) : undefined,
    instances: int(values, 'instances'),
    intraOpThreads: int(values, 'intra-op-threads'),
    maxBatchSize: int(values, 'max-batch-size'),
    maxQueueDelayUs: int(values, 'max-queue-delay-us'),
    maxQueueSize: int(values, 'max-queue-size'),
    providers: typeof values.providers === 'string' ? values.providers.split(',').map((p) => p.trim()) : undefined,
  };
  return {
    repository,
    registryUrl: values.registry as string | undefined,
    registryToken: (values['registry-token'] as string | undefined) ?? process.env.SWITCHYARD_TOKEN,
    redisUrl: values.redis as string | undefined,
    monitorAddress: values.monitor as string | undefined,
    recordsRedisUrl: values['records-redis'] as string | undefined,
    recordInputsRate: values['record-inputs'] === undefined ? undefined : Number(values['record-inputs']),
    recordInputsPerSecond: values['record-inputs-per-second'] === undefined ? undefined : values['record-inputs-per-second'] === 'inf' ? Infinity : Number(values['record-inputs-per-second']),
    host: values.host as string,
    shards: int(values, 'shards'),
    idleSpinUs: int(values, 'idle-spin-us'),
    httpPort: int(values, 'http-port'),
    grpcPort: int(values, 'grpc-port'),
    metricsPort: int(values, 'metrics-port'),
    maxBodyBytes: int(values, 'max-body-bytes'),
    pipelineDepth: int(values, 'pipeline-depth'),
    overrides: Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
}

export async function gatewayCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: GATEWAY_OPTIONS, strict: true });
  if (values.help) {
    process.stdout.write(`usage: switchyard gateway (--repository DIR | --registry URL) [options]\n\n${GATEWAY_HELP}`);
    return;
  }
  const log = createLogger({ component: 'gateway' });
  const gateway = await Gateway.start(gatewayConfigFromArgs(values, values.repository), log);
  onShutdownSignal(() => gateway.close(), log);
}
