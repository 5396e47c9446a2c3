/**
 * `npm run bench:streaming`: what streaming prediction records costs the gateway. Three
 * `switchyard gateway` child processes on the same example repository, driven in turn by the
 * same closed-loop client process (same target, concurrency and window):
 *  - off: no records;
 *  - sink: `--monitor` to an ack-only RecordIngest endpoint in this process — the gateway's own
 *    cost of recording, batching, encoding and sending, the monitor's work being elsewhere (a
 *    sidecar with its own CPU);
 *  - monitor: `--monitor` to a real `switchyard monitor` child (drift profiles from the same
 *    repository) on the same machine — what a small box pays for both;
 *  - control: a second off gateway, measured and reported as if it were a streaming side: what
 *    the method reads when nothing differs (an A/A test), the scale against which sink's cost
 *    is read on a noisy machine.
 * Each round measures off, sink and control side by side, in an order that cycles through all six,
 * so that a drift in the machine's speed falls on all alike; every other round the monitor side
 * follows (one process for the run). Off, sink and control are started afresh for each set of
 * rounds, so that a process's own luck (its JIT, where its threads land), which moves its speed
 * by a few per cent, falls on one set only. They are started and warmed in an order that rotates
 * from set to set, because the side warmed first reads slower through its whole set: with off
 * always warmed first, the control read from 0.3 % slower to 7.7 % faster than off in seven
 * runs (median 4.4 % faster); with the control warmed first, 3.3 and 6.2 % slower in two. With
 * a multiple of 3 sets, each side goes first equally often. After a streaming side, the next
 * measurement waits until its backlog reached the sink, and until the monitor is idle again.
 * Per model: rows/s and p50/p99 (every round's HDR histogram merged), the cost against off
 * (median over rounds of the same round's ratio, with the middle half of the rounds' costs), the same for the gateway's CPU
 * per request, the monitor's CPU, and whether every record arrived. A markdown table on stdout
 * (progress on stderr), everything in loadtest/results/streaming-latest.json. Bounded: the run
 * stops itself.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GRPC_PREFIX_BYTES, GrpcMessageCounter } from '../runtime/grpc-message-counter.js';
import { MLP_WIDTHS, TABULAR_FEATURES, writeExampleRepository } from '../models/examples.js';
import { quantileSorted } from '../monitor/drift/bins.js';
import { ClientProcess } from './client-process.js';
import { gatewayArgs } from './gateway-process.js';
import { decodeHistogram, mergeHistograms, summarize, type LatencySummary } from './hdr.js';
import type { LoadStepResult } from './load-step.js';
import type { PayloadSpec } from './payload.js';
import { sampleCpu } from './proc-cpu.js';
import { waitForQuiet } from './quiet.js';
import { readyEntry } from './ready-line.js';
import { spawnNode, stopAllChildren, stopChild } from './spawn-node.js';
import { isTargetName, type TargetName } from './targets.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL('../../loadtest/results/streaming-latest.json', import.meta.url));
const PAYLOADS: Record<string, PayloadSpec> = {
  tabular: { model: 'tabular', input: 'features', output: 'probabilities', rows: 1, width: TABULAR_FEATURES, seed: 7 },
  mlp: { model: 'mlp', input: 'features', output: 'probabilities', rows: 1, width: MLP_WIDTHS[0]!, seed: 7 },
};
const HELP = `usage: npm run bench:streaming -- [options]
  --models LIST        tabular,mlp (default both)
  --target NAME        http-binary | http-json | grpc (default http-binary)
  --concurrency N      requests in flight (default 32)
  --sets N             fresh off, sink and control gateway processes per model, each side
                       warmed first in every third set (default 3)
  --rounds N           rounds per set: off, sink and control (a second off: the A/A test) in
                       rotating order, every other round the monitor side too (default 6)
  --warmup-ms N        per measurement, not measured (default 300)
  --duration-ms N      measured window per measurement (default 1000)
  --out FILE           results JSON (default loadtest/results/streaming-latest.json)
  --time-limit-s N     hard stop for the whole run (default 600)
`;

/** Longest wait after a streaming side's measurement for the gateway to hand its backlog over. */
const DRAIN_LIMIT_MS = 8_000;
/** Before a measurement, the monitor counts as idle below this CPU, waited for at most so long. */
const MONITOR_IDLE_CORES = 0.05;
const MONITOR_IDLE_LIMIT_MS = 5_000;

