/**
 * h2load (nghttp2's HTTP/2 load client, C) as a closed-loop gRPC load client:
 * `-c connections -m streams` keeps connections × streams unary calls in
 * flight, each POSTing the same body file (one gRPC-framed message) with
 * `content-type: application/grpc` and `te: trailers`. Latency comes from its
 * per-request log (`--log-file`: start µs, HTTP status or -1 for a failed
 * stream, duration µs), as exact percentiles; h2load's own figures are sampled.
 * h2load never reads grpc-status (a trailer): a refused call is an HTTP 200
 * here, so the gateway's own outcome counters say which calls failed.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { countError, type ClientWindow } from './client-window.js';

const run = promisify(execFile);

const UNITS: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

export interface H2loadLog {
  /** Durations of the answered requests (any HTTP status), µs. */
  latenciesUs: Float64Array;
  /** Answered requests by HTTP status. */
  statuses: Map<number, number>;
  /** Streams that failed (status -1: reset, connection lost). */
  failed: number;
}

/** Reads h2load's per-request log: `start_us \t status \t duration_us` per line. */
export function parseH2loadLog(text: string): H2loadLog {
  const lines = text.split('\n').filter((l) => l !== '');
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let failed = 0;
  for (const line of lines) {
    const [, status, duration] = line.split('\t');
    const code = Number(status);
    if (duration === undefined || !Number.isInteger(code)) throw new Error(`not an h2load log line: ${line}`);
    if (code < 0) {
      failed++;
      continue;
    }
    statuses.set(code, (statuses.get(code) ?? 0) + 1);
    latencies.push(Number(duration));
  }
  return { latenciesUs: Float64Array.from(latencies).sort(), statuses, failed };
}

/** Nearest-rank percentile of ascending values (0 when empty). */
export function percentileOfSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

/** The measured duration h2load printed ("finished in 3.00s, ..."), seconds. */
export function parseH2loadSeconds(stdout: string): number {
  const m = /^finished in ([\d.]+)(us|ms|s|m|h),/m.exec(stdout);
  if (!m) throw new Error(`h2load printed no "finished in" line:\n${stdout.slice(-2000)}`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** The window of one h2load run, from its stdout and its log. */
export function h2loadWindow(stdout: string, log: H2loadLog, connections: number): ClientWindow {
  const errors: Record<string, number> = {};
  let ok = 0;
  for (const [status, n] of log.statuses) {
    if (status >= 200 && status < 300) ok += n;
    else countError(errors, `http ${status}`, n);
  }
  countError(errors, 'stream failed', log.failed);
  const timeouts = /^requests: .*, (\d+) timeout$/m.exec(stdout);
  countError(errors, 'timeout', Number(timeouts?.[1] ?? 0));
  const at = (p: number): number => percentileOfSorted(log.latenciesUs, p);
  return {
    client: 'h2load',
    connections,
    requests: ok,
    errors,
    seconds: parseH2loadSeconds(stdout),
    p50Us: at(50),
    p90Us: at(90),
    p99Us: at(99),
    p999Us: at(99.9),
    maxUs: at(100),
  };
}

export interface H2loadRun {
  url: string;
  bodyFile: string;
  /** Request headers beside h2load's own (gRPC: content-type, te). */
  headers: Record<string, string>;
  connections: number;
  /** Streams in flight per connection. */
  streams: number;
  /** Whole seconds. */
  seconds: number;
  /** Where the per-request log goes; undefined: no log (a warm-up). */
  logFile?: string;
}

/** One h2load run on one thread; the window, or undefined for a run without a log. */
export async function runH2load(options: H2loadRun): Promise<ClientWindow | undefined> {
  const args = ['-t1', `-c${options.connections}`, `-m${options.streams}`, `-D${Math.max(1, Math.round(options.seconds))}`, '-d', options.bodyFile];
  for (const [name, value] of Object.entries(options.headers)) args.push('-H', `${name}: ${value}`);
  if (options.logFile) args.push(`--log-file=${options.logFile}`);
  const { stdout } = await run('h2load', [...args, options.url], { timeout: (options.seconds + 30) * 1000, maxBuffer: 1 << 20 });
  if (!options.logFile) return undefined;
  return h2loadWindow(stdout, parseH2loadLog(await readFile(options.logFile, 'latin1')), options.connections);
}
