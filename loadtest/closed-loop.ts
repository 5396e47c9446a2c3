/**
 * Closed-loop load: `concurrency` requests are always in flight; each answer
 * sends the next request on the same connection at once. After a warm-up,
 * requests answered inside a fixed window are counted and their latency
 * (send → complete answer) recorded in an HDR histogram. Throughput and
 * latency are those of the server at that concurrency; an open-loop driver
 * (fixed arrival rate) reuses the same clients.
 */
import { performance } from 'node:perf_hooks';
import type { InferClient, InferConnection } from './clients/types.js';
import { latencyHistogram, recordMs, type Histogram } from './hdr.js';

export interface ClosedLoopOptions {
  client: InferClient;
  concurrency: number;
  /** For multiplexing clients (HTTP/2): connections the requests are spread over. Default 1. HTTP/1.1 always opens one per request in flight. */
  connections?: number;
  warmupMs: number;
  durationMs: number;
  /** Rows carried by one request, for rows/s. */
  rowsPerRequest: number;
  /** Called synchronously at the start and at the end of the measured window (e.g. to sample server CPU). */
  onWindow?: (edge: 'start' | 'end') => void;
  /** Longest wait for the requests still in flight after the window, before connections are closed anyway. */
  drainMs?: number;
}

/** What one measured window of load gives, closed or open loop. */
export interface LoadWindowResult {
  label: string;
  connections: number;
  /** Successful answers inside the window. */
  requests: number;
  errors: Record<string, number>;
  seconds: number;
  requestsPerSecond: number;
  rowsPerSecond: number;
  /** Latency of the successful answers, µs (open loop: from the scheduled send). */
  histogram: Histogram;
  /** CPU this (client) process used during the window: user + system seconds. */
  clientCpuSeconds: number;
}

export interface ClosedLoopResult extends LoadWindowResult {
  concurrency: number;
}

const WARMUP = 0;
const MEASURING = 1;
const STOPPING = 2;

export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const { client, concurrency } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be an integer >= 1, got ${concurrency}`);
  const connections = await openConnections(client, concurrency, options.connections ?? 1);
  const histogram = latencyHistogram();
  const errors: Record<string, number> = {};
  let phase = WARMUP;
  let ok = 0;
  let active = 0;
  let drained: () => void = () => {};

  const lane = (connection: InferConnection): void => {
    const sent = performance.now();
    connection.send((outcome) => {
      if (phase === MEASURING) {
        if (outcome === undefined) {
          ok++;
          recordMs(histogram, performance.now() - sent);
        } else errors[outcome] = (errors[outcome] ?? 0) + 1;
      }
      if (phase !== STOPPING && connection.alive) lane(connection);
      else if (--active === 0) drained();
    });
  };

  for (let i = 0; i < concurrency; i++) {
    active++;
    lane(connections[i % connections.length]!);
  }

  await sleep(options.warmupMs);
  options.onWindow?.('start');
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  phase = MEASURING;
  await sleep(options.durationMs);
  phase = STOPPING;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  options.onWindow?.('end');

  if (active > 0) {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      drained = resolve;
      timer = setTimeout(resolve, options.drainMs ?? 5_000);
    });
    clearTimeout(timer);
  }
  for (const c of connections) c.close();
  return {
    label: client.label,
    concurrency,
    connections: connections.length,
    requests: ok,
    errors,
    seconds,
    requestsPerSecond: ok / seconds,
    rowsPerSecond: (ok * options.rowsPerRequest) / seconds,
    histogram,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

async function openConnections(client: InferClient, concurrency: number, wanted: number): Promise<InferConnection[]> {
  const first = await client.connect();
  const perConnection = first.maxInflight === 1 ? 1 : Math.min(first.maxInflight, Math.ceil(concurrency / Math.max(1, wanted)));
  const count = Math.ceil(concurrency / perConnection);
  const rest = await Promise.all(Array.from({ length: count - 1 }, () => client.connect()));
  return [first, ...rest];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
