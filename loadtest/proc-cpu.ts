/**
 * CPU time of another process, split into its main thread (the event loop of
 * a Node process) and all other threads (worker threads with their ONNX
 * Runtime sessions, GC helpers, libuv), read from Linux /proc
 * (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds); a process's total over
 * every thread it has had (`/proc/<pid>/stat`); the machine's busy time
 * (`/proc/stat`). Absent on other systems: then every sample is undefined and
 * the tables leave the columns empty.
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

/** /proc reports times in USER_HZ ticks, which Linux fixes at 100 per second whatever the kernel's own HZ. */
const TICKS_PER_SECOND = 100;

export interface ProcStatCpu {
  /** utime + stime of the process: all its threads, live or ended, seconds. */
  ownSeconds: number;
  /** cutime + cstime: its children that have exited and been waited for, seconds. */
  childrenSeconds: number;
}

/** The CPU fields of a /proc/<pid>/stat line (fields 14-17; the command name before them may hold spaces and parentheses). */
export function parseProcStat(line: string): ProcStatCpu {
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  if ([utime, stime, cutime, cstime].some((n) => n === undefined || !Number.isFinite(n))) throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 120)}`);
  return { ownSeconds: (utime! + stime!) / TICKS_PER_SECOND, childrenSeconds: (cutime! + cstime!) / TICKS_PER_SECOND };
}

/** A process's CPU from /proc/<pid>/stat ('self': this process); undefined once it is gone or off Linux. */
export function sampleProcStat(pid: number | 'self'): ProcStatCpu | undefined {
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  return parseProcStat(line);
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
