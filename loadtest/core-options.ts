/**
 * `npm run bench:core -- [options]`: what the core benchmark runs, validated
 * once. Defaults are the configuration the numbers in the issue are quoted at.
 */
import { parseArgs } from 'node:util';
import type { GatewayFlags } from './gateway-process.js';
import { isTargetName, type TargetName } from './targets.js';

export interface CoreBenchOptions {
  gateway: GatewayFlags & { instances: number; intraOpThreads: number };
  targets: TargetName[];
  concurrency: number[];
  /** Rows per request: 1 measures the per-request path; more amortises it, as batching clients do. */
  rowsPerRequest: number;
  /** Unmeasured load per target before its first step, so the gateway is measured in steady state. */
  serverWarmupMs: number;
  warmupMs: number;
  durationMs: number;
  rawWarmupMs: number;
  rawDurationMs: number;
  rawLatencyMs: number;
  grpcConnections: number;
  serverCpus: string | undefined;
  clientCpus: string | undefined;
  gatewayNodeArgs: string[];
  out: string | undefined;
  timeLimitS: number;
  /** Total time the run may spend waiting for other processes to go quiet before measurements. */
  quietWaitS: number;
  /** Extra attempts for a step disturbed by other processes, within the time limit. */
  retries: number;
}

export const CORE_HELP = `usage: npm run bench:core -- [options]
  --instances N            gateway worker threads (sessions) for the model; raw ORT runs as many sessions (default 1)
  --intra-op-threads N     ORT intra-op threads per session, gateway and raw alike (default 1)
  --pipeline-depth N       gateway --pipeline-depth (default: the gateway's)
  --max-batch-size N       gateway --max-batch-size (default: the manifest's, 128)
  --max-queue-delay-us N   gateway --max-queue-delay-us (default: the manifest's, 0)
  --max-queue-size N       gateway --max-queue-size (default: the manifest's)
  --targets LIST           http-binary,http-json,grpc (also: http-binary-node, http-binary-fetch, grpc-js)
  --concurrency LIST       requests in flight per step (default 1,4,16,64,128)
  --rows-per-request N     rows in each request (default 1; e.g. 32 amortises the per-request cost, as batching clients do)
  --server-warmup-ms N     per target, unmeasured load at concurrency 32 before its first step (default 2000)
  --warmup-ms N            per step, not measured (default 1000)
  --duration-ms N          measured window per step (default 3000)
  --raw-duration-ms N      measured window per raw batch size (default 1500)
  --grpc-connections N     HTTP/2 connections the gRPC requests are spread over (default 1)
  --server-cpus LIST       taskset CPU list for the gateway and the raw ORT run (default: all)
  --client-cpus LIST       taskset CPU list for the load client (default: all)
  --gateway-node-args=STR  extra node flags for the gateway, e.g. --gateway-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"
  --out FILE               results JSON (default loadtest/results/core-latest.json)
  --time-limit-s N         hard stop for the whole run; retries of disturbed steps stop 10 s before it (default 150)
  --retries N              extra attempts for a step (or the raw run) disturbed by other processes, time allowing (default 1)
  --quiet-wait-s N         total time to wait, before measurements, for other processes to go quiet (default 15)
`;

function list(raw: string, name: string): number[] {
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--${name} must be a comma-separated list of integers >= 1, got '${raw}'`);
  return values;
}

function int(raw: string | undefined, name: string, fallback: number | undefined, min = 0): number | undefined {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

export function parseCoreOptions(argv: string[]): CoreBenchOptions | 'help' {
  const names = [
    'instances', 'intra-op-threads', 'pipeline-depth', 'max-batch-size', 'max-queue-delay-us', 'max-queue-size', 'targets', 'concurrency', 'rows-per-request', 'server-warmup-ms',
    'warmup-ms', 'duration-ms', 'raw-duration-ms', 'grpc-connections', 'server-cpus', 'client-cpus', 'gateway-node-args', 'out', 'time-limit-s', 'quiet-wait-s', 'retries',
  ];
  const options: Record<string, { type: 'string' } | { type: 'boolean' }> = Object.fromEntries(names.map((name) => [name, { type: 'string' }]));
  options.help = { type: 'boolean' };
  const { values: v } = parseArgs({ args: argv, strict: true, options });
  const s = (name: string): string | undefined => v[name] as string | undefined;
  if (v.help) return 'help';
  const targets = (s('targets') ?? 'http-binary,http-json,grpc').split(',').map((t) => t.trim());
  for (const t of targets) if (!isTargetName(t)) throw new Error(`--targets: unknown target '${t}'`);
  return {
    gateway: {
      instances: int(s('instances'), 'instances', 1, 1)!,
      intraOpThreads: int(s('intra-op-threads'), 'intra-op-threads', 1, 1)!,
      pipelineDepth: int(s('pipeline-depth'), 'pipeline-depth', undefined, 1),
      maxBatchSize: int(s('max-batch-size'), 'max-batch-size', undefined),
      maxQueueDelayUs: int(s('max-queue-delay-us'), 'max-queue-delay-us', undefined),
      maxQueueSize: int(s('max-queue-size'), 'max-queue-size', undefined, 1),
    },
    targets: targets as TargetName[],
    concurrency: list(s('concurrency') ?? '1,4,16,64,128', 'concurrency'),
    rowsPerRequest: int(s('rows-per-request'), 'rows-per-request', 1, 1)!,
    serverWarmupMs: int(s('server-warmup-ms'), 'server-warmup-ms', 2000)!,
    warmupMs: int(s('warmup-ms'), 'warmup-ms', 1000)!,
    durationMs: int(s('duration-ms'), 'duration-ms', 3000, 100)!,
    rawWarmupMs: 300,
    rawDurationMs: int(s('raw-duration-ms'), 'raw-duration-ms', 1500, 100)!,
    rawLatencyMs: 1500,
    grpcConnections: int(s('grpc-connections'), 'grpc-connections', 1, 1)!,
    serverCpus: s('server-cpus'),
    clientCpus: s('client-cpus'),
    gatewayNodeArgs: s('gateway-node-args')?.split(' ').filter(Boolean) ?? [],
    out: s('out'),
    timeLimitS: int(s('time-limit-s'), 'time-limit-s', 150, 20)!,
    quietWaitS: int(s('quiet-wait-s'), 'quiet-wait-s', 15)!,
    retries: int(s('retries'), 'retries', 1)!,
  };
}
