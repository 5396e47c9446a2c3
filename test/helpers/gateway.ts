/**
 * Starts a real gateway in the test process: the example models written into a
 * temporary repository, every port chosen by the OS on 127.0.0.1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfig } from '../../gateway/config.js';
import { Gateway } from '../../gateway/gateway.js';
import { writeExampleRepository } from '../../models/examples.js';
import { createLogger } from '../../runtime/log.js';

export interface TestGateway {
  gateway: Gateway;
  http: string;
  grpc: string;
  metrics: string;
  repository: string;
  stop(): Promise<void>;
}

/** A fresh repository holding the example models (tabular, mlp). */
export async function exampleRepository(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-test-'));
  await writeExampleRepository(join(dir, 'models'));
  return { dir: join(dir, 'models'), remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function startTestGateway(config: Partial<GatewayConfig> = {}, repository?: string): Promise<TestGateway> {
  const owned = repository ? undefined : await exampleRepository();
  const repo = repository ?? owned!.dir;
  const gateway = await Gateway.start(
    { httpPort: 0, grpcPort: 0, metricsPort: 0, ...config, repository: repo },
    createLogger({ component: 'gateway' }, process.env.SWITCHYARD_LOG_LEVEL ? undefined : 'error'),
  );
  return {
    gateway,
    http: `http://127.0.0.1:${gateway.ports.http}`,
    grpc: `127.0.0.1:${gateway.ports.grpc}`,
    metrics: `http://127.0.0.1:${gateway.ports.metrics}/metrics`,
    repository: repo,
    stop: async () => {
      await gateway.close();
      await owned?.remove();
    },
  };
}

export { metricValue } from './metrics.js';
