/**
 * What a server did during a measured window driven by an external client
 * (wrk, h2load): samples taken just before the client starts and just after it
 * exits — the server is idle outside its run — and their differences: the
 * server's CPU over all its threads (/proc/<pid>/stat), the client's (this
 * process's reaped children: the client is the only one that ends inside the
 * window), everything else's on the machine (noise), and from the gateway's
 * /metrics the mean batch and the requests by outcome.
 */
import { batchCounters, fetchMetrics, requestOutcomes, type MetricSample } from './gateway-metrics.js';
import { sampleMachine, sampleProcStat, type MachineSample, type ProcStatCpu } from './proc-cpu.js';

export interface ServerRef {
  pid: number;
  /** The gateway's /metrics; absent for servers without one. */
  metricsUrl?: string;
  model: string;
}

export interface EdgeSample {
  /** performance.now(), ms. */
  at: number;
  server?: ProcStatCpu;
  self?: ProcStatCpu;
  machine?: MachineSample;
  metrics?: MetricSample[];
}

export interface ServerWindow {
  serverCpuSeconds?: number;
  clientCpuSeconds?: number;
  /** Cores busy with other processes during the window: noise when well above 0. */
  otherCores?: number;
  /** Rows per ONNX run (gateway). */
  meanBatch?: number;
  /** Requests answered by outcome (gateway: OK or an SY_ERR_* code) over the window, for the given protocol. */
  outcomes?: Record<string, number>;
}

function sampleCpu(server: ServerRef): Pick<EdgeSample, 'at' | 'server' | 'self' | 'machine'> {
  return { at: performance.now(), server: sampleProcStat(server.pid), self: sampleProcStat('self'), machine: sampleMachine() };
}

/** At the start the scrape comes first and at the end last, so the cost of serving /metrics stays outside the CPU window. */
export async function sampleEdge(server: ServerRef, edge: 'start' | 'end'): Promise<EdgeSample> {
  const scrape = async (): Promise<MetricSample[] | undefined> => (server.metricsUrl ? fetchMetrics(server.metricsUrl) : undefined);
  if (edge === 'start') {
    const metrics = await scrape();
    return { ...sampleCpu(server), metrics };
  }
  const cpu = sampleCpu(server);
  return { ...cpu, metrics: await scrape() };
}

function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const d = value - (before[key] ?? 0);
    if (d > 0) out[key] = d;
  }
  return out;
}

export function serverWindow(before: EdgeSample, after: EdgeSample, model: string, protocol: 'http' | 'grpc'): ServerWindow {
  const window: ServerWindow = {};
  if (before.server && after.server) window.serverCpuSeconds = after.server.ownSeconds - before.server.ownSeconds;
  if (before.self && after.self) window.clientCpuSeconds = after.self.childrenSeconds - before.self.childrenSeconds;
  if (before.machine && after.machine && before.self && after.self && window.serverCpuSeconds !== undefined) {
    const ours = window.serverCpuSeconds + window.clientCpuSeconds! + (after.self.ownSeconds - before.self.ownSeconds);
    const seconds = (after.at - before.at) / 1000;
    window.otherCores = Math.max(0, (after.machine.busySeconds - before.machine.busySeconds - ours) / seconds);
  }
  if (before.metrics && after.metrics) {
    const b = batchCounters(before.metrics, model);
    const a = batchCounters(after.metrics, model);
    if (a.batches > b.batches) window.meanBatch = (a.rows - b.rows) / (a.batches - b.batches);
    window.outcomes = delta(requestOutcomes(before.metrics, model, protocol), requestOutcomes(after.metrics, model, protocol));
  }
  return window;
}
