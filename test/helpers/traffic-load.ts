/** Starts the open-loop load client (traffic-load-main.ts) in a child process and collects its records. */
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export interface LoadConfig {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Request paths, used in turn (request i goes to paths[i % paths.length]). */
  paths: string[];
  headers?: Record<string, string>;
  /** Request bodies, used in turn. */
  bodies: string[];
  /** Requests per second. */
  rate: number;
  durationMs: number;
  connections: number;
}

/** One entry per answered request in the parallel arrays; connection failures only in `errors`. */
export interface LoadResult {
  /** When the client issued the request (on schedule, to the 2-ms tick): latency counts from here, waiting for a free connection included. */
  dueAt: number[];
  /** When it was written to a connection (which policy can have routed it is decided by this). */
  sentAt: number[];
  doneAt: number[];
  status: number[];
  /** x-switchyard-model-version of the answer ('' when absent). */
  version: string[];
  /** Index into `paths` of the request. */
  target: number[];
  /** Failures by kind: "http <status>: <body>" or "connection: <message>". */
  errors: Record<string, number>;
  /** Due requests not sent because a second of backlog had built up in the client. */
  skipped: number;
  reconnects: number;
  startedAt: number;
  endedAt: number;
}

export interface RunningLoad {
  /** Epoch ms at which the client started sending. */
  startedAt: number;
  /** Resolves when the client has sent for its duration and every answer is in. */
  result: Promise<LoadResult>;
  kill(): void;
}

/** The clock the load client stamps records with: epoch ms with sub-ms precision. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

const MAIN = fileURLToPath(new URL('./traffic-load-main.js', import.meta.url));

export async function startLoad(config: LoadConfig): Promise<RunningLoad> {
  const child = fork(MAIN, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let startedAt: (at: number) => void = () => {};
  const started = new Promise<number>((resolve) => (startedAt = resolve));
  const result = new Promise<LoadResult>((resolve, reject) => {
    child.on('message', (message: { type: string; at?: number; result?: LoadResult }) => {
      if (message.type === 'started') startedAt(message.at!);
      if (message.type === 'result') resolve(message.result!);
    });
    child.once('exit', (code, signal) => reject(new Error(`load client exited (${code ?? signal}) without a result`)));
    child.once('error', reject);
  });
  result.catch(() => {});
  return { startedAt: await Promise.race([started, result.then(() => NaN)]), result, kill: () => child.kill('SIGKILL') };
}
