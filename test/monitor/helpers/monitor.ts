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

export { metricValue } from '../../helpers/metrics.js';

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
