/** SIGTERM / SIGINT: run the process's graceful close once, then exit 0 (1 if closing failed). */
import type { Logger } from './log.js';

export function onShutdownSignal(close: () => Promise<void>, log: Logger): void {
  let started = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (started) return;
    started = true;
    log.info('shutdown signal received', { signal });
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('graceful shutdown failed', { error: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
