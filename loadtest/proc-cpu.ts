/**
 * CPU time of another process, split into its main thread (the event loop of
 * a Node process) and all other threads (worker threads with their ONNX
 * Runtime sessions, GC helpers, libuv), read from Linux /proc
 * (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds). Absent on other systems:
 * then every sample is undefined and the tables leave the columns empty.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSample {
  mainSeconds: number;
  otherSeconds: number;
  /** Per thread id, seconds; to find the busiest worker thread. */
  threads: Map<number, number>;
}

export interface CpuDelta {
  mainSeconds: number;
  otherSeconds: number;
  /** The busiest non-main thread's seconds (the ORT worker, when one instance). */
  busiestWorkerSeconds: number;
}

export function sampleCpu(pid: number): CpuSample | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const threads = new Map<number, number>();
  let mainSeconds = 0;
  let otherSeconds = 0;
  for (const tid of tids) {
    let seconds: number;
    try {
      seconds = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ', 1)[0]) / 1e9;
    } catch {
      continue; // the thread ended between readdir and read
    }
    threads.set(Number(tid), seconds);
    if (Number(tid) === pid) mainSeconds = seconds;
    else otherSeconds += seconds;
  }
  return { mainSeconds, otherSeconds, threads };
}

export function cpuDelta(before: CpuSample | undefined, after: CpuSample | undefined, pid: number): CpuDelta | undefined {
  if (!before || !after) return undefined;
  let busiestWorkerSeconds = 0;
  for (const [tid, seconds] of after.threads) {
    if (tid === pid) continue;
    busiestWorkerSeconds = Math.max(busiestWorkerSeconds, seconds - (before.threads.get(tid) ?? 0));
  }
  return {
    mainSeconds: after.mainSeconds - before.mainSeconds,
    // Threads that ended during the window drop out of `after`; their time is lost, never negative.
    otherSeconds: Math.max(0, after.otherSeconds - before.otherSeconds),
    busiestWorkerSeconds,
  };
}

export interface MachineSample {
  /** Seconds all CPUs spent busy (not idle, not waiting for I/O) since boot. */
  busySeconds: number;
}

/** The whole machine's busy CPU time, from /proc/stat (USER_HZ ticks, 100 per second on Linux). */
export function sampleMachine(): MachineSample | undefined {
  let line: string;
  try {
    line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
  } catch {
    return undefined;
  }
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already counted in user
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busySeconds: (total - idle) / 100 };
}
