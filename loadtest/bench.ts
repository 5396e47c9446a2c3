/**
 * `npm run bench`: the gateway against the limits around it, in one bounded
 * run, on both bundled models (small `tabular`, heavy `mlp`), single-row
 * requests, each server alone on the machine in turn:
 *  - raw-ort: raw ONNX Runtime, one session, one thread, its own process
 *    (raw-ort*.ts): rows/s and CPU per row by batch size, single-row latency;
 *  - transport-echo-http / transport-echo-grpc: bare uWS and bare node:http2
 *    servers answering the gateway's exact requests with a fixed answer
 *    (echo-*-server.ts): the transport limits;
 *  - naive-http: node:http + session.run per request (naive-server.ts);
 *  - switchyard-http-json, -http-binary, -grpc: the gateway as a child process;
 * closed loop at concurrency 1/8/64 through wrk and h2load where installed
 * (bench-client.ts), then one open-loop step above saturation. Every target's
 * first answer is checked. Prints the results and targets tables
 * (bench-report.ts, bench-targets.ts) on stdout, progress on stderr; writes
 * loadtest/results/latest.json and latest.md. Loopback only; it stops itself
 * at a hard time limit, printed at the start.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, tmpdir, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MLP_WIDTHS, TABULAR_FEATURES, writeExampleRepository } from '../models/examples.js';
import { MODEL_FILE } from '../models/manifest.js';
import { versionDirectory } from '../models/repository-writer.js';
import { checkAnswer, type ExpectedAnswer } from './answer-check.js';
import { BenchClient } from './bench-client.js';
import { BENCH_HELP, parseBenchOptions, type BenchOptions } from './bench-options.js';
import { renderBenchReport, type AnswerCheckResult } from './bench-report.js';
import { closedRun, openRun, rawRuns, type BenchRun } from './bench-run.js';
import { benchServers, HOST, type RunningServer, type ServerKind } from './bench-servers.js';
import { benchTargets } from './bench-targets.js';
import { NOISE_CORES } from './core-report.js';
import { flagArgs, gatewayHelpFlags, listedFlags, type GatewayFlags } from './gateway-process.js';
import { buildPayload, type PayloadSpec } from './payload.js';
import { waitForQuiet } from './quiet.js';
import { runRawOrtProcess } from './raw-ort-process.js';
import { stopAllChildren } from './spawn-node.js';
import { wireRequest, type Wire } from './wire-request.js';

const MODELS = [
  { name: 'tabular', width: TABULAR_FEATURES },
  { name: 'mlp', width: MLP_WIDTHS[0]! },
] as const;
const CONCURRENCY = [1, 8, 64];
/** gRPC once more with a connection per call in flight (h2load -cC -m1): many single-call clients cost a server more than one multiplexing channel. */
const GRPC_CONNECTION_PER_CALL = [8, 64];
const RAW = { batches: [1, 8, 32, 64, 128], warmupMs: 300, durationMs: 1000, latencyMs: 1000 };
/** Extra warm-up before a target's first window (a fresh code path: JIT, buffers). */
const FIRST_WARMUP_EXTRA_S = 1;
/** Open loop on switchyard-http-binary above its closed-loop saturation: queueing latency and 429s (gateway --max-queue-size). */
const OPEN = { model: 'mlp', overload: 1.5, warmupS: 1, durationS: 3, maxInflight: 1024 };
const GATEWAY_FLAGS = { intraOpThreads: 1, maxQueueSize: 256 } satisfies GatewayFlags;
const QUIET_BUDGET_MS = 20_000;
const OUT = fileURLToPath(new URL('../../loadtest/results/latest.json', import.meta.url));

const progress = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

function windowPlans(wire: Wire): Array<{ concurrency: number; connections: number }> {
  const plans = CONCURRENCY.map((concurrency) => ({ concurrency, connections: wire === 'grpc' ? 1 : concurrency }));
  if (wire === 'grpc') plans.push(...GRPC_CONNECTION_PER_CALL.map((c) => ({ concurrency: c, connections: c })));
  return plans;
}

