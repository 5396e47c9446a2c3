/**
 * The monitor's options: validated once, defaults filled, frozen (house habit 4). Every window,
 * store and retry bound lives here, so that memory and behaviour can be read off one object.
 */
import { hostname } from 'node:os';
import { RECORD_STREAM_KEY } from '../runtime/records.js';
import { DEFAULT_POLICY, type PolicySpec } from './policies/policy-spec.js';

export interface RedisIngestConfig {
  url: string;
  /** Stream key the gateways XADD to. */
  stream: string;
  group: string;
  /** This consumer's name in the group: host + pid unless told. */
  consumer: string;
  /** Entries read per XREADGROUP. */
  count: number;
  /** How long one XREADGROUP blocks; also how long `close` may wait for the loop. */
  blockMs: number;
  /** Entries pending (delivered, not acked) longer than this belong to a dead consumer and are claimed. */
  claimIdleMs: number;
  /** How often to look for such entries. */
  claimIntervalMs: number;
}

export interface DriftWindowConfig {
  /** Rows in the count window; it is also evaluated (a policy "window") every this many rows. */
  countRows: number;
  timeSpanMs: number;
  timeBuckets: number;
  /** Raw values kept per feature for KS / Wasserstein over the time window. */
  timeSampleSize: number;
}

export interface QualityWindowConfig {
  /** Labelled rows in the count window; evaluated every this many joined rows. */
  countRows: number;
  timeSpanMs: number;
  timeBuckets: number;
}

export interface LabelStoreConfig {
  /** How long a prediction waits for its label. */
  ttlMs: number;
  /** Predictions held at most (oldest evicted first). */
  maxEntries: number;
  /** How long a label that came before its prediction waits for it. */
  earlyTtlMs: number;
  maxEarly: number;
  /** Rows of one prediction kept for the join (labels beyond are ignored). */
  maxRowsPerPrediction: number;
  /** Labelled rows with sampled inputs kept per model for retraining (oldest out first). */
  trainingRows: number;
}

export interface WebhookConfig {
  urls: string[];
  /** `whsec_` + base64 key (Standard Webhooks). Required when there are URLs. */
  secret?: string;
  /** Tries per delivery, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per attempt. */
  timeoutMs: number;
  /** How long `close` waits for deliveries in flight before abandoning them. */
  drainMs: number;
}

export interface MonitorConfig {
  host: string;
  /** Status API, /healthz and /metrics. */
  httpPort: number;
  /** gRPC ingest (RecordIngest/Publish); null turns it off. */
  grpcPort: number | null;
  maxMessageBytes: number;
  /** Redis Streams ingest, besides or instead of gRPC. */
  redis?: RedisIngestConfig;
  /** Where reference profiles come from: a registry, or a repository directory, or neither (quality only). */
  registryUrl?: string;
  registryToken?: string;
  repository?: string;
  /** A version whose profile could not be fetched is asked again after this long. */
  profileRetryMs: number;
  drift: DriftWindowConfig;
  quality: QualityWindowConfig;
  labels: LabelStoreConfig;
  /** Status and metrics refresh of every window. */
  evaluateIntervalMs: number;
  /** A version with no record for this long is forgotten (status, metrics series, windows). */
  versionIdleMs: number;
  /** Versions tracked at most; records of more are dropped and counted. */
  maxVersions: number;
  policies: PolicySpec[];
  webhooks: WebhookConfig;
  /** Triggers kept for the status API. */
  triggerHistory: number;
}

export type MonitorConfigInput = Partial<Omit<MonitorConfig, 'redis' | 'drift' | 'quality' | 'labels' | 'webhooks'>> & {
  redis?: Partial<RedisIngestConfig> & { url: string };
  drift?: Partial<DriftWindowConfig>;
  quality?: Partial<QualityWindowConfig>;
  labels?: Partial<LabelStoreConfig>;
  webhooks?: Partial<WebhookConfig>;
};

export const MONITOR_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  httpPort: 8010,
  grpcPort: 8011,
  maxMessageBytes: 64 * 1024 * 1024,
  profileRetryMs: 60_000,
  evaluateIntervalMs: 5_000,
  versionIdleMs: 24 * 3600_000,
  maxVersions: 512,
  triggerHistory: 100,
  redis: { stream: RECORD_STREAM_KEY, group: 'switchyard-monitor', count: 100, blockMs: 1_000, claimIdleMs: 30_000, claimIntervalMs: 10_000 },
  drift: { countRows: 1_000, timeSpanMs: 300_000, timeBuckets: 10, timeSampleSize: 1_000 },
  quality: { countRows: 1_000, timeSpanMs: 300_000, timeBuckets: 10 },
  labels: { ttlMs: 3600_000, maxEntries: 100_000, earlyTtlMs: 600_000, maxEarly: 10_000, maxRowsPerPrediction: 256, trainingRows: 50_000 },
  webhooks: { attempts: 6, baseDelayMs: 500, maxDelayMs: 30_000, timeoutMs: 10_000, drainMs: 10_000 },
});

