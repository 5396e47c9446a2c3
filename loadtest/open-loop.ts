/**
 * Open-loop load: requests are issued on a fixed schedule (`rate` per second)
 * whatever the server answers, so a slow server cannot slow the client down
 * and hide its queue (coordinated omission). The latency of a request is
 * measured from its *scheduled* send time, not from when the client got to
 * send it: time spent waiting for a free connection, or a late timer, counts
 * as latency, as it would for a real caller.
 *
 * Bounded: at most `maxInflight` requests are outstanding; a request that
 * finds the cap reached is not sent and counted as an error of kind
 * `client_overflow`. Requests scheduled during the warm-up are sent but not
 * counted; those scheduled inside the measured window are, and the run waits
 * (at most `drainMs`) for their answers, counting the unanswered ones as
 * `unanswered`. Uses the same clients as the closed loop (clients/types.ts).
 */
import { performance } from 'node:perf_hooks';
import type { InferClient, InferConnection, Outcome } from './clients/types.js';
import type { LoadWindowResult } from './closed-loop.js';
import { latencyHistogram, recordMs, type Histogram } from './hdr.js';

export interface OpenLoopOptions {
  client: InferClient;
  /** Requests per second, scheduled at fixed intervals. */
  rate: number;
  warmupMs: number;
  durationMs: number;
  /** Cap on requests outstanding at once (and so on HTTP/1.1 connections); beyond it: `client_overflow`. */
  maxInflight: number;
  rowsPerRequest: number;
  /** Connections opened before the schedule starts (HTTP/1.1: one per request in flight; more are opened on demand). Default maxInflight, so connecting is not on the measured path. */
  preconnect?: number;
  onWindow?: (edge: 'start' | 'end') => void;
  drainMs?: number;
}

export interface OpenLoopResult extends LoadWindowResult {
  rate: number;
  /** Requests scheduled inside the measured window (`requests`: the successful answers to them). */
  scheduled: number;
  /** Scheduled send → complete answer, µs, for answers that were errors (e.g. how fast 429s come back). */
  errorHistogram: Histogram;
  /** Largest delay between a request's scheduled time and its actual send, ms (client-side lag; included in latency). */
  maxSendLagMs: number;
  peakInflight: number;
}

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { client, rate, maxInflight } = options;
  if (!(rate > 0)) throw new Error(`rate must be > 0, got ${rate}`);
  if (!Number.isInteger(maxInflight) || maxInflight < 1) throw new Error(`maxInflight must be an integer >= 1, got ${maxInflight}`);
  const interval = 1000 / rate;
  const histogram = latencyHistogram();
  const errorHistogram = latencyHistogram();
  const errors: Record<string, number> = {};
  const all: InferConnection[] = [];
  /** One token per free request slot of an open connection. */
  const free: InferConnection[] = [];
  let inflight = 0;
  let measuredInflight = 0;
  let peakInflight = 0;
  let scheduled = 0;
  let ok = 0;
  let maxSendLagMs = 0;
  let drained: (() => void) | undefined;
  let closed = false;

  const addConnection = (c: InferConnection): void => {
    all.push(c);
    for (let i = 0; i < Math.min(c.maxInflight, maxInflight); i++) free.push(c);
  };
  const count = (kind: string): void => void (errors[kind] = (errors[kind] ?? 0) + 1);

  const preconnect = Math.min(options.preconnect ?? maxInflight, maxInflight);
  const first = await client.connect();
  addConnection(first);
  const more = first.maxInflight === 1 ? preconnect - 1 : 0;
  for (const c of await Promise.all(Array.from({ length: more }, () => client.connect()))) addConnection(c);

  const t0 = performance.now() + 5;
  const tMeasure = t0 + options.warmupMs;
  const tEnd = tMeasure + options.durationMs;

  const finish = (measured: boolean, scheduledAt: number, outcome: Outcome): void => {
    inflight--;
    if (!measured || closed) return;
    measuredInflight--;
    const ms = performance.now() - scheduledAt;
    if (outcome === undefined) {
      ok++;
      recordMs(histogram, ms);
    } else {
      count(outcome);
      recordMs(errorHistogram, ms);
    }
    if (measuredInflight === 0) drained?.();
  };

  const sendOn = (c: InferConnection, measured: boolean, scheduledAt: number): void => {
    const lag = performance.now() - scheduledAt;
    if (lag > maxSendLagMs) maxSendLagMs = lag;
    c.send((outcome) => {
      if (c.alive) free.push(c);
      finish(measured, scheduledAt, outcome);
    });
  };

  const issue = (scheduledAt: number): void => {
    const measured = scheduledAt >= tMeasure;
    if (measured) scheduled++;
    if (inflight >= maxInflight) {
      if (measured) count('client_overflow');
      return;
    }
    inflight++;
    if (measured) measuredInflight++;
    if (inflight > peakInflight) peakInflight = inflight;
    let c = free.pop();
    while (c && !c.alive) c = free.pop();
    if (c) return sendOn(c, measured, scheduledAt);
    // No free slot: open a connection; the time it takes counts as latency.
    client.connect().then(
      (fresh) => {
        addConnection(fresh);
        const slot = free.pop()!;
        sendOn(slot, measured, scheduledAt);
      },
      (err: unknown) => finish(measured, scheduledAt, `connect ${(err as NodeJS.ErrnoException)?.code ?? 'error'}`),
    );
  };

  let cpu0 = process.cpuUsage();
  let startedWindow = false;
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      if (!startedWindow && now >= tMeasure) {
        startedWindow = true;
        options.onWindow?.('start');
        cpu0 = process.cpuUsage();
      }
      for (;;) {
        const at = t0 + next * interval;
        if (at > now || at >= tEnd) break;
        next++;
        issue(at);
      }
      if (now >= tEnd) return resolve();
      setTimeout(tick, Math.max(0, Math.min(1, t0 + next * interval - performance.now())));
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  const cpu = process.cpuUsage(cpu0);
  options.onWindow?.('end');
  const seconds = options.durationMs / 1000;

  if (measuredInflight > 0) {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      drained = resolve;
      timer = setTimeout(resolve, options.drainMs ?? 10_000);
    });
    clearTimeout(timer);
    if (measuredInflight > 0) errors.unanswered = (errors.unanswered ?? 0) + measuredInflight;
  }
  closed = true; // answers after the drain (or failed by close()) are no longer counted
  for (const c of all) c.close();
  return {
    label: client.label,
    rate,
    scheduled,
    requests: ok,
    errors,
    seconds,
    requestsPerSecond: ok / seconds,
    rowsPerSecond: (ok * options.rowsPerRequest) / seconds,
    histogram,
    errorHistogram,
    maxSendLagMs: Math.round(maxSendLagMs * 10) / 10,
    connections: all.length,
    peakInflight,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