const progress = (msg: string): void => void process.stderr.write(`[bench:streaming] ${msg}\n`);

interface Options {
  models: string[];
  target: TargetName;
  concurrency: number;
  sets: number;
  rounds: number;
  warmupMs: number;
  durationMs: number;
  out: string;
  timeLimitS: number;
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      models: { type: 'string', default: 'tabular,mlp' },
      target: { type: 'string', default: 'http-binary' },
      concurrency: { type: 'string', default: '32' },
      sets: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '6' },
      'warmup-ms': { type: 'string', default: '300' },
      'duration-ms': { type: 'string', default: '1000' },
      out: { type: 'string', default: DEFAULT_OUT },
      'time-limit-s': { type: 'string', default: '600' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const int = (key: 'concurrency' | 'sets' | 'rounds' | 'warmup-ms' | 'duration-ms' | 'time-limit-s', min: number): number => {
    const n = Number(values[key]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${key} must be an integer >= ${min}, got '${values[key]}'`);
    return n;
  };
  const models = values.models!.split(',').map((m) => m.trim());
  for (const m of models) if (!PAYLOADS[m]) throw new Error(`--models: unknown model '${m}'; choose from ${Object.keys(PAYLOADS).join(', ')}`);
  if (!isTargetName(values.target!) || !['http-binary', 'http-json', 'grpc'].includes(values.target!)) throw new Error(`--target must be http-binary, http-json or grpc, got '${values.target}'`);
  return {
    models, target: values.target, concurrency: int('concurrency', 1), sets: int('sets', 1), rounds: int('rounds', 1), warmupMs: int('warmup-ms', 0),
    durationMs: int('duration-ms', 500), out: values.out!, timeLimitS: int('time-limit-s', 10),
  };
}

/** A `switchyard` child process, ready once its "<what> ready" JSON log line came (the ports are read from it). */
interface Served {
  child: ChildProcess;
  ready: Record<string, unknown>;
}

async function startCli(args: string[], what: 'gateway' | 'monitor'): Promise<Served> {
  const child = spawnNode(CLI, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'info' } });
  return { child, ready: await readyEntry(child, `${what} ready`, 30_000) };
}

async function scrape(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sumSeries(await (await fetch(url)).text(), name, labels);
}

function sumSeries(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const MODES = ['off', 'sink', 'monitor', 'control'] as const;
type Mode = (typeof MODES)[number];
const MODE_LABEL: Record<Mode, string> = { off: 'off', sink: 'on, ack-only sink', monitor: 'on, monitor on this box', control: 'off, a second process (A/A control)' };
const streams = (mode: Mode): boolean => mode === 'sink' || mode === 'monitor';
/** The sides started afresh for each set, and the orders a round measures them in, taken in turn. */
const SET_MODES = ['off', 'sink', 'control'] as const;
const ORDERS: ReadonlyArray<ReadonlyArray<(typeof SET_MODES)[number]>> = [
  ['off', 'sink', 'control'], ['sink', 'control', 'off'], ['control', 'off', 'sink'],
  ['off', 'control', 'sink'], ['control', 'sink', 'off'], ['sink', 'off', 'control'],
];

/** One measurement: the client's step, and what the monitor did meanwhile. */
interface Measured {
  mode: Mode;
  /** Which round of the model's run (sets one after the other). */
  round: number;
  step: LoadStepResult;
  /** Monitor CPU during the step, cores. */
  monitorCores: number;
  /** How long the gateway took after the step to hand its backlog over (0 for "off"). */
  drainMs: number;
  /** Monitor CPU seconds from the step's start until the backlog was handed over, and that time. */
  monitorSeconds: number;
  handledSeconds: number;
}

interface Side {
  rowsPerSecond: number;
  /** Median over rounds of 1 - rows/s / off's rows/s in the same round, %, and the quartiles of the rounds' costs; 0 for off. */
  cost: Spread;
  /** The same for the gateway's CPU per request, all threads: rounds' CPU/request ÷ off's in the same round - 1, %. */
  cpuCost: Spread;
  latency: LatencySummary;
  /** rows/s of each round, in order. */
  rounds: number[];
  errors: number;
  /** Gateway CPU per successful request, all threads / its busiest thread (a shard) alone, µs. */
  gatewayCpuUsPerRequest: number;
  gatewayBusiestThreadUsPerRequest: number;
  /** Cores used by processes other than the client, the gateway and the monitor: noise. */
  otherCores: number;
  maxDrainMs: number;
}

/** A median, and the quartiles around it, %. */
interface Spread {
  median: number;
  q1: number;
  q3: number;
}

type Records = { served: number; published: number; dropped: number; received: number };

interface ModelResult {
  model: string;
  sides: Record<Mode, Side>;
  monitor: { cores: number; usPerRecord: number };
  /** Per streaming side: records of the requests served in this model's run. */
  records: Record<'sink' | 'monitor', Records>;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;

function spread(percents: number[]): Spread {
  const sorted = [...percents].sort((a, b) => a - b);
  return { median: round1(quantileSorted(sorted, 0.5)), q1: round1(quantileSorted(sorted, 0.25)), q3: round1(quantileSorted(sorted, 0.75)) };
}

/** Gateway CPU per successful request in one measurement, all threads, µs. */
function cpuPerRequest(step: LoadStepResult): number {
  return step.serverCpu ? ((step.serverCpu.main + step.serverCpu.other) * step.seconds * 1e6) / step.requests : NaN;
}

function side(measured: Measured[], offs: Measured[]): Side {
  const steps = measured.map((m) => m.step);
  const off = measured.map((m) => offs.find((o) => o.round === m.round)!.step);
  const requests = steps.reduce((n, s) => n + s.requests, 0);
  const seconds = steps.reduce((n, s) => n + s.seconds, 0);
  const cpu = (f: (c: NonNullable<LoadStepResult['serverCpu']>) => number): number => steps.reduce((n, s) => n + (s.serverCpu ? f(s.serverCpu) * s.seconds : 0), 0);
  return {
    rowsPerSecond: Math.round(requests / seconds),
    cost: spread(steps.map((s, i) => (1 - s.rowsPerSecond / off[i]!.rowsPerSecond) * 100)),
    cpuCost: spread(steps.map((s, i) => (cpuPerRequest(s) / cpuPerRequest(off[i]!) - 1) * 100)),
    latency: summarize(mergeHistograms(steps.map((s) => decodeHistogram(s.histogram)))),
    rounds: steps.map((s) => Math.round(s.rowsPerSecond)),
    errors: steps.reduce((n, s) => n + Object.values(s.errors).reduce((a, b) => a + b, 0), 0),
    gatewayCpuUsPerRequest: round1((cpu((c) => c.main + c.other) / requests) * 1e6),
    gatewayBusiestThreadUsPerRequest: round1((cpu((c) => c.busiestWorker) / requests) * 1e6),
    otherCores: round2(measured.reduce((n, m) => n + Math.max(0, (m.step.backgroundCores ?? 0) - m.monitorCores), 0) / measured.length),
    maxDrainMs: Math.max(...measured.map((m) => m.drainMs)),
  };
}

function render(o: Options, results: ModelResult[]): string {
  const lines = [
    `## bench:streaming — gateway throughput with prediction records streamed (on) vs not (off)`,
    '',
    `${o.target}, single-row requests, closed loop at concurrency ${o.concurrency}; ${o.sets} sets of fresh off, sink and control gateways × ${o.rounds} rounds × (${o.warmupMs} ms warm-up + ${o.durationMs} ms measured) per side, ` +
      `off, sink and control side by side in rotating order, the monitor side every other round; machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, shared by gateway, client and (monitor side) monitor`,
    '',
    '| model | records | rows/s | cost (middle half) | CPU cost (middle half) | p50 µs | p99 µs | gateway CPU µs/req (busiest shard) | rows/s per round | other procs, cores |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  const percent = (x: Spread): string => `**${x.median.toFixed(1)} %** (${x.q1.toFixed(1)} – ${x.q3.toFixed(1)})`;
  for (const r of results) {
    for (const mode of MODES) {
      const s = r.sides[mode];
      if (s.rounds.length === 0) continue; // the monitor side, with a single round per set
      const [cost, cpuCost] = mode === 'off' ? ['—', '—'] : [percent(s.cost), percent(s.cpuCost)];
      lines.push(`| ${r.model} | ${MODE_LABEL[mode]} | ${s.rowsPerSecond} | ${cost} | ${cpuCost} | ${s.latency.p50Us} | ${s.latency.p99Us} | ${s.gatewayCpuUsPerRequest} (${s.gatewayBusiestThreadUsPerRequest}) | ${s.rounds.join(' / ')} | ${s.otherCores} |`);
    }
  }
  lines.push(
    '',
    'cost: median over the rounds of 1 − rows/s ÷ off rows/s of the same round, and in brackets the middle half of the rounds (quartiles). Target: ≤ 5 %. ' +
      'CPU cost: the same for the gateway process\'s CPU per request (all threads). The ack-only sink runs in the benchmark process: its CPU is under other procs. ' +
      'The A/A control is a second off gateway read the same way: its cost is the method\'s own error on this machine, the scale on which the others are read.',
  );
  for (const r of results) {
    const rec = (m: 'sink' | 'monitor'): string => {
      const c = r.records[m];
      return `${c.served} served / ${c.published} published / ${c.dropped} dropped${m === 'monitor' ? ` / ${c.received} received by the monitor` : ''}`;
    };
    lines.push(
      `- ${r.model}: records, sink side ${rec('sink')}; monitor side ${rec('monitor')} (backlog handed over ≤ ${r.sides.monitor.maxDrainMs} ms after a round); ` +
        `monitor ${r.monitor.cores} cores while loaded, ${r.monitor.usPerRecord} µs CPU per record; errors ${MODES.map((m) => `${m} ${r.sides[m].errors}`).join(', ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A RecordIngest/PublishStream endpoint that acknowledges every batch without decoding it,
 * answered at the HTTP/2 level: only the gRPC message framing is read, and each message gets an
 * empty PublishAck; so the sink's own CPU — on the gateway's cores here, where a real monitor
 * would have its own — is as small as it gets.
 */
async function startAckSink(): Promise<{ address: string; close(): void }> {
  const server = createHttp2Server();
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    // each message acked once whole
    const messages = new GrpcMessageCounter();
    stream.on('data', (chunk: Buffer) => {
      for (let n = messages.add(chunk); n > 0; n--) stream.write(EMPTY_GRPC_MESSAGE);
    });
    stream.on('end', () => stream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** A gRPC length-prefixed message of zero bytes: uncompressed flag, length 0 (an empty PublishAck). */
const EMPTY_GRPC_MESSAGE = Buffer.alloc(GRPC_PREFIX_BYTES);

/** A started gateway: its process and where it answers. */
interface Gateway {
  child: ChildProcess;
  pid: number;
  http: number;
  grpc: number;
  metrics: string;
}

async function main(): Promise<void> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') return void process.stdout.write(HELP);
  const o = parsed;
  // per set, a fresh off, sink and control with their warm-ups (~20 s); per monitor-side measurement, its backlog and the monitor's leftover work (~4 s)
  const rounds = o.sets * o.rounds;
  const monitorRounds = o.sets * Math.floor(o.rounds / 2);
  const measurementMs = o.warmupMs + o.durationMs + 500;
  const planned = (o.models.length * (o.sets * 20_000 + rounds * SET_MODES.length * measurementMs + monitorRounds * (measurementMs + 4_000) + 3_000)) / 1000 + 8;
  if (planned > o.timeLimitS) throw new Error(`planned run of ~${Math.round(planned)} s exceeds --time-limit-s ${o.timeLimitS}; fewer rounds or a shorter --duration-ms`);
  progress(`planned ~${Math.round(planned)} s (hard limit ${o.timeLimitS} s)`);
  const watchdog = setTimeout(() => {
    progress(`time limit of ${o.timeLimitS} s reached: stopping`);
    void stopAllChildren().finally(() => process.exit(2));
  }, o.timeLimitS * 1000);
  watchdog.unref();

  const temp = await mkdtemp(join(tmpdir(), 'switchyard-streaming-bench-'));
  const repository = join(temp, 'models');
  const children: ChildProcess[] = [];
  let client: ClientProcess | undefined;
  const sink = await startAckSink();
  try {
    await writeExampleRepository(repository);
    const monitor = await startCli(['monitor', '--host', '127.0.0.1', '--http-port', '0', '--grpc-port', '0', '--no-default-policy', '-r', repository], 'monitor');
    children.push(monitor.child);
    const monitorPid = monitor.child.pid!;
    const monitorAddress = `127.0.0.1:${monitor.ready.grpc as number}`;
    const monitorMetrics = `http://127.0.0.1:${monitor.ready.http as number}/metrics`;
    const target: Record<Mode, string[]> = { off: [], sink: ['--monitor', sink.address], monitor: ['--monitor', monitorAddress], control: [] };
    const startGateway = async (mode: Mode): Promise<Gateway> => {
      const served = await startCli([...gatewayArgs(repository, {}), ...target[mode]], 'gateway');
      children.push(served.child);
      return { child: served.child, pid: served.child.pid!, http: served.ready.http as number, grpc: served.ready.grpc as number, metrics: `http://127.0.0.1:${served.ready.metrics as number}/metrics` };
    };
    const stopGateway = async (gateway: Gateway): Promise<void> => {
      await stopChild(gateway.child, 5_000);
      children.splice(children.indexOf(gateway.child), 1);
    };
    const monitorGateway = await startGateway('monitor');
    client = ClientProcess.start(undefined);
    const clientPid = client.pid ?? 0;
    const endpoints = (gateway: Gateway) => ({ host: '127.0.0.1', httpPort: gateway.http, grpcPort: gateway.grpc });
    progress(`ack-only sink ${sink.address}; monitor ${monitorAddress} pid ${monitorPid}, its gateway pid ${monitorGateway.pid}; client pid ${clientPid}`);
    const monitorCpu = (): number => {
      const c = sampleCpu(monitorPid);
      return c ? c.mainSeconds + c.otherSeconds : 0;
    };
    /** Waits (bounded) until the monitor has finished the records it was handed: its CPU would land on the next measurement. */
    const monitorIdle = async (): Promise<void> => {
      const started = Date.now();
      for (;;) {
        const cpu0 = monitorCpu();
        await new Promise((r) => setTimeout(r, 200));
        if ((monitorCpu() - cpu0) / 0.2 < MONITOR_IDLE_CORES || Date.now() - started > MONITOR_IDLE_LIMIT_MS) return;
      }
    };
    /** A streaming gateway's record counters so far (for the monitor side, with what the monitor received). */
    const counters = async (gateway: Gateway, model: string, withMonitor: boolean): Promise<Records> => {
      const text = await (await fetch(gateway.metrics)).text();
      return {
        served: sumSeries(text, 'switchyard_requests_total', { model, status: 'OK' }),
        published: sumSeries(text, 'switchyard_records_published_total', {}),
        dropped: sumSeries(text, 'switchyard_records_dropped_total', {}),
        received: withMonitor ? await scrape(monitorMetrics, 'switchyard_monitor_records_total', { kind: 'prediction' }) : 0,
      };
    };
    const add = (a: Records, b: Records, sign = 1): Records => ({ served: a.served + sign * b.served, published: a.published + sign * b.published, dropped: a.dropped + sign * b.dropped, received: a.received + sign * b.received });
    /**
     * Waits (bounded) until a streaming gateway has handed every record over (published + dropped =
     * requests served; the buffer gauge is not used: it is only refreshed when the publisher's
     * send loop goes idle); ms waited.
     */
    const drain = async (mode: Mode, gateway: Gateway): Promise<number> => {
      const started = Date.now();
      if (!streams(mode)) return 0;
      const pending = async (): Promise<number> => {
        const text = await (await fetch(gateway.metrics)).text();
        return sumSeries(text, 'switchyard_requests_total', { status: 'OK' }) - sumSeries(text, 'switchyard_records_published_total', {}) - sumSeries(text, 'switchyard_records_dropped_total', {});
      };
      while (Date.now() - started < DRAIN_LIMIT_MS && (await pending()) > 0) await new Promise((r) => setTimeout(r, 50));
      return Date.now() - started;
    };

    const results: ModelResult[] = [];
    const measurements: Array<Measured & { model: string }> = [];
    for (const model of o.models) {
      const payload = PAYLOADS[model]!;
      /**
       * Steady state first, not measured: a new process's JIT, heaps, ORT session. The record
       * encoder takes longest: timed inside a loaded gateway (tabular), it cost 3.4, 2.1 and then
       * 1.4 µs per request over its first 4-second windows (V8 deoptimizes it twice before it
       * settles) and ~0.5 µs once warm, which is what a serving gateway pays.
       */
      const warm = async (mode: Mode, gateway: Gateway): Promise<void> => {
        await client!.run({ target: o.target, endpoints: endpoints(gateway), payload, concurrency: o.concurrency, warmupMs: 6_000, durationMs: 100 });
        await drain(mode, gateway);
      };
      const measure = async (mode: Mode, gateway: Gateway, round: number): Promise<Measured> => {
        await waitForQuiet({ maxWaitMs: 800, thresholdCores: 0.3, ownPids: [monitorPid, gateway.pid, clientPid], windowMs: 250 });
        await monitorIdle();
        const cpu0 = monitorCpu();
        const t0 = Date.now();
        const step = await client!.run({
          target: o.target, endpoints: endpoints(gateway), payload, concurrency: o.concurrency, warmupMs: o.warmupMs, durationMs: o.durationMs,
          server: { pid: gateway.pid, metricsUrl: gateway.metrics, model },
        });
        const monitorCores = (monitorCpu() - cpu0) / ((Date.now() - t0) / 1000);
        const drainMs = await drain(mode, gateway);
        const measured: Measured = { mode, round, step, monitorCores, drainMs, monitorSeconds: monitorCpu() - cpu0, handledSeconds: (Date.now() - t0) / 1000 };
        measurements.push({ model, ...measured });
        progress(
          `${model} round ${round + 1} ${mode.padEnd(7)}: ${Math.round(step.rowsPerSecond)} rows/s, ${cpuPerRequest(step).toFixed(1)} µs CPU/request, p50 ${step.latency.p50Us} µs, p99 ${step.latency.p99Us} µs, ` +
            `monitor ${monitorCores.toFixed(2)} cores${streams(mode) ? `, backlog handed over in ${drainMs} ms` : ''}, other procs ${Math.max(0, (step.backgroundCores ?? 0) - monitorCores).toFixed(2)} cores`,
        );
        return measured;
      };

      await warm('monitor', monitorGateway);
      const monitorBefore = await counters(monitorGateway, model, true);
      let sinkRecords: Records = { served: 0, published: 0, dropped: 0, received: 0 };
      const measured: Measured[] = [];
      for (let set = 0; set < o.sets; set++) {
        // off, sink and control afresh for each set (see the header), started and warmed in the set's
        // own order: the side warmed first reads ~5 % slower for the rest of the set, so each side
        // takes that place in turn (ORDERS' first three are rotations of one another)
        const order = ORDERS[set % 3]!;
        const started = await Promise.all(order.map((mode) => startGateway(mode)));
        const fresh = Object.fromEntries(order.map((mode, i) => [mode, started[i]!])) as Record<(typeof SET_MODES)[number], Gateway>;
        for (const mode of order) await warm(mode, fresh[mode]);
        for (let r = 0; r < o.rounds; r++) {
          const round = set * o.rounds + r;
          // each set starts at another order: the first measurement after the warm-ups, whose side idled longest, reads low
          for (const mode of ORDERS[(set + r) % ORDERS.length]!) measured.push(await measure(mode, fresh[mode], round));
          if (r % 2 === 0) continue;
          // the monitor side last; its monitor's leftover work is waited out before the next measurement
          measured.push(await measure('monitor', monitorGateway, round));
        }
        sinkRecords = add(sinkRecords, await counters(fresh.sink, model, false));
        await Promise.all(started.map((gateway) => stopGateway(gateway)));
      }
      const of = (mode: Mode): Measured[] => measured.filter((m) => m.mode === mode);
      const monitorRecords = add(await counters(monitorGateway, model, true), monitorBefore, -1);
      const monitorSeconds = of('monitor').reduce((n, m) => n + m.monitorSeconds, 0);
      const handledSeconds = of('monitor').reduce((n, m) => n + m.handledSeconds, 0);
      results.push({
        model,
        sides: { off: side(of('off'), of('off')), sink: side(of('sink'), of('off')), monitor: side(of('monitor'), of('off')), control: side(of('control'), of('off')) },
        monitor: { cores: round2(monitorSeconds / handledSeconds), usPerRecord: monitorRecords.received > 0 ? round1((monitorSeconds / monitorRecords.received) * 1e6) : 0 },
        records: { sink: sinkRecords, monitor: monitorRecords },
      });
    }
    process.stdout.write(render(o, results));
    await mkdir(dirname(o.out), { recursive: true });
    const json = { date: new Date().toISOString(), options: o, environment: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model }, results, measurements };
    await writeFile(o.out, JSON.stringify(json, null, 2) + '\n');
    progress(`results written to ${o.out}`);
  } finally {
    await client?.stop();
    await Promise.all(children.map((c) => stopChild(c, 5_000)));
    sink.close();
    await rm(temp, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    progress(`failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    void stopAllChildren().finally(() => process.exit(1));
  },
);
