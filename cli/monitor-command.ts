/** `switchyard monitor`: the monitoring sidecar, until SIGTERM/SIGINT, then drain and exit 0. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { MONITOR_DEFAULTS, type MonitorConfigInput } from '../monitor/config.js';
import { Monitor } from '../monitor/monitor.js';
import { DEFAULT_POLICY, parsePolicies, type PolicySpec } from '../monitor/policies/policy-spec.js';
import { createLogger } from '../runtime/log.js';
import { RECORD_STREAM_KEY } from '../runtime/records.js';
import { onShutdownSignal } from '../runtime/shutdown.js';

export const MONITOR_OPTIONS = {
  host: { type: 'string', default: MONITOR_DEFAULTS.host },
  'http-port': { type: 'string', default: String(MONITOR_DEFAULTS.httpPort) },
  'grpc-port': { type: 'string', default: String(MONITOR_DEFAULTS.grpcPort) },
  'no-grpc': { type: 'boolean' },
  redis: { type: 'string' },
  'redis-stream': { type: 'string' },
  'redis-group': { type: 'string' },
  'redis-consumer': { type: 'string' },
  'redis-claim-idle-ms': { type: 'string' },
  registry: { type: 'string' },
  'registry-token': { type: 'string' },
  repository: { type: 'string', short: 'r' },
  policy: { type: 'string' },
  'no-default-policy': { type: 'boolean' },
  webhook: { type: 'string', multiple: true },
  'webhook-attempts': { type: 'string' },
  'webhook-base-delay-ms': { type: 'string' },
  'webhook-timeout-ms': { type: 'string' },
  'drift-window-rows': { type: 'string' },
  'quality-window-rows': { type: 'string' },
  'time-window-s': { type: 'string' },
  'label-ttl-s': { type: 'string' },
  'label-max-entries': { type: 'string' },
  'training-rows': { type: 'string' },
  'evaluate-interval-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const MONITOR_HELP = `usage: switchyard monitor [options]

Takes prediction and feedback records from gateways (gRPC stream, or Redis Streams), computes
drift against each version's reference profile and quality from delayed labels, per version,
fires signed retraining webhooks when a policy says so. Status: GET /api/v1/status; labelled
rows for retraining: GET /api/v1/models/{model}/labeled-data; /metrics.

options:
  --host ADDR                 bind address (default 127.0.0.1)
  --http-port N               status API, /healthz, /metrics (default 8010)
  --grpc-port N               gRPC ingest, switchyard.monitor.RecordIngest (default 8011)
  --no-grpc                   no gRPC ingest (with --redis)
  --redis URL                 also consume the Redis stream the gateways XADD to
  --redis-stream KEY          stream key (default ${RECORD_STREAM_KEY})
  --redis-group NAME          consumer group (default ${MONITOR_DEFAULTS.redis.group})
  --redis-consumer NAME       this consumer's name (default <host>-<pid>)
  --redis-claim-idle-ms N     claim entries another consumer left pending this long (default ${MONITOR_DEFAULTS.redis.claimIdleMs})
  reference profiles (drift), read from each version's manifest; without either, quality only:
  --registry URL              a Switchyard registry
  --registry-token TOKEN      its read token (default $SWITCHYARD_TOKEN)
  -r, --repository DIR        a model repository: DIR/<model>/<version>/manifest.json
  policies and webhooks:
  --policy FILE               JSON: [{model, conditions: [{metric, op, threshold, min_samples,
                              consecutive, window, feature?, test?}], cooldown_s, roles?}]
                              (model "*" for every model without its own policy)
  --no-default-policy         no built-in policy for models the file does not name (the built-in:
                              dataset_drift in 3 consecutive count windows of >= 500 rows, cooldown 1 h)
  --webhook URL               POST retraining requests here (repeatable); signed per Standard
                              Webhooks with $SWITCHYARD_WEBHOOK_SECRET (whsec_...)
  --webhook-attempts N        tries per delivery (default ${MONITOR_DEFAULTS.webhooks.attempts})
  --webhook-base-delay-ms N   first retry delay, doubled each time, with jitter (default ${MONITOR_DEFAULTS.webhooks.baseDelayMs})
  --webhook-timeout-ms N      per attempt (default ${MONITOR_DEFAULTS.webhooks.timeoutMs})
  windows:
  --drift-window-rows N       drift count window, rows (default ${MONITOR_DEFAULTS.drift.countRows})
  --quality-window-rows N     quality count window, labelled rows (default ${MONITOR_DEFAULTS.quality.countRows})
  --time-window-s N           drift and quality time windows (default ${MONITOR_DEFAULTS.drift.timeSpanMs / 1000})
  --label-ttl-s N             how long a prediction waits for its label (default ${MONITOR_DEFAULTS.labels.ttlMs / 1000})
  --label-max-entries N       predictions held for labels (default ${MONITOR_DEFAULTS.labels.maxEntries})
  --training-rows N           labelled rows with sampled inputs kept per model for retraining, oldest
                              out first; GET /api/v1/models/{model}/labeled-data (default ${MONITOR_DEFAULTS.labels.trainingRows})
  --evaluate-interval-ms N    status and metrics refresh (default ${MONITOR_DEFAULTS.evaluateIntervalMs})
`;

type Values = { [K in keyof typeof MONITOR_OPTIONS]?: string | boolean | string[] };

function int(values: Values, key: keyof typeof MONITOR_OPTIONS, scale = 1): number | undefined {
  const raw = values[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`--${key} must be an integer, got '${raw}'`);
  return n * scale;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Policies from --policy FILE, plus the built-in one for every other model unless --no-default-policy. */
