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

export { eventually } from '../../helpers/poll.js';
