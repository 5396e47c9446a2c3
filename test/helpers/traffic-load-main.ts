/**
 * An open-loop load client as its own process (forked with IPC by
 * `startLoad`), so that on a small machine the client's CPU is not taken from
 * the gateway's event loop: requests are issued at a fixed rate over
 * keep-alive connections, and every answer is recorded with its due, send and
 * completion times (epoch ms, sub-ms precision, the same clock as the parent's
 * `epochNow()`), its status and the version that answered.
 *
 * When all connections are busy, requests wait in the client; once more than a
 * second of backlog has built up, due requests are skipped (counted) rather
 * than queued without bound: the achieved rate is then what the machine could do.
 */
import { performance } from 'node:perf_hooks';
import { KeepAlivePool } from './keepalive-http.js';
import type { LoadConfig, LoadResult } from './traffic-load.js';

const config = JSON.parse(process.argv[2]!) as LoadConfig;
const now = (): number => performance.timeOrigin + performance.now();
const pool = new KeepAlivePool(config.url, config.connections);
const bodies = config.bodies.map((b) => Buffer.from(b));
const result: LoadResult = { dueAt: [], sentAt: [], doneAt: [], status: [], version: [], target: [], errors: {}, skipped: 0, reconnects: 0, startedAt: 0, endedAt: 0 };

let sent = 0;
let outstanding = 0;
let finished: () => void = () => {};

function fire(): void {
  const i = sent++;
  outstanding++;
  const dueAt = now();
  pool
    .request({ path: config.paths[i % config.paths.length]!, headers: { 'Content-Type': 'application/json', ...config.headers }, body: bodies[i % bodies.length]! })
    .then(
      (reply) => {
        result.dueAt.push(dueAt);
        result.sentAt.push(reply.sentAt);
        result.doneAt.push(now());
        result.status.push(reply.status);
        result.version.push(reply.headers['x-switchyard-model-version'] ?? '');
        result.target.push(i % config.paths.length);
        if (reply.status !== 200) {
          const key = `http ${reply.status} (${config.paths[i % config.paths.length]}): ${reply.body.toString('utf8').slice(0, 200)}`;
          result.errors[key] = (result.errors[key] ?? 0) + 1;
        }
      },
      (err: Error) => {
        const key = `connection (${config.paths[i % config.paths.length]}): ${err.message}`;
        result.errors[key] = (result.errors[key] ?? 0) + 1;
      },
    )
    .finally(() => {
      outstanding--;
      if (outstanding === 0) finished();
    });
}

result.startedAt = now();
process.send!({ type: 'started', at: result.startedAt });
let issued = 0;
const timer = setInterval(() => {
  const elapsed = now() - result.startedAt;
  const due = Math.floor((Math.min(elapsed, config.durationMs) * config.rate) / 1000);
  while (issued < due) {
    issued++;
    if (pool.queued > config.rate) result.skipped++;
    else fire();
  }
  if (elapsed >= config.durationMs) {
    clearInterval(timer);
    result.endedAt = now();
    const done = new Promise<void>((resolve) => (finished = resolve));
    void (outstanding === 0 ? Promise.resolve() : done).then(() => {
      result.reconnects = pool.reconnects;
      pool.close();
      process.send!({ type: 'result', result }, () => process.exit(0));
    });
  }
}, 2);
