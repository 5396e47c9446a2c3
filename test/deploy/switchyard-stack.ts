/**
 * The three Switchyard processes in the test process on loopback, wired as deployed: the gateway
 * serves the example models and streams records to the monitor's gRPC ingest; the monitor reads
 * reference profiles from the same repository; the registry has Node's default metrics, as
 * `switchyard registry` does. Each one's /metrics URL is what Prometheus scrapes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../../runtime/process-metrics.js';
import { RegistryService } from '../../models/registry/registry-service.js';
import { createLogger } from '../../runtime/log.js';
import { exampleRepository, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestMonitor, type TestMonitor } from '../monitor/helpers/monitor.js';

export interface SwitchyardStack {
  gateway: TestGateway;
  monitor: TestMonitor;
  registry: RegistryService;
  /** host:port of each process' /metrics, by the job names of deploy/prometheus/prometheus.yml. */
  targets: Record<'switchyard-gateway' | 'switchyard-monitor' | 'switchyard-registry', string>;
  stop(): Promise<void>;
}

export async function startSwitchyardStack(): Promise<SwitchyardStack> {
  const repo = await exampleRepository();
  const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-registry-'));
  const monitor = await startTestMonitor({ repository: repo.dir, drift: { countRows: 50 }, quality: { countRows: 20 }, evaluateIntervalMs: 250 });
  const gateway = await startTestGateway({ monitorAddress: monitor.grpc }, repo.dir);
  const metrics = new Registry();
  collectProcessMetrics(metrics);
  const registry = await RegistryService.start({ dataDir, host: '127.0.0.1', port: 0 }, createLogger({ component: 'registry' }, 'error'), metrics);
  return {
    gateway,
    monitor,
    registry,
    targets: {
      'switchyard-gateway': new URL(gateway.metrics).host,
      'switchyard-monitor': new URL(monitor.http).host,
      'switchyard-registry': `127.0.0.1:${registry.port}`,
    },
    stop: async () => {
      await gateway.stop();
      await monitor.stop();
      await registry.close();
      await Promise.all([repo.remove(), rm(dataDir, { recursive: true, force: true })]);
    },
  };
}

/** One tabular inference over HTTP with seeded-looking features; returns the request id. */
export async function inferTabular(gateway: TestGateway, i: number): Promise<string> {
  const data = Array.from({ length: 8 }, (_, f) => Math.sin(i * 7 + f * 13) * 2);
  const res = await fetch(`${gateway.http}/v2/models/tabular/infer`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 8], datatype: 'FP32', data }] }),
  });
  const body = (await res.json()) as { id?: string; error?: string };
  if (res.status !== 200 || !body.id) throw new Error(`infer answered ${res.status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** `count` inferences, labels for each of them, and one request for a model that does not exist (an error series). */
export async function sendTraffic(gateway: TestGateway, count: number, offset = 0): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await inferTabular(gateway, offset + i));
  const feedback = await fetch(`${gateway.http}/v2/models/tabular/feedback`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(ids.map((id, i) => ({ id, label: i % 2 }))),
  });
  if (feedback.status !== 200) throw new Error(`feedback answered ${feedback.status}: ${await feedback.text()}`);
  await fetch(`${gateway.http}/v2/models/no-such-model/infer`, { method: 'POST', body: '{}' }).then((r) => r.arrayBuffer());
}

export async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  return res.text();
}
