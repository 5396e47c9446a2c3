/**
 * The raw ONNX Runtime ceiling the gateway is compared with: N sessions (the
 * gateway's instance count) in N worker threads with the gateway's session
 * options, all running the same batch size at once; rows/s summed over them,
 * and the process's CPU per row over the same window, at each batch size. Plus
 * the single-row latency of one session alone, the floor under the gateway's
 * latency at concurrency 1.
 */
import { Worker } from 'node:worker_threads';
import { decodeHistogram, summarize, type LatencySummary } from './hdr.js';
import type { PayloadSpec } from './payload.js';
import type { RawWorkerData, RawWorkerReply, RawWorkerRequest } from './raw-ort-worker.js';

export interface RawOrtOptions {
  model: Uint8Array;
  instances: number;
  intraOpThreads: number;
  input: string;
  output: string;
  width: number;
  batches: readonly number[];
  warmupMs: number;
  durationMs: number;
  latencyMs: number;
  /** The row the gateway is probed with: its output is the reference answer. */
  probe: PayloadSpec;
}

export interface RawBatchFigure {
  batch: number;
  rowsPerSecond: number;
  /** Mean time of one run on one session, µs. */
  usPerRun: number;
  /** CPU of the whole process (every session, ORT's threads) over the timed window, per row, µs. */
  cpuUsPerRow: number;
}

export interface RawOrtResult {
  instances: number;
  intraOpThreads: number;
  batches: RawBatchFigure[];
  best: RawBatchFigure;
  singleRow: LatencySummary;
  singleRowHistogram: string;
  reference: number[];
  /** CPU cores other processes used meanwhile (set by raw-ort-main.ts): noise when well above 0. */
  backgroundCores?: number;
}

class RawWorker {
  private readonly worker: Worker;
  private waiting: { resolve(r: RawWorkerReply): void; reject(e: Error): void } | undefined;
  readonly ready: Promise<RawWorkerReply>;

  constructor(data: RawWorkerData) {
    this.worker = new Worker(new URL('./raw-ort-worker.js', import.meta.url), { workerData: data });
    this.ready = this.next();
    this.worker.on('message', (reply: RawWorkerReply) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (reply.kind === 'error') w?.reject(new Error(`raw ORT worker: ${reply.message}`));
      else w?.resolve(reply);
    });
    this.worker.on('error', (err) => this.waiting?.reject(err));
  }

  ask<K extends RawWorkerReply['kind']>(request: RawWorkerRequest): Promise<Extract<RawWorkerReply, { kind: K }>> {
    const reply = this.next();
    this.worker.postMessage(request);
    return reply as Promise<Extract<RawWorkerReply, { kind: K }>>;
  }

  private next(): Promise<RawWorkerReply> {
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export async function measureRawOrt(options: RawOrtOptions): Promise<RawOrtResult> {
  const data: RawWorkerData = { model: options.model, intraOpThreads: options.intraOpThreads, input: options.input, output: options.output, width: options.width };
  const workers = Array.from({ length: options.instances }, () => new RawWorker(data));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const batches: RawBatchFigure[] = [];
    for (const batch of options.batches) {
      // Every session warms up first, then all are timed over the same window.
      await Promise.all(workers.map((w) => w.ask({ kind: 'prepare', batch, warmupMs: options.warmupMs })));
      const cpu0 = process.cpuUsage();
      const measured = await Promise.all(workers.map((w) => w.ask<'measured'>({ kind: 'measure', durationMs: options.durationMs })));
      const cpu = process.cpuUsage(cpu0);
      const rows = measured.reduce((sum, m) => sum + m.runs * batch, 0);
      const rowsPerSecond = measured.reduce((sum, m) => sum + (m.runs * batch) / m.seconds, 0);
      const usPerRun = measured.reduce((sum, m) => sum + (m.seconds * 1e6) / m.runs, 0) / measured.length;
      const cpuUsPerRow = Math.round(((cpu.user + cpu.system) / rows) * 100) / 100;
      batches.push({ batch, rowsPerSecond: Math.round(rowsPerSecond), usPerRun: Math.round(usPerRun * 10) / 10, cpuUsPerRow });
    }
    const first = workers[0]!;
    const latency = await first.ask<'latency'>({ kind: 'latency', durationMs: options.latencyMs });
    const { rows, width, seed } = options.probe;
    const reference = await first.ask<'output'>({ kind: 'output', rows, width, seed });
    const best = batches.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
    return {
      instances: options.instances,
      intraOpThreads: options.intraOpThreads,
      batches,
      best,
      singleRow: summarize(decodeHistogram(latency.histogram)),
      singleRowHistogram: latency.histogram,
      reference: reference.values,
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