export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}`;
}

export function monitorConfig(input: MonitorConfigInput = {}): Readonly<MonitorConfig> {
  const d = MONITOR_DEFAULTS;
  const config: MonitorConfig = {
    host: input.host ?? d.host,
    httpPort: input.httpPort ?? d.httpPort,
    grpcPort: input.grpcPort === undefined ? d.grpcPort : input.grpcPort,
    maxMessageBytes: input.maxMessageBytes ?? d.maxMessageBytes,
    ...(input.redis ? { redis: { ...d.redis, consumer: defaultConsumerName(), ...input.redis } } : {}),
    ...(input.registryUrl ? { registryUrl: input.registryUrl.replace(/\/+$/, '') } : {}),
    ...(input.registryToken ? { registryToken: input.registryToken } : {}),
    ...(input.repository ? { repository: input.repository } : {}),
    profileRetryMs: input.profileRetryMs ?? d.profileRetryMs,
    drift: { ...d.drift, ...input.drift },
    quality: { ...d.quality, ...input.quality },
    labels: { ...d.labels, ...input.labels },
    evaluateIntervalMs: input.evaluateIntervalMs ?? d.evaluateIntervalMs,
    versionIdleMs: input.versionIdleMs ?? d.versionIdleMs,
    maxVersions: input.maxVersions ?? d.maxVersions,
    policies: input.policies ?? [DEFAULT_POLICY],
    webhooks: { urls: [], ...d.webhooks, ...input.webhooks },
    triggerHistory: input.triggerHistory ?? d.triggerHistory,
  };
  validate(config);
  return deepFreeze(config);
}

function validate(c: MonitorConfig): void {
  const port = (value: number, what: string): void => {
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`monitor ${what} must be a port number 0-65535, got ${value}`);
  };
  const atLeast = (value: number, min: number, what: string): void => {
    if (!Number.isInteger(value) || value < min) throw new Error(`monitor ${what} must be an integer >= ${min}, got ${value}`);
  };
  port(c.httpPort, 'httpPort');
  if (c.grpcPort !== null) port(c.grpcPort, 'grpcPort');
  if (c.grpcPort === null && !c.redis) throw new Error('the monitor needs an ingest: a gRPC port, Redis Streams (--redis URL), or both');
  if (c.registryUrl && c.repository) throw new Error('reference profiles come from a registry or a repository directory (--registry URL or --repository DIR), not both');
  atLeast(c.maxMessageBytes, 1024, 'maxMessageBytes');
  atLeast(c.profileRetryMs, 0, 'profileRetryMs');
  atLeast(c.evaluateIntervalMs, 10, 'evaluateIntervalMs');
  atLeast(c.versionIdleMs, 1, 'versionIdleMs');
  atLeast(c.maxVersions, 1, 'maxVersions');
  atLeast(c.triggerHistory, 1, 'triggerHistory');
  if (c.redis) {
    const r = c.redis;
    if (!/^rediss?:\/\//.test(r.url)) throw new Error(`redis url must start with redis:// or rediss://, got '${r.url}'`);
    for (const key of ['stream', 'group', 'consumer'] as const) if (!r[key]) throw new Error(`redis ${key} must be a non-empty string`);
    atLeast(r.count, 1, 'redis.count');
    atLeast(r.blockMs, 1, 'redis.blockMs');
    atLeast(r.claimIdleMs, 1, 'redis.claimIdleMs');
    atLeast(r.claimIntervalMs, 1, 'redis.claimIntervalMs');
  }
  atLeast(c.drift.countRows, 1, 'drift.countRows');
  atLeast(c.drift.timeSpanMs, 1, 'drift.timeSpanMs');
  atLeast(c.drift.timeBuckets, 1, 'drift.timeBuckets');
  atLeast(c.drift.timeSampleSize, 1, 'drift.timeSampleSize');
  atLeast(c.quality.countRows, 1, 'quality.countRows');
  atLeast(c.quality.timeSpanMs, 1, 'quality.timeSpanMs');
  atLeast(c.quality.timeBuckets, 1, 'quality.timeBuckets');
  atLeast(c.labels.ttlMs, 1, 'labels.ttlMs');
  atLeast(c.labels.maxEntries, 1, 'labels.maxEntries');
  atLeast(c.labels.earlyTtlMs, 1, 'labels.earlyTtlMs');
  atLeast(c.labels.maxEarly, 1, 'labels.maxEarly');
  atLeast(c.labels.maxRowsPerPrediction, 1, 'labels.maxRowsPerPrediction');
  atLeast(c.labels.trainingRows, 1, 'labels.trainingRows');
  const w = c.webhooks;
  for (const url of w.urls) {
    if (!/^https?:\/\//.test(url)) throw new Error(`webhook URL must be http(s)://..., got '${url}'`);
  }
  if (w.urls.length > 0 && !w.secret?.startsWith('whsec_')) {
    throw new Error('webhooks need a signing secret "whsec_<base64>" (SWITCHYARD_WEBHOOK_SECRET), as Standard Webhooks prescribe');
  }
  atLeast(w.attempts, 1, 'webhooks.attempts');
  atLeast(w.baseDelayMs, 0, 'webhooks.baseDelayMs');
  atLeast(w.maxDelayMs, w.baseDelayMs, 'webhooks.maxDelayMs');
  atLeast(w.timeoutMs, 1, 'webhooks.timeoutMs');
  atLeast(w.drainMs, 0, 'webhooks.drainMs');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
