/**
 * `npm run bench`: the comparison benchmark. In one bounded run, on both
 * bundled models (small `tabular`, heavy `mlp`), on the same model.onnx:
 *  - raw-ort: raw in-process ONNX Runtime (raw-ort*.ts), the limit;
 *  - naive-http: a hand-written node:http server calling session.run per
 *    request (naive-server.ts), the baseline;
 *  - switchyard-http-json, switchyard-http-binary, switchyard-grpc: the
 *    gateway as a child process;
 * each server target closed loop at rising concurrency (single-row requests),
 * then one open-loop step above saturation on switchyard-http-binary (mlp):
 * true queueing latency from the scheduled send time, and the 429s.
 * Prints a markdown table (ratios to raw and to naive) on stdout, progress on
 * stderr; writes loadtest/results/latest.json (`{machine, runs: [...]}`) and
 * latest.md. Loopback only; the run stops itself (hard limit 280 s).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, type, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { MLP_WIDTHS, TABULAR_FEATURES } from '../models/examples.js';
import { writeExampleRepository } from '../models/examples.js';
import { MODEL_FILE } from '../models/manifest.js';
import { versionDirectory } from '../models/repository-writer.js';
import { ClientProcess } from './client-process.js';
import { NOISE_CORES } from './core-report.js';
import { GatewayProcess, type GatewayFlags } from './gateway-process.js';
import type { LoadStepResult } from './load-step.js';
import type { PayloadSpec } from './payload.js';
import { waitForQuiet } from './quiet.js';
import type { RawOrtResult } from './raw-ort.js';
import { runRawOrtProcess } from './raw-ort-process.js';
import { spawnNode, stopAllChildren, stopChild } from './spawn-node.js';
import type { Endpoints, TargetName } from './targets.js';

type BenchTarget = 'raw-ort' | 'naive-http' | 'switchyard-http-json' | 'switchyard-http-binary' | 'switchyard-grpc';

const MODELS = [
  { name: 'tabular', width: TABULAR_FEATURES },
  { name: 'mlp', width: MLP_WIDTHS[0]! },
] as const;
/** Server targets, each with the client (wire format) that drives it. */
const SERVER_TARGETS: Array<{ target: Exclude<BenchTarget, 'raw-ort'>; client: TargetName; server: 'naive' | 'gateway' }> = [
  { target: 'naive-http', client: 'http-json', server: 'naive' },
  { target: 'switchyard-http-json', client: 'http-json', server: 'gateway' },
  { target: 'switchyard-http-binary', client: 'http-binary', server: 'gateway' },
  { target: 'switchyard-grpc', client: 'grpc', server: 'gateway' },
];
const CONCURRENCY = [1, 8, 64];
const WARMUP_MS = 500;
const DURATION_MS = 1500;
/** Per model and target, unmeasured load before its first step (JIT, heaps). */
const SERVER_WARMUP_MS = 800;
const RAW_BATCHES = [1, 64];
const OPEN = { model: 'mlp', target: 'switchyard-http-binary' as const, overload: 1.5, warmupMs: 500, durationMs: 2000, maxInflight: 1024 };
/** The gateway's configuration, the same for every model and transport; raw ORT runs as many sessions × threads. */
const GATEWAY: GatewayFlags = { instances: 1, intraOpThreads: 1, maxQueueSize: 256 };
const TIME_LIMIT_S = 280;
const QUIET_BUDGET_MS = 15_000;
const OUT = fileURLToPath(new URL('../../loadtest/results/latest.json', import.meta.url));

const progress = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

/** One row of results/latest.json. */
interface Run {
  target: BenchTarget;
  model: string;
  mode: 'closed' | 'open';
  /** raw-ort only: rows per session.run (its rows differ only in this). */
  batch?: number;
  concurrency?: number;
  rate?: number;
  rows_per_s: number;
  requests_per_s: number;
  p50_us: number | null;
  p99_us: number | null;
  errors: Record<string, number>;
}

/** Extra per-row detail for the markdown table only. */
interface Detail {
  batch?: number;
  p90Us?: number;
  p999Us?: number;
  maxUs?: number;
  background?: number;
  note?: string;
}

class NaiveServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static start(modelFile: string, model: string): Promise<NaiveServer> {
    const script = fileURLToPath(new URL('./naive-server.js', import.meta.url));
    const child = spawnNode(script, [modelFile, model], { stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('naive server not ready after 20 s')), 20_000);
      child.once('exit', (code) => reject(new Error(`naive server exited (${code})`)));
      child.stdout!.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        const m = /naive ready (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(new NaiveServer(child, Number(m[1])));
        }
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  stop(): Promise<void> {
    return stopChild(this.child, 3_000);
  }
}

function compare(answer: number[], reference: number[]): string {
  if (answer.length !== reference.length) return `MISMATCH (${answer.length} values, raw ${reference.length})`;
  const diff = answer.reduce((max, a, i) => Math.max(max, Math.abs(a - reference[i]!)), 0);
  return diff <= 1e-5 ? 'ok' : `MISMATCH (max |Δ| ${diff.toExponential(2)})`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const watchdog = setTimeout(() => {
    progress(`time limit of ${TIME_LIMIT_S} s reached: stopping`);
    void stopAllChildren().finally(() => process.exit(2));
  }, TIME_LIMIT_S * 1000);
  watchdog.unref();
  const temp = await mkdtemp(join(tmpdir(), 'switchyard-bench-'));
  const repository = join(temp, 'models');
  const stoppers: Array<() => Promise<void>> = [];
  const runs: Run[] = [];
  const details: Detail[] = [];
  const probes: string[] = [];
  const busy: string[] = [];
  let quietBudget = QUIET_BUDGET_MS;
  const quiet = async (own: number[]): Promise<void> => {
    const q = await waitForQuiet({ maxWaitMs: quietBudget, thresholdCores: NOISE_CORES, ownPids: own });
    if (!q) return;
    quietBudget = Math.max(0, quietBudget - q.waitedMs);
    if (q.cores > NOISE_CORES) busy.push(`${q.cores.toFixed(2)} cores busy with other processes before a step after waiting ${(q.waitedMs / 1000).toFixed(1)} s`);
  };
  try {
    await writeExampleRepository(repository);
    const gateway = await GatewayProcess.start({ repository, flags: GATEWAY });
    stoppers.push(() => gateway.stop());
    const client = ClientProcess.start(undefined);
    stoppers.push(() => client.stop());
    const gatewayEndpoints: Endpoints = { host: '127.0.0.1', httpPort: gateway.ports.http, grpcPort: gateway.ports.grpc };
    progress(`gateway pid ${gateway.pid} (http ${gateway.ports.http}, grpc ${gateway.ports.grpc}); client pid ${client.pid}`);

    for (const model of MODELS) {
      const payload: PayloadSpec = { model: model.name, input: 'features', output: 'probabilities', rows: 1, width: model.width, seed: 7 };
      const modelFile = join(versionDirectory(repository, model.name, '1'), MODEL_FILE);
      await quiet([gateway.pid, client.pid ?? 0]);
      progress(`${model.name}: raw ORT, ${GATEWAY.instances} session × ${GATEWAY.intraOpThreads} thread, batches ${RAW_BATCHES.join('/')}`);
      const raw: RawOrtResult = await runRawOrtProcess(
        { modelFile, instances: GATEWAY.instances!, intraOpThreads: GATEWAY.intraOpThreads!, input: payload.input, output: payload.output, width: payload.width, batches: RAW_BATCHES, warmupMs: 300, durationMs: 1000, latencyMs: 1000, probe: payload },
        undefined,
        60_000,
      );
      for (const b of raw.batches) {
        const single = b.batch === 1;
        runs.push({
          target: 'raw-ort', model: model.name, mode: 'closed', batch: b.batch, concurrency: 1, rows_per_s: b.rowsPerSecond, requests_per_s: Math.round(b.rowsPerSecond / b.batch),
          p50_us: single ? raw.singleRow.p50Us : null, p99_us: single ? raw.singleRow.p99Us : null, errors: {},
        });
        details.push({
          batch: b.batch, background: raw.backgroundCores,
          ...(single ? { p90Us: raw.singleRow.p90Us, p999Us: raw.singleRow.p999Us, maxUs: raw.singleRow.maxUs } : { note: `batch ${b.batch}; mean ${b.usPerRun} µs per run` }),
        });
      }
      progress(`${model.name}: raw best ${raw.best.rowsPerSecond} rows/s (batch ${raw.best.batch}), single-row p50 ${raw.singleRow.p50Us} µs`);

      const naive = await NaiveServer.start(modelFile, model.name);
      stoppers.push(() => naive.stop());
      const naiveEndpoints: Endpoints = { host: '127.0.0.1', httpPort: naive.port, grpcPort: 0 };
      for (const t of SERVER_TARGETS) {
        const endpoints = t.server === 'naive' ? naiveEndpoints : gatewayEndpoints;
        const pid = t.server === 'naive' ? naive.pid : gateway.pid;
        probes.push(`${model.name} ${t.target}: ${compare(await client.probe(t.client, endpoints, payload), raw.reference)}`);
        await client.run({ target: t.client, endpoints, payload, concurrency: 16, warmupMs: SERVER_WARMUP_MS, durationMs: 100 });
        for (const concurrency of CONCURRENCY) {
          if (gateway.exited) throw new Error(`gateway exited:\n${gateway.logTail()}`);
          await quiet([pid, client.pid ?? 0]);
          const step = await client.run({
            target: t.client, endpoints, payload, concurrency, warmupMs: WARMUP_MS, durationMs: DURATION_MS,
            server: { pid, metricsUrl: t.server === 'gateway' ? gateway.metricsUrl : undefined, model: model.name },
          });
          record(runs, details, t.target, model.name, step);
          progress(`${model.name} ${t.target} c=${concurrency}: ${Math.round(step.rowsPerSecond)} rows/s, p50 ${step.latency.p50Us} µs, p99 ${step.latency.p99Us} µs, errors ${JSON.stringify(step.errors)}, other procs ${step.backgroundCores?.toFixed(2) ?? '–'} cores`);
        }
      }
      await naive.stop();
      stoppers.splice(stoppers.length - 1, 1);

      if (model.name === OPEN.model) {
        const closed = runs.filter((r) => r.model === OPEN.model && r.target === OPEN.target && r.mode === 'closed');
        const saturation = Math.max(...closed.map((r) => r.requests_per_s));
        const rate = Math.round(saturation * OPEN.overload);
        await quiet([gateway.pid, client.pid ?? 0]);
        progress(`${model.name} ${OPEN.target}: open loop at ${rate} req/s (${OPEN.overload}× closed-loop saturation of ${Math.round(saturation)} req/s)`);
        const step = await client.run({
          target: 'http-binary', endpoints: gatewayEndpoints, payload, concurrency: 0, rate, maxInflight: OPEN.maxInflight,
          warmupMs: OPEN.warmupMs, durationMs: OPEN.durationMs, server: { pid: gateway.pid, metricsUrl: gateway.metricsUrl, model: model.name },
        });
        record(runs, details, OPEN.target, model.name, step);
        progress(`open loop: ${step.scheduled} scheduled, ${step.requests} ok (${Math.round(step.requestsPerSecond)}/s), p50 ${step.latency.p50Us} µs, p99 ${step.latency.p99Us} µs, errors ${JSON.stringify(step.errors)}, error p50 ${step.errorLatency?.p50Us} µs, max send lag ${step.maxSendLagMs} ms`);
      }
    }
    await client.stop();
    await gateway.stop();
    stoppers.length = 0;

    const machine = {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      os: `${type()} ${release()} ${process.arch}`,
    };
    const placement = `placement: not pinned — every server (raw ORT process, naive server, gateway) and the load client (its own Node process) are placed by the OS scheduler on all ${machine.cpus} CPUs; the same for every target. Raw ORT and the gateway: ${GATEWAY.instances} session × ${GATEWAY.intraOpThreads} intra-op thread, the gateway worker's session options; naive server: onnxruntime-node default session options, main thread. Gateway --max-queue-size ${GATEWAY.maxQueueSize}.`;
    const report = renderTable(runs, details, machine, placement, probes, busy, started);
    process.stdout.write(report);
    await mkdir(dirname(OUT), { recursive: true });
    await writeFile(OUT, JSON.stringify({ machine, runs }, null, 2) + '\n');
    await writeFile(OUT.replace(/\.json$/, '.md'), report);
    progress(`results written to ${OUT} (and latest.md) in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
    await rm(temp, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
}

function record(runs: Run[], details: Detail[], target: BenchTarget, model: string, step: LoadStepResult): void {
  const open = step.mode === 'open';
  runs.push({
    target, model, mode: step.mode,
    ...(open ? { rate: step.rate! } : { concurrency: step.concurrency }),
    rows_per_s: Math.round(step.rowsPerSecond), requests_per_s: Math.round(step.requestsPerSecond),
    p50_us: step.latency.count ? step.latency.p50Us : null, p99_us: step.latency.count ? step.latency.p99Us : null, errors: step.errors,
  });
  details.push({
    p90Us: step.latency.p90Us, p999Us: step.latency.p999Us, maxUs: step.latency.maxUs, background: step.backgroundCores,
    note: open ? `${step.scheduled} scheduled in ${step.seconds} s, peak ${step.concurrency} outstanding; errors answered in p50 ${step.errorLatency?.p50Us} µs / p99 ${step.errorLatency?.p99Us} µs; max client send lag ${step.maxSendLagMs} ms` : undefined,
  });
}

const int = (n: number | null | undefined): string => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
const ratio = (a: number, b: number | undefined): string => (b ? `${(a / b).toFixed(2)}×` : '–');

function renderTable(runs: Run[], details: Detail[], machine: Record<string, unknown>, placement: string, probes: string[], busy: string[], started: number): string {
  const lines = [
    '# bench — raw ONNX Runtime vs naive node:http vs Switchyard',
    '',
    `machine: ${machine.cpus} × ${machine.cpu_model}, Node ${machine.node}, ${machine.os}`,
    placement,
    `load: single-row requests; closed loop per step ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms measured (HTTP/1.1 keep-alive: one connection per request in flight; gRPC: one HTTP/2 connection), after ${SERVER_WARMUP_MS} ms of unmeasured load per model × target; open loop: fixed schedule, latency from the scheduled send time, ${OPEN.warmupMs} ms warm-up + ${OPEN.durationMs} ms measured, at most ${OPEN.maxInflight} outstanding (beyond: client_overflow).`,
    'raw-ort: one session run back to back in-process, rows per run = batch (rows/s of that batch size; latency of single-row runs; its JSON rows carry an extra `batch` field). `× raw`: rows/s ÷ the best raw rows/s for the model (the limit). `× naive`: rows/s ÷ naive-http rows/s at the same concurrency.',
    `answers checked against raw ORT: ${probes.every((p) => p.endsWith(': ok')) ? 'all ok' : probes.join('; ')}`,
    '',
    '| model | target | mode | conc. / rate | rows/s | req/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | errors | × raw | × naive | other procs (cores) |',
    '|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|',
  ];
  for (const [i, r] of runs.entries()) {
    const d = details[i]!;
    const rawBest = Math.max(...runs.filter((x) => x.model === r.model && x.target === 'raw-ort').map((x) => x.rows_per_s));
    const naive = r.mode === 'closed' && r.target !== 'raw-ort' ? runs.find((x) => x.model === r.model && x.target === 'naive-http' && x.concurrency === r.concurrency) : undefined;
    const errors = Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join(', ') || '0';
    const load = r.mode === 'open' ? `${int(r.rate)}/s` : r.target === 'raw-ort' ? `1 (batch ${d.batch})` : String(r.concurrency);
    lines.push(`| ${r.model} | ${r.target} | ${r.mode} | ${load} | ${int(r.rows_per_s)} | ${int(r.requests_per_s)} | ${int(r.p50_us)} | ${int(d.p90Us)} | ${int(r.p99_us)} | ${int(d.p999Us)} | ${int(d.maxUs)} | ${errors} | ${ratio(r.rows_per_s, rawBest)} | ${ratio(r.rows_per_s, naive?.rows_per_s)} | ${d.background === undefined ? '–' : d.background.toFixed(2)} |`);
  }
  lines.push('');
  for (const [i, r] of runs.entries()) if (r.mode === 'open') lines.push(`open loop (${r.model}, ${r.target}, ${int(r.rate)}/s): ${details[i]!.note}`);
  const noisy = details.filter((d) => (d.background ?? 0) > NOISE_CORES).length;
  if (noisy > 0 || busy.length > 0) lines.push(`**machine busy**: ${noisy} of ${runs.length} measurements had other processes using > ${NOISE_CORES} cores meanwhile (column "other procs"); figures are pessimistic for those rows.${busy.length ? ' ' + busy[busy.length - 1] + '.' : ''}`);
  lines.push(`run took ${Math.round((Date.now() - started) / 1000)} s`, '');
  return lines.join('\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    void stopAllChildren().finally(() => process.exit(1));
  },
);
