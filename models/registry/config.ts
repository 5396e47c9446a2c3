/** The registry's options: validated once, defaults filled, frozen. */
import type { TokenConfig } from './auth.js';
import { TrainingConfig } from '../training/training-config.js';
import type { RolloutPolicySet } from '../rollout/rollout-policy.js';

export interface RegistryConfig {
  /** Root of the store: models/, archive/, audit.log. */
  dataDir: string;
  host: string;
  port: number;
  tokens: TokenConfig;
  /** Largest register upload (ONNX file + manifest), held in memory while it is checked. */
  maxUploadBytes: number;
  /** Largest JSON body (aliases, traffic policy). */
  maxJsonBytes: number;
  /** Comment frames on idle watch streams, so proxies keep them open. */
  heartbeatMs: number;
  /** When set, every change is also published on Redis pub/sub for gateway replicas. */
  redisUrl?: string;
  /** Progressive rollout policies (a JSON file, see models/rollout/rollout-policy.ts); built-in defaults without it. */
  rolloutFile?: string;
  /** Already parsed policies (in-process callers); wins over rolloutFile. */
  rolloutPolicies?: RolloutPolicySet;
  /** Gateways' Prometheus endpoints the rollout controller reads (summed over replicas). */
  gatewayMetricsUrls: readonly string[];
  /** Or a Prometheus server that scrapes every gateway replica: the rollout queries it instead. */
  prometheusUrl?: string;
  /** The monitor's HTTP base URL, for the rollout's accuracy and drift guards and the training jobs' labeled data. */
  monitorUrl?: string;
  /** How each model retrains (--training FILE); the default trains the built-in logistic regression on the monitor's data. */
  training: TrainingConfig;
  /** Standard Webhooks secret of the monitor's retraining webhooks (SWITCHYARD_WEBHOOK_SECRET, whsec_...). */
  webhookSecret?: string;
  /** Training jobs running at once over all models (training is CPU-heavy). */
  trainingConcurrency: number;
}

export const REGISTRY_DEFAULTS = {
  host: '127.0.0.1',
  port: 8020,
  maxUploadBytes: 512 * 1024 * 1024,
  maxJsonBytes: 1024 * 1024,
  heartbeatMs: 15_000,
  gatewayMetricsUrls: [] as readonly string[],
  trainingConcurrency: 1,
};

export function registryConfig(input: Partial<RegistryConfig> & { dataDir: string }): Readonly<RegistryConfig> {
  const config: RegistryConfig = { ...REGISTRY_DEFAULTS, tokens: { admin: [], read: [], anonymousReads: false }, training: TrainingConfig.DEFAULT, ...input };
  if (typeof config.dataDir !== 'string' || config.dataDir === '') throw new Error('dataDir must be a directory path');
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) throw new Error(`port must be a port number 0-65535, got ${config.port}`);
  for (const key of ['maxUploadBytes', 'maxJsonBytes', 'heartbeatMs', 'trainingConcurrency'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new Error(`${key} must be a positive integer, got ${config[key]}`);
  }
  const gatewayMetricsUrls = config.gatewayMetricsUrls ?? [];
  for (const url of gatewayMetricsUrls) requireHttpUrl('--gateway-metrics', url, 'http://127.0.0.1:8002/metrics');
  if (config.prometheusUrl !== undefined) {
    requireHttpUrl('--prometheus', config.prometheusUrl, 'http://prometheus:9090');
    if (gatewayMetricsUrls.length > 0) throw new Error('the rollout reads traffic from one place: --gateway-metrics URL(s) or --prometheus URL, not both');
  }
  if (config.monitorUrl !== undefined) requireHttpUrl('--monitor', config.monitorUrl, 'http://127.0.0.1:8010');
  if (config.webhookSecret !== undefined && !/^whsec_[A-Za-z0-9+/]+=*$/.test(config.webhookSecret)) {
    throw new Error('SWITCHYARD_WEBHOOK_SECRET must be "whsec_" followed by base64: the secret the monitor signs its webhooks with');
  }
  return Object.freeze({ ...config, tokens: Object.freeze({ ...config.tokens }), gatewayMetricsUrls: Object.freeze([...gatewayMetricsUrls]) });
}

function requireHttpUrl(what: string, url: string, example: string): void {
  if (typeof url !== 'string' || !/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) throw new Error(`${what} must be an http(s) URL like ${example}, got '${url}'`);
}
