/**
 * One measured load step as plain data: what to run (target, concurrency,
 * window) and what came out (throughput, latency summary and the encoded
 * HDR histogram, client and server CPU, the server's batch sizes). It is what
 * crosses from the client process to the benchmark, and what is written to
 * the results JSON.
 */
import { runClosedLoop, type ClosedLoopResult } from './closed-loop.js';
import { runOpenLoop } from './open-loop.js';
import { batchStats, scrapeBatchCounters, type BatchStats, type GatewayCounters } from './gateway-metrics.js';
import { encodeHistogram, summarize, type LatencySummary } from './hdr.js';
import { buildPayload, type PayloadSpec } from './payload.js';
import { cpuDelta, sampleCpu, sampleMachine, sampleProcStat, type CpuDelta, type CpuSample, type MachineSample, type ProcStatCpu } from './proc-cpu.js';
import { makeClient, type Endpoints, type TargetName } from './targets.js';

export interface LoadStep {
  target: TargetName;
  endpoints: Endpoints;
  payload: PayloadSpec;
  concurrency: number;
  /** HTTP/2 clients: connections to spread the requests over (default 1). */
  connections?: number;
  warmupMs: number;
  durationMs: number;
  /** Open loop: requests per second on a fixed schedule (then `concurrency` is ignored). Absent: closed loop. */
  rate?: number;
  /** Open loop: cap on requests outstanding, overflow counted as `client_overflow` (default 1024). */
  maxInflight?: number;
  /** The server process, to read its CPU and batch counters at the window's edges. */
  server?: { pid: number; metricsUrl?: string; model: string };
}

export interface LoadStepResult {
  target: TargetName;
  mode: 'closed' | 'open';
  /** Closed loop: requests in flight. Open loop: peak requests outstanding. */
  concurrency: number;
  /** Open loop: scheduled requests per second, and how many were scheduled in the window. */
  rate?: number;
  scheduled?: number;
  /** Open loop: latency of the error answers (e.g. 429s), scheduled send → answer. */
  errorLatency?: LatencySummary;
  /** Open loop: largest client-side delay of a send behind its schedule, ms (counted in latency). */
  maxSendLagMs?: number;
  connections: number;
  requests: number;
  errors: Record<string, number>;
  seconds: number;
  requestsPerSecond: number;
  rowsPerSecond: number;
  latency: LatencySummary;
  /** hdr-histogram-js compressed base64, µs. */
  histogram: string;
  /** Client process CPU per successful request, µs. */
  clientCpuUsPerRequest: number;
  /** Server CPU during the window, seconds per wall second (cores). */
  serverCpu?: { main: number; other: number; busiestWorker: number };
  /** Server CPU during the window, all its threads (live or ended; /proc/<pid>/stat, 10 ms ticks), seconds. */
  serverCpuSeconds?: number;
  /** Server main-thread CPU per successful request, µs. */
  serverMainUsPerRequest?: number;
  batch?: BatchStats;
  /**
   * CPU cores used during the window by everything but this client and the
   * server (other processes on the machine): noise when well above 0.
   */
  backgroundCores?: number;
  /** How many times the step was measured (the benchmark may retry a disturbed one); the quietest attempt is reported. */
  attempts?: number;
}

export async function runLoadStep(step: LoadStep): Promise<LoadStepResult> {
  const payload = buildPayload(step.payload);
  const client = makeClient(step.target, step.endpoints, payload);
  const server = step.server;
  let cpuBefore: CpuSample | undefined;
  let cpuAfter: CpuSample | undefined;
  let statBefore: ProcStatCpu | undefined;
  let statAfter: ProcStatCpu | undefined;
  let machineBefore: MachineSample | undefined;
  let machineAfter: MachineSample | undefined;
  let countersBefore: Promise<GatewayCounters | undefined> = Promise.resolve(undefined);
  let countersAfter: Promise<GatewayCounters | undefined> = Promise.resolve(undefined);
  const onWindow = (edge: 'start' | 'end'): void => {
    if (edge === 'start') machineBefore = sampleMachine();
    else machineAfter = sampleMachine();
    if (!server) return;
    const cpu = sampleCpu(server.pid);
    const stat = sampleProcStat(server.pid);
    const counters = server.metricsUrl ? scrapeBatchCounters(server.metricsUrl, server.model) : Promise.resolve(undefined);
    if (edge === 'start') [cpuBefore, statBefore, countersBefore] = [cpu, stat, counters];
    else [cpuAfter, statAfter, countersAfter] = [cpu, stat, counters];
  };
  const common = { client, warmupMs: step.warmupMs, durationMs: step.durationMs, rowsPerRequest: step.payload.rows, onWindow };
  let open: Awaited<ReturnType<typeof runOpenLoop>> | undefined;
  let result: Omit<ClosedLoopResult, 'concurrency' | 'connections'> & { concurrency: number; connections: number };
  if (step.rate !== undefined) {
    open = await runOpenLoop({ ...common, rate: step.rate, maxInflight: step.maxInflight ?? 1024 });
    result = { ...open, concurrency: open.peakInflight };
  } else result = await runClosedLoop({ ...common, concurrency: step.concurrency, connections: step.connections });
  const cpu: CpuDelta | undefined = server ? cpuDelta(cpuBefore, cpuAfter, server.pid) : undefined;
  const batch = batchStats(await countersBefore, await countersAfter, result.seconds);
  const machineBusy = machineBefore && machineAfter ? machineAfter.busySeconds - machineBefore.busySeconds : undefined;
  const backgroundCores =
    machineBusy === undefined || (server && !cpu) ? undefined : Math.max(0, (machineBusy - result.clientCpuSeconds - (cpu ? cpu.mainSeconds + cpu.otherSeconds : 0)) / result.seconds);
  const perRequestUs = (seconds: number): number => (result.requests > 0 ? Math.round((seconds / result.requests) * 1e7) / 10 : 0);
  return {
    target: step.target,
    mode: open ? 'open' : 'closed',
    concurrency: result.concurrency,
    ...(open && { rate: open.rate, scheduled: open.scheduled, errorLatency: summarize(open.errorHistogram), maxSendLagMs: open.maxSendLagMs }),
    connections: result.connections,
    requests: result.requests,
    errors: result.errors,
    seconds: result.seconds,
    requestsPerSecond: result.requestsPerSecond,
    rowsPerSecond: result.rowsPerSecond,
    latency: summarize(result.histogram),
    histogram: encodeHistogram(result.histogram),
    clientCpuUsPerRequest: perRequestUs(result.clientCpuSeconds),
    serverCpu: cpu && { main: cpu.mainSeconds / result.seconds, other: cpu.otherSeconds / result.seconds, busiestWorker: cpu.busiestWorkerSeconds / result.seconds },
    serverCpuSeconds: statBefore && statAfter ? statAfter.ownSeconds - statBefore.ownSeconds : undefined,
    serverMainUsPerRequest: cpu && perRequestUs(cpu.mainSeconds),
    batch,
    backgroundCores,
  };
}

/** One request decoded in full through the target's client: the first output's values. */
export async function probeTarget(target: TargetName, endpoints: Endpoints, payload: PayloadSpec): Promise<number[]> {
  return Array.from(await makeClient(target, endpoints, buildPayload(payload)).probe());
}
