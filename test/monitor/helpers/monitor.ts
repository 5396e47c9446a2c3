/** A real monitor in the test process: every port chosen by the OS on 127.0.0.1, quiet logs, a slow tick (tests evaluate explicitly). */
import type { MonitorConfigInput } from '../../../monitor/config.js';
import { Monitor } from '../../../monitor/monitor.js';
import { createLogger } from '../../../runtime/log.js';

export interface TestMonitor {
  monitor: Monitor;
  grpc: string;
  http: string;
  stop(): Promise<void>;
}

export async function startTestMonitor(config: MonitorConfigInput = {}): Promise<TestMonitor> {
  const monitor = await Monitor.start(
    { httpPort: 0, grpcPort: 0, evaluateIntervalMs: 60_000, policies: [], ...config },
    createLogger({ component: 'monitor' }, process.env.SWITCHYARD_LOG_LEVEL ? undefined : 'error'),
  );
  return {
    monitor,
    grpc: `127.0.0.1:${monitor.ports.grpc}`,
    http: `http://127.0.0.1:${monitor.ports.http}`,
    stop: () => monitor.close(),
  };
}

/** The sum of a series' samples matching `labels` (0 when absent); histogram parts named in full. */
export async function metricValue(monitor: Monitor, name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = monitor.registry.getSingleMetric(name) ?? monitor.registry.getSingleMetric(base);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => ((v as { metricName?: string }).metricName ?? name) === name)
    .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