/** Seconds the run should take on a quiet machine: windows, raw ORT, open loop, starts. */
function plannedSeconds(kinds: readonly ServerKind[], o: BenchOptions): number {
  const targets = kinds.flatMap((k) => k.targets);
  const windows = targets.reduce((n, t) => n + windowPlans(t.wire).length, 0) * MODELS.length;
  const raw = MODELS.length * (2 + (RAW.batches.length * (RAW.warmupMs + RAW.durationMs) + RAW.latencyMs) / 1000);
  return Math.ceil(windows * (o.warmupS + o.durationS + 0.3) + targets.length * MODELS.length * FIRST_WARMUP_EXTRA_S + raw + OPEN.warmupS + OPEN.durationS + 20);
}

function payloadSpec(model: (typeof MODELS)[number]): PayloadSpec {
  return { model: model.name, input: 'features', output: 'probabilities', rows: 1, width: model.width, seed: 7 };
}

interface BenchContext {
  options: BenchOptions;
  client: BenchClient;
  runs: BenchRun[];
  checks: AnswerCheckResult[];
  /** Raw ORT's outputs for each model's request row. */
  references: Map<string, number[]>;
  /** Waits (bounded over the whole run) for the machine to be quiet but for our `ownPids`. */
  quiet(ownPids: number[]): Promise<void>;
}

async function measureRawOrt(ctx: BenchContext, repository: string): Promise<void> {
  for (const model of MODELS) {
    const spec = payloadSpec(model);
    await ctx.quiet([]);
    progress(`${model.name}: raw ORT, 1 session × 1 thread, batches ${RAW.batches.join('/')}`);
    const modelFile = join(versionDirectory(repository, model.name, '1'), MODEL_FILE);
    const raw = await runRawOrtProcess({ modelFile, instances: 1, intraOpThreads: 1, input: spec.input, output: spec.output, width: spec.width, ...RAW, probe: spec }, undefined, 60_000);
    ctx.references.set(model.name, raw.reference);
    ctx.runs.push(...rawRuns(model.name, raw));
    progress(`${model.name}: raw single-row p50 ${raw.singleRow.p50Us} µs; ${raw.batches.map((b) => `batch ${b.batch}: ${b.rowsPerSecond} rows/s, ${b.cpuUsPerRow} µs CPU/row`).join('; ')}`);
  }
}

async function measureTargets(ctx: BenchContext, kind: ServerKind, server: RunningServer, model: (typeof MODELS)[number]): Promise<void> {
  const spec = payloadSpec(model);
  const payload = buildPayload(spec);
  for (const { target, wire } of kind.targets) {
    const request = wireRequest(wire, payload);
    const port = server.port(wire);
    const expected: ExpectedAnswer = kind.fixedAnswer ? { kind: 'fixed', bytes: kind.fixedAnswer } : { kind: 'outputs', output: spec.output, values: ctx.references.get(model.name)! };
    const check = await checkAnswer(HOST, port, request, expected);
    ctx.checks.push({ target, model: model.name, result: check });
    progress(`${model.name} ${target}: answer ${check}`);
    for (const [i, plan] of windowPlans(wire).entries()) {
      const warmupS = ctx.options.warmupS + (i === 0 ? FIRST_WARMUP_EXTRA_S : 0);
      const w = await ctx.client.measure({ pid: server.pid, host: HOST, port, metricsUrl: server.metricsUrl, model: model.name }, request, spec, { ...plan, warmupS, durationS: ctx.options.durationS });
      const failure = server.failure();
      if (failure) throw new Error(failure);
      const run = closedRun(target, model.name, plan.concurrency, w);
      ctx.runs.push(run);
      progress(
        `${model.name} ${target} c=${plan.concurrency} conns=${plan.connections} (${w.client}): ${run.requests_per_s} req/s, p50 ${run.p50_us} µs, p99 ${run.p99_us} µs, errors ${JSON.stringify(run.errors)}, ` +
          `mean batch ${run.mean_batch ?? '–'}, CPU ${run.gateway_cpu_us_per_row ?? run.server_cpu_us_per_row ?? '–'} µs/row, other procs ${run.other_cores?.toFixed(2) ?? '–'} cores`,
      );
    }
  }
}

