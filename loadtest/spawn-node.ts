/**
 * Starting the benchmark's Node child processes on chosen CPUs: `taskset -c
 * <cpus> node ...` when a CPU list is given (taskset execs, so the child's
 * pid is node's own), plain `node ...` otherwise.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';

export interface NodeChildOptions {
  /** CPU list for taskset, e.g. "1" or "0,1"; undefined: no pinning. */
  cpus?: string;
  /** Extra node flags, e.g. ["--cpu-prof", "--cpu-prof-dir=..."]. */
  nodeArgs?: string[];
  stdio: StdioOptions;
  env?: NodeJS.ProcessEnv;
}

let tasksetChecked: boolean | undefined;
/** Every child started here and not yet exited, so a watchdog can stop them all. */
const live = new Set<ChildProcess>();

export function tasksetAvailable(): boolean {
  tasksetChecked ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return tasksetChecked;
}

export function spawnNode(script: string, args: readonly string[], options: NodeChildOptions): ChildProcess {
  const node = [process.execPath, ...(options.nodeArgs ?? []), script, ...args];
  const pinned = options.cpus !== undefined && tasksetAvailable();
  const [command, ...argv] = pinned ? ['taskset', '-c', options.cpus!, ...node] : node;
  const child = spawn(command!, argv, { stdio: options.stdio, env: options.env ?? process.env });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Stops every child still running (for a time limit or a fatal error). */
export function stopAllChildren(graceMs = 2_000): Promise<void> {
  return Promise.all([...live].map((c) => stopChild(c, graceMs))).then(() => {});
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