export async function loadPolicies(file: string | undefined, withDefault: boolean): Promise<PolicySpec[]> {
  const policies = file ? parsePolicies(JSON.parse(await readFile(file, 'utf8')), file) : [];
  if (withDefault && !policies.some((p) => p.model === '*')) policies.push(DEFAULT_POLICY);
  return policies;
}

export async function monitorConfigFromArgs(values: Values, env: NodeJS.ProcessEnv = process.env): Promise<MonitorConfigInput> {
  const timeSpanMs = int(values, 'time-window-s', 1000);
  return {
    host: values.host as string,
    httpPort: int(values, 'http-port'),
    grpcPort: values['no-grpc'] ? null : int(values, 'grpc-port'),
    ...(typeof values.redis === 'string'
      ? {
          redis: {
            url: values.redis,
            ...defined({
              stream: values['redis-stream'] as string | undefined,
              group: values['redis-group'] as string | undefined,
              consumer: values['redis-consumer'] as string | undefined,
              claimIdleMs: int(values, 'redis-claim-idle-ms'),
            }),
          },
        }
      : {}),
    ...defined({
      registryUrl: values.registry as string | undefined,
      registryToken: (values['registry-token'] as string | undefined) ?? env.SWITCHYARD_TOKEN,
      repository: values.repository as string | undefined,
      evaluateIntervalMs: int(values, 'evaluate-interval-ms'),
    }),
    policies: await loadPolicies(values.policy as string | undefined, !values['no-default-policy']),
    drift: defined({ countRows: int(values, 'drift-window-rows'), timeSpanMs }),
    quality: defined({ countRows: int(values, 'quality-window-rows'), timeSpanMs }),
    labels: defined({ ttlMs: int(values, 'label-ttl-s', 1000), maxEntries: int(values, 'label-max-entries'), trainingRows: int(values, 'training-rows') }),
    webhooks: {
      urls: (values.webhook as string[] | undefined) ?? [],
      ...defined({
        secret: env.SWITCHYARD_WEBHOOK_SECRET,
        attempts: int(values, 'webhook-attempts'),
        baseDelayMs: int(values, 'webhook-base-delay-ms'),
        timeoutMs: int(values, 'webhook-timeout-ms'),
      }),
    },
  };
}

export async function monitorCommand(argv: string[]): Promise<void> {
  let values: Values;
  try {
    ({ values } = parseArgs({ args: argv, options: MONITOR_OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new Error(`${(err as Error).message}\n\n${MONITOR_HELP}`);
  }
  if (values.help) {
    process.stdout.write(MONITOR_HELP);
    return;
  }
  const log = createLogger({ component: 'monitor' });
  const monitor = await Monitor.start(await monitorConfigFromArgs(values), log);
  onShutdownSignal(() => monitor.close(), log);
}