async function measureOpenLoop(ctx: BenchContext, server: RunningServer): Promise<void> {
  const closed = ctx.runs.filter((r) => r.model === OPEN.model && r.target === 'switchyard-http-binary' && r.mode === 'closed');
  const rate = Math.round(Math.max(...closed.map((r) => r.requests_per_s)) * OPEN.overload);
  progress(`${OPEN.model} switchyard-http-binary: open loop at ${rate} req/s (${OPEN.overload}× closed-loop saturation), Node client`);
  const model = MODELS.find((m) => m.name === OPEN.model)!;
  const ref = { pid: server.pid, host: HOST, port: server.port('http-binary'), metricsUrl: server.metricsUrl, model: OPEN.model };
  const step = await ctx.client.openLoop(ref, payloadSpec(model), rate, OPEN.maxInflight, OPEN);
  ctx.runs.push(openRun(OPEN.model, step));
  progress(`open loop: ${step.scheduled} scheduled, ${step.requests} ok, p50 ${step.latency.p50Us} µs, p99 ${step.latency.p99Us} µs, errors ${JSON.stringify(step.errors)}`);
}

/** Each kind of server alone in turn: started (per model when it loads one), measured, stopped. */
async function measureServers(ctx: BenchContext, kinds: readonly ServerKind[]): Promise<void> {
  for (const kind of kinds) {
    let server: RunningServer | undefined;
    for (const model of MODELS) {
      if (!server || kind.perModel) {
        await server?.stop();
        server = await kind.start(model.name);
        progress(`${kind.name} started (pid ${server.pid})`);
      }
      await ctx.quiet([server.pid]);
      await measureTargets(ctx, kind, server, model);
      if (kind.name === 'switchyard' && model.name === OPEN.model) await measureOpenLoop(ctx, server);
    }
    await server?.stop();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const options = parseBenchOptions(process.argv.slice(2));
  if (!options) return void process.stdout.write(BENCH_HELP);
  const temp = await mkdtemp(join(tmpdir(), 'switchyard-bench-'));
  const repository = join(temp, 'models');
  const gateway = listedFlags({ shards: options.shards, ...GATEWAY_FLAGS }, await gatewayHelpFlags());
  const kinds = benchServers({ repository, threads: options.shards, gatewayFlags: gateway.flags });
  const planned = plannedSeconds(kinds, options);
  const limitS = Math.ceil(planned * 1.25 + QUIET_BUDGET_MS / 1000 + 60);
  progress(`planned ~${planned} s on a quiet machine; hard time limit ${limitS} s`);
  const watchdog = setTimeout(() => {
    progress(`time limit of ${limitS} s reached: stopping`);
    void stopAllChildren()
      .then(() => rm(temp, { recursive: true, force: true }))
      .finally(() => process.exit(2));
  }, limitS * 1000);
  watchdog.unref();

  const client = await BenchClient.create(temp, options.nodeClient);
  let quietBudget = QUIET_BUDGET_MS;
  const ctx: BenchContext = {
    options,
    client,
    runs: [],
    checks: [],
    references: new Map(),
    quiet: async (ownPids) => {
      const q = await waitForQuiet({ maxWaitMs: quietBudget, thresholdCores: NOISE_CORES, ownPids });
      if (q) quietBudget = Math.max(0, quietBudget - q.waitedMs);
    },
  };
  try {
    await writeExampleRepository(repository);
    await measureRawOrt(ctx, repository);
    await measureServers(ctx, kinds);

    const machine = { cpus: cpus().length, available_parallelism: availableParallelism(), cpu_model: cpus()[0]?.model ?? 'unknown', node: process.version, os: `${type()} ${release()} ${process.arch}` };
    const clients = { http: client.clientFor('http-binary'), grpc: client.clientFor('grpc') };
    const configuration = { shards: options.shards, gateway_flags: flagArgs(gateway.flags), gateway_flags_not_listed: gateway.dropped, clients, warmup_s: options.warmupS, duration_s: options.durationS, first_warmup_extra_s: FIRST_WARMUP_EXTRA_S };
    const targets = benchTargets(ctx.runs);
    const seconds = Math.round((Date.now() - started) / 1000);
    const report = renderBenchReport({
      title: 'bench — transport limits, raw ONNX Runtime, naive node:http and Switchyard',
      setup: [
        `machine: ${machine.cpus} × ${machine.cpu_model}, Node ${machine.node}, ${machine.os}`,
        `placement: not pinned — raw ORT, every server and the load client run on all ${machine.available_parallelism} CPUs, placed by the OS alike for every target; each server runs alone (the benchmark's own process idles meanwhile).`,
        `clients: HTTP ${clients.http}${clients.http === 'wrk' ? ' (-t1, one connection per request in flight, exact percentiles from its µs histogram, non-2xx answers included)' : ''}; gRPC ${clients.grpc}${clients.grpc === 'h2load' ? ' (-t1; c=C: C streams on one connection, -c1 -mC; rows with conns = C: one stream on each of C connections, -cC -m1; exact percentiles from its per-request log; calls the gateway refused, from its switchyard_requests_total)' : ''}.`,
        `gateway: switchyard gateway --repository <examples> --http-port/--grpc-port/--metrics-port <free ports> ${configuration.gateway_flags.join(' ')}${gateway.dropped.length ? ` — not in this gateway's --help, so not passed: ${gateway.dropped.join(', ')}` : ''}; echo-http: ${options.shards} uWS thread(s) on one port (SO_REUSEPORT); echo-grpc: one node:http2 thread (Node 20 shares no port between threads); naive: node:http, session.run on the main thread.`,
        `windows: single-row requests, closed loop; ${options.warmupS} s warm-up (+${FIRST_WARMUP_EXTRA_S} s before a target's first) + ${options.durationS} s measured. raw-ort: 1 session × 1 intra-op thread with the gateway's session options in its own process, ${RAW.warmupMs} ms warm-up + ${RAW.durationMs} ms per batch, CPU per row from process.cpuUsage over that window; single-row latency over ${RAW.latencyMs} ms.`,
        'CPU µs/row: raw-ort, its process; switchyard, utime+stime of all the gateway\'s threads (/proc/<pid>/stat) from just before the client starts to just after it ends, ÷ rows answered (the echoes and naive alike); mean batch: Δ switchyard_batch_size_rows_sum ÷ Δ _count, same window. × transport: req/s ÷ the transport echo\'s at the same load; × raw: rows/s ÷ raw ORT\'s best; × naive: rows/s ÷ naive-http\'s at the same concurrency.',
      ],
      checks: ctx.checks,
      runs: ctx.runs,
      targets,
      noiseCores: NOISE_CORES,
      notes: [
        `open loop (Node client, HTTP binary, ${OPEN.maxInflight} outstanding at most, beyond: client_overflow): latency from the scheduled send time, so queueing shows; the gateway runs with --max-queue-size ${GATEWAY_FLAGS.maxQueueSize}, hence the 429s.`,
        `run took ${seconds} s (planned ~${planned} s, hard limit ${limitS} s).`,
      ],
    });
    process.stdout.write(report);
    await mkdir(dirname(OUT), { recursive: true });
    await writeFile(OUT, JSON.stringify({ machine, configuration, checks: ctx.checks, runs: ctx.runs, targets }, null, 2) + '\n');
    await writeFile(OUT.replace(/\.json$/, '.md'), report);
    progress(`results written to ${OUT} (and latest.md) in ${seconds} s`);
  } finally {
    await client.stop();
    await stopAllChildren();
    await rm(temp, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    void stopAllChildren().finally(() => process.exit(1));
  },
);
