/**
 * The gateway under test as a child process (`switchyard gateway`), started
 * exactly as an operator would, with OS-chosen ports read back from its
 * "gateway ready" log line. Its log is kept (the tail is shown on failure).
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readyEntry } from './ready-line.js';
import { spawnNode, stopChild } from './spawn-node.js';

export interface GatewayFlags {
  instances?: number;
  intraOpThreads?: number;
  pipelineDepth?: number;
  maxBatchSize?: number;
  maxQueueDelayUs?: number;
  maxQueueSize?: number;
}

export interface GatewayProcessOptions {
  repository: string;
  flags: GatewayFlags;
  cpus?: string;
  nodeArgs?: string[];
  startTimeoutMs?: number;
}

export interface GatewayPorts {
  http: number;
  grpc: number;
  metrics: number;
}

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const FLAG_NAMES: Record<keyof GatewayFlags, string> = {
  instances: '--instances',
  intraOpThreads: '--intra-op-threads',
  pipelineDepth: '--pipeline-depth',
  maxBatchSize: '--max-batch-size',
  maxQueueDelayUs: '--max-queue-delay-us',
  maxQueueSize: '--max-queue-size',
};
const LOG_LINES = 40;

export function gatewayArgs(repository: string, flags: GatewayFlags): string[] {
  const args = ['gateway', '-r', repository, '--host', '127.0.0.1', '--http-port', '0', '--grpc-port', '0', '--metrics-port', '0'];
  for (const [key, flag] of Object.entries(FLAG_NAMES) as Array<[keyof GatewayFlags, string]>) {
    const value = flags[key];
    if (value !== undefined) args.push(flag, String(value));
  }
  return args;
}

export class GatewayProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly ports: GatewayPorts,
    private readonly log: string[],
  ) {}

  static start(options: GatewayProcessOptions): Promise<GatewayProcess> {
    const child = spawnNode(CLI, gatewayArgs(options.repository, options.flags), {
      cpus: options.cpus,
      nodeArgs: options.nodeArgs,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'info' },
    });
    const log: string[] = [];
    return readyEntry(child, 'gateway ready', options.startTimeoutMs ?? 30_000, log, LOG_LINES).then((entry) => {
      const { http, grpc, metrics } = entry as { http: number; grpc: number; metrics: number };
      return new GatewayProcess(child, { http, grpc, metrics }, log);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.ports.metrics}/metrics`;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  logTail(): string {
    return this.log.join('\n');
  }

  /** Graceful (SIGTERM: drain, and --cpu-prof profiles are written), SIGKILL after 10 s. */
  stop(): Promise<void> {
    return stopChild(this.child, 10_000);
  }
}
