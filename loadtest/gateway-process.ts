/**
 * The gateway under test as a child process (`switchyard gateway`), started
 * exactly as an operator would, on loopback ports free at the time (given
 * explicitly: a gateway with several shards on one port cannot use port 0),
 * ready once it logs "gateway ready". Its log is kept (the tail is shown on
 * failure). Its --help says which flags this build takes.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePorts } from './free-port.js';
import { readyEntry } from './ready-line.js';
import { spawnNode, stopChild } from './spawn-node.js';

export interface GatewayFlags {
  /** The sharded gateway's shard threads (absent from builds before it). */
  shards?: number;
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
  shards: '--shards',
  instances: '--instances',
  intraOpThreads: '--intra-op-threads',
  pipelineDepth: '--pipeline-depth',
  maxBatchSize: '--max-batch-size',
  maxQueueDelayUs: '--max-queue-delay-us',
  maxQueueSize: '--max-queue-size',
};
const LOG_LINES = 40;

const OS_CHOSEN: GatewayPorts = { http: 0, grpc: 0, metrics: 0 };

/** The command-line flags for `flags`, e.g. ['--intra-op-threads', '1']. */
export function flagArgs(flags: GatewayFlags): string[] {
  const args: string[] = [];
  for (const [key, flag] of Object.entries(FLAG_NAMES) as Array<[keyof GatewayFlags, string]>) {
    const value = flags[key];
    if (value !== undefined) args.push(flag, String(value));
  }
  return args;
}

export function gatewayArgs(repository: string, flags: GatewayFlags, ports: GatewayPorts = OS_CHOSEN): string[] {
  return ['gateway', '--repository', repository, '--host', '127.0.0.1', '--http-port', String(ports.http), '--grpc-port', String(ports.grpc), '--metrics-port', String(ports.metrics), ...flagArgs(flags)];
}

/** Every `--flag` that `switchyard gateway --help` names. */
export async function gatewayHelpFlags(): Promise<Set<string>> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'gateway', '--help'], { timeout: 30_000 });
  return new Set(`${stdout}\n${stderr}`.match(/--[a-z][a-z0-9-]*/g));
}

/** `flags` less those this gateway does not list, and the flags dropped. */
export function listedFlags(flags: GatewayFlags, listed: ReadonlySet<string>): { flags: GatewayFlags; dropped: string[] } {
  const kept: GatewayFlags = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(flags) as Array<[keyof GatewayFlags, number | undefined]>) {
    if (value === undefined) continue;
    if (listed.has(FLAG_NAMES[key])) kept[key] = value;
    else dropped.push(`${FLAG_NAMES[key]} ${value}`);
  }
  return { flags: kept, dropped };
}

export class GatewayProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly ports: GatewayPorts,
    private readonly log: string[],
  ) {}

  static async start(options: GatewayProcessOptions): Promise<GatewayProcess> {
    const [http, grpc, metrics] = await freePorts(3);
    const ports = { http: http!, grpc: grpc!, metrics: metrics! };
    const child = spawnNode(CLI, gatewayArgs(options.repository, options.flags, ports), {
      cpus: options.cpus,
      nodeArgs: options.nodeArgs,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'info' },
    });
    const log: string[] = [];
    await readyEntry(child, 'gateway ready', options.startTimeoutMs ?? 30_000, log, LOG_LINES);
    return new GatewayProcess(child, ports, log);
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
