/**
 * Waiting for a quiet machine: on a shared box another process's CPU use
 * shows up as the server's slowness. Before a measurement the benchmark
 * waits (bounded) until the machine's busy CPU, less that of its own
 * processes, stays under a threshold for one sampling window.
 */
import { sampleCpu, sampleMachine } from './proc-cpu.js';

export interface QuietOptions {
  /** Longest wait; the measurement goes ahead (flagged by its own noise figure) after it. */
  maxWaitMs: number;
  /** Busy cores from other processes that still count as quiet. */
  thresholdCores: number;
  /** Our own processes (the idle server and client), not counted as noise. */
  ownPids: readonly number[];
  windowMs?: number;
}

function ownSeconds(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const s = sampleCpu(pid);
    if (s) total += s.mainSeconds + s.otherSeconds;
  }
  return total;
}

/** Resolves with the other processes' busy cores in the last window, and how long it waited. */
export async function waitForQuiet(options: QuietOptions): Promise<{ cores: number; waitedMs: number } | undefined> {
  const windowMs = options.windowMs ?? 500;
  const started = Date.now();
  for (;;) {
    const m0 = sampleMachine();
    const own0 = ownSeconds(options.ownPids) + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const m1 = sampleMachine();
    if (!m0 || !m1) return undefined;
    const own1 = ownSeconds(options.ownPids) + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
    const cores = Math.max(0, (m1.busySeconds - m0.busySeconds - (own1 - own0)) / (windowMs / 1000));
    const waitedMs = Date.now() - started;
    if (cores <= options.thresholdCores || waitedMs >= options.maxWaitMs) return { cores, waitedMs };
  }
}
