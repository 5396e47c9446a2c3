/** The registry's options: validated once, defaults filled, frozen. */
import type { TokenConfig } from './auth.js';

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
}

export const REGISTRY_DEFAULTS = {
  host: '127.0.0.1',
  port: 8020,
  maxUploadBytes: 512 * 1024 * 1024,
  maxJsonBytes: 1024 * 1024,
  heartbeatMs: 15_000,
};

export function registryConfig(input: Partial<RegistryConfig> & { dataDir: string }): Readonly<RegistryConfig> {
  const config: RegistryConfig = { ...REGISTRY_DEFAULTS, tokens: { admin: [], read: [], anonymousReads: false }, ...input };
  if (typeof config.dataDir !== 'string' || config.dataDir === '') throw new Error('dataDir must be a directory path');
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) throw new Error(`port must be a port number 0-65535, got ${config.port}`);
  for (const key of ['maxUploadBytes', 'maxJsonBytes', 'heartbeatMs'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new Error(`${key} must be a positive integer, got ${config[key]}`);
  }
  return Object.freeze({ ...config, tokens: Object.freeze({ ...config.tokens }) });
}
