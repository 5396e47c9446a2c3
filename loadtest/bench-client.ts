/**
 * The load client of `npm run bench`: wrk for HTTP/1.1 and h2load for gRPC
 * where they are installed (C clients, one thread each, whose own cost per
 * request is small and steady), else the project's Node client
 * (client-process.ts). One call is one closed-loop step: a warm-up run, then
 * the measured run with the server's CPU, counters and the machine's noise
 * read around it (server-window.ts). The Node client also drives the
 * open-loop step, which the C clients cannot (a fixed arrival rate with
 * latency from the scheduled send).
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClientProcess } from './client-process.js';
import { countError, type ClientWindow, type LoadClientName } from './client-window.js';
import { runH2load } from './h2load.js';
import { commandInstalled } from './installed-command.js';
import type { LoadStepResult } from './load-step.js';
import type { PayloadSpec } from './payload.js';
import { sampleEdge, serverWindow, type ServerRef, type ServerWindow } from './server-window.js';
import type { Wire, WireRequest } from './wire-request.js';
import { runWrk, wrkScript } from './wrk.js';

export interface ServerUnderLoad extends ServerRef {
  host: string;
  port: number;
}

export interface WindowPlan {
  /** Requests in flight. */
  concurrency: number;
  /** Connections they share: wrk always one per request; h2load 1 (multiplexed) or `concurrency`. */
  connections: number;
  warmupS: number;
  durationS: number;
}

export type MeasuredWindow = ClientWindow & ServerWindow;

export class BenchClient {
  private node: ClientProcess | undefined;
  private readonly files = new Map<WireRequest, string>();
  private runs = 0;

  private constructor(
    private readonly dir: string,
    private readonly wrk: boolean,
    private readonly h2load: boolean,
  ) {}

  /** `dir`: where the Lua scripts, body files and logs go. `nodeOnly`: ignore wrk and h2load. */
  static async create(dir: string, nodeOnly: boolean): Promise<BenchClient> {
    return new BenchClient(dir, !nodeOnly && (await commandInstalled('wrk')), !nodeOnly && (await commandInstalled('h2load')));
  }

  clientFor(wire: Wire): LoadClientName {
    if (wire === 'grpc') return this.h2load ? 'h2load' : 'node';
    return this.wrk ? 'wrk' : 'node';
  }

  async measure(server: ServerUnderLoad, request: WireRequest, payload: PayloadSpec, plan: WindowPlan): Promise<MeasuredWindow> {
    if (this.clientFor(request.wire) === 'node') return this.measureWithNode(server, request.wire, payload, plan);
    const url = `http://${server.host}:${server.port}${request.path}`;
    const file = await this.fileFor(request);
    const log = join(this.dir, `h2load-${++this.runs}.log`);
    const run = async (seconds: number, logFile?: string): Promise<ClientWindow | undefined> =>
      request.wire === 'grpc'
        ? runH2load({ url, bodyFile: file, headers: request.headers, connections: plan.connections, streams: plan.concurrency / plan.connections, seconds, logFile })
        : runWrk(file, url, plan.concurrency, seconds);
    await run(plan.warmupS);
    const before = await sampleEdge(server, 'start');
    const window = (await run(plan.durationS, log))!;
    const after = await sampleEdge(server, 'end');
    await rm(log, { force: true });
    const measured: MeasuredWindow = { ...window, ...serverWindow(before, after, server.model, request.wire === 'grpc' ? 'grpc' : 'http') };
    if (measured.client === 'h2load') countGrpcFailures(measured);
    return measured;
  }

  /** Open loop at `rate` requests/s through the Node client (HTTP binary). */
  openLoop(server: ServerUnderLoad, payload: PayloadSpec, rate: number, maxInflight: number, plan: Omit<WindowPlan, 'concurrency' | 'connections'>): Promise<LoadStepResult> {
    return this.nodeClient().run({
      target: 'http-binary',
      endpoints: { host: server.host, httpPort: server.port, grpcPort: 0 },
      payload,
      concurrency: 0,
      rate,
      maxInflight,
      warmupMs: plan.warmupS * 1000,
      durationMs: plan.durationS * 1000,
      server,
    });
  }

  async stop(): Promise<void> {
    await this.node?.stop();
    this.node = undefined;
  }

  private nodeClient(): ClientProcess {
    this.node ??= ClientProcess.start(undefined);
    return this.node;
  }

  private async measureWithNode(server: ServerUnderLoad, wire: Wire, payload: PayloadSpec, plan: WindowPlan): Promise<MeasuredWindow> {
    const step = await this.nodeClient().run({
      target: wire,
      endpoints: { host: server.host, httpPort: server.port, grpcPort: server.port },
      payload,
      concurrency: plan.concurrency,
      connections: plan.connections,
      warmupMs: plan.warmupS * 1000,
      durationMs: plan.durationS * 1000,
      server,
    });
    const { latency } = step;
    return {
      client: 'node',
      connections: step.connections,
      requests: step.requests,
      errors: step.errors,
      seconds: step.seconds,
      p50Us: latency.p50Us,
      p90Us: latency.p90Us,
      p99Us: latency.p99Us,
      p999Us: latency.p999Us,
      maxUs: latency.maxUs,
      serverCpuSeconds: step.serverCpuSeconds,
      otherCores: step.backgroundCores,
      meanBatch: step.batch?.meanBatchRows,
    };
  }

  /** wrk's Lua script or h2load's body file for this request, written once. */
  private async fileFor(request: WireRequest): Promise<string> {
    let file = this.files.get(request);
    if (file) return file;
    file = join(this.dir, `request-${this.files.size + 1}.${request.wire === 'grpc' ? 'bin' : 'lua'}`);
    await writeFile(file, request.wire === 'grpc' ? request.body : wrkScript(request));
    this.files.set(request, file);
    return file;
  }
}

/** h2load counts a refused gRPC call (HTTP 200, grpc-status in the trailers) as a success; the gateway's counters say otherwise. */
function countGrpcFailures(window: MeasuredWindow): void {
  for (const [status, n] of Object.entries(window.outcomes ?? {})) {
    if (status === 'OK') continue;
    countError(window.errors, `grpc ${status}`, n);
    window.requests -= n;
  }
}
