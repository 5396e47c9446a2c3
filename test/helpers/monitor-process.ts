/**
 * `switchyard monitor` as a real child process (dist/cli/main.js), for end-to-end tests that
 * must kill it: started exactly as an operator would, ready when its "monitor ready" log line
 * names the bound ports. Its status API and /metrics are read over HTTP. The log is kept (the
 * tail is shown when it fails to start).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { readyEntry } from '../../loadtest/ready-line.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const LOG_LINES = 60;

export interface MonitorProcess {
  readonly pid: number;
  readonly http: string;
  /** host:port of the gRPC ingest, or null when it is off (--no-grpc). */
  readonly grpc: string | null;
  /** The last lines of its log (stderr). */
  logTail(): string;
  /** GET /api/v1/status. */
  status(): Promise<any>;
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
  /** SIGKILL: no drain, no flush; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (drain, exit 0), SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** A TCP port free on 127.0.0.1 right now (for a process that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startMonitorProcess(args: readonly string[], startTimeoutMs = 20_000): Promise<MonitorProcess> {
  const child = spawn(process.execPath, [CLI, 'monitor', '--host', '127.0.0.1', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'info' },
  });
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const entry = (await readyEntry(child, 'monitor ready', startTimeoutMs, log, LOG_LINES)) as { http: number; grpc: number | null };
  const ports = { http: entry.http, grpc: entry.grpc };
  return handle(child, ports, log, exited);
}

function handle(child: ChildProcess, ports: { http: number; grpc: number | null }, log: string[], exited: Promise<number | null>): MonitorProcess {
  const http = `http://127.0.0.1:${ports.http}`;
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid!,
    http,
    grpc: ports.grpc === null ? null : `127.0.0.1:${ports.grpc}`,
    logTail: () => log.join('\n'),
    status: async () => (await fetch(`${http}/api/v1/status`)).json(),
    metrics: async () => (await fetch(`${http}/metrics`)).text(),
    kill: async () => {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    stop: async (graceMs = 10_000) => {
      if (gone()) return exited;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * The sum of the samples of a series in Prometheus text whose labels include `labels`
 * (0 when there is none): `seriesSum(text, 'switchyard_monitor_records_total', { kind: 'prediction' })`.
 */
export function seriesSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const found: Record<string, string> = {};
    if (rest[0] === '{') for (const [, k, v] of rest.slice(1, rest.indexOf('}')).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[k!] = v!;
    if (!Object.entries(labels).every(([k, v]) => found[k] === v)) continue;
    sum += Number(rest.slice(rest.lastIndexOf(' ') + 1));
  }
  return sum;
}
