/**
 * The core benchmark's markdown: the raw ORT figures, the gateway per target
 * and concurrency as ratios of the raw best, and the issue's two targets
 * checked (HTTP binary ≥ 70 % of raw rows/s at saturation; p50 added over a
 * raw single-row run at concurrency 1 < 300 µs).
 */
import type { LoadStepResult } from './load-step.js';
import type { RawOrtResult } from './raw-ort.js';
import type { WrkLatency } from './wrk-latency.js';

export const THROUGHPUT_TARGET = 0.7;
export const ADDED_P50_TARGET_US = 300;
/** Other processes' CPU above which a measurement is flagged as disturbed (and retried by bench:core when time allows). */
export const NOISE_CORES = 0.15;

export interface CoreVerdict {
  httpBinarySaturationRowsPerSecond: number;
  httpBinarySaturationConcurrency: number;
  throughputRatio: number;
  throughputMet: boolean;
  /** Single-row requests only: the latency target is about one row. */
  addedP50Us: number | undefined;
  latencyMet: boolean;
}

export interface CoreReportInput {
  title: string;
  configuration: string[];
  raw: RawOrtResult;
  steps: LoadStepResult[];
  probes: Record<string, string>;
  rowsPerRequest: number;
  /** Concurrency 1 over HTTP binary with wrk (a C client), when installed. */
  wrk?: WrkLatency;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (n: number): string => `${(n * 100).toFixed(1)} %`;
const fixed = (n: number | undefined, digits = 1): string => (n === undefined ? '–' : n.toFixed(digits));

export function verdict(raw: RawOrtResult, steps: readonly LoadStepResult[], rowsPerRequest: number): CoreVerdict {
  const binary = steps.filter((s) => s.target === 'http-binary');
  const saturation = binary.reduce<LoadStepResult | undefined>((best, s) => (!best || s.rowsPerSecond > best.rowsPerSecond ? s : best), undefined);
  const c1 = binary.find((s) => s.concurrency === 1);
  const ratio = saturation ? saturation.rowsPerSecond / raw.best.rowsPerSecond : 0;
  const added = c1 && rowsPerRequest === 1 ? c1.latency.p50Us - raw.singleRow.p50Us : undefined;
  return {
    httpBinarySaturationRowsPerSecond: saturation?.rowsPerSecond ?? 0,
    httpBinarySaturationConcurrency: saturation?.concurrency ?? 0,
    throughputRatio: ratio,
    throughputMet: ratio >= THROUGHPUT_TARGET,
    addedP50Us: added,
    latencyMet: added !== undefined && added < ADDED_P50_TARGET_US,
  };
}

function errorsOf(step: LoadStepResult): string {
  const entries = Object.entries(step.errors);
  return entries.length === 0 ? '0' : entries.map(([k, n]) => `${n} ${k}`).join(', ');
}

export function renderCoreReport(input: CoreReportInput): string {
  const { raw, steps } = input;
  const lines: string[] = [`## ${input.title}`, '', ...input.configuration.map((c) => `- ${c}`), ''];

  lines.push(`### Raw ONNX Runtime, in-process (${raw.instances} session${raw.instances > 1 ? 's in parallel' : ''} × ${raw.intraOpThreads} intra-op thread${raw.intraOpThreads > 1 ? 's' : ''})`, '');
  lines.push('| batch | rows/s | µs per run | × best |', '| ---: | ---: | ---: | ---: |');
  for (const b of raw.batches) lines.push(`| ${b.batch} | ${int(b.rowsPerSecond)} | ${fixed(b.usPerRun)} | ${pct(b.rowsPerSecond / raw.best.rowsPerSecond)} |`);
  const s = raw.singleRow;
  lines.push('', `Single-row run, one session alone: p50 ${s.p50Us} µs, p99 ${s.p99Us} µs (${int(s.count)} runs). Other processes meanwhile: ${fixed(raw.backgroundCores, 2)} cores.`, '');

  const rows = input.rowsPerRequest;
  // the raw run a request is compared with: a single row, or a batch of the request's rows when measured
  const rawRun = rows === 1 ? { label: 'p50 − raw 1-row µs', us: raw.singleRow.p50Us } : { label: `p50 − raw ${rows}-row run µs`, us: raw.batches.find((b) => b.batch === rows)?.usPerRun };
  lines.push(`### Gateway, ${rows === 1 ? 'single-row' : `${rows}-row`} requests ([${rows},256]), closed loop`, '');
  lines.push(
    `| target | conc | rows/s | ÷ raw best | p50 µs | p99 µs | ${rawRun.label} | errors | mean batch | other procs (cores) |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  );
  for (const step of steps) {
    lines.push(
      `| ${step.target} | ${step.concurrency} | ${int(step.rowsPerSecond)} | ${pct(step.rowsPerSecond / raw.best.rowsPerSecond)} | ${step.latency.p50Us} | ${step.latency.p99Us} | ` +
        `${rawRun.us === undefined ? '–' : Math.round(step.latency.p50Us - rawRun.us)} | ${errorsOf(step)} | ${fixed(step.batch?.meanBatchRows)} | ${fixed(step.backgroundCores, 2)} |`,
    );
  }
  lines.push('', '### Where the time and the CPU go', '');
  lines.push(
    '| target | conc | client mean µs | in service µs | of which queued µs | ORT run per batch µs | outside service µs | ORT busy | gw main thread | gw main µs/req | gw other threads | client µs/req |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const step of steps) {
    const cpu = step.serverCpu;
    const b = step.batch;
    lines.push(
      `| ${step.target} | ${step.concurrency} | ${fixed(step.latency.meanUs, 0)} | ${fixed(b?.meanServiceUs, 0)} | ${fixed(b?.meanQueueUs, 0)} | ${fixed(b?.meanComputeUs, 0)} | ` +
        `${b ? fixed(step.latency.meanUs - b.meanServiceUs, 0) : '–'} | ${b ? pct(b.workerBusy) : '–'} | ${cpu ? pct(cpu.main) : '–'} | ${fixed(step.serverMainUsPerRequest)} | ` +
        `${cpu ? pct(cpu.other) : '–'} | ${fixed(step.clientCpuUsPerRequest)} |`,
    );
  }
  lines.push('');
  const noisy = [raw.backgroundCores ?? 0, ...steps.map((st) => st.backgroundCores ?? 0)].some((c) => c > NOISE_CORES);
  if (noisy) lines.push(`**Warning:** other processes used more than ${NOISE_CORES} cores during some measurements (column "other procs"); those figures understate this machine.`, '');
  const probes = Object.entries(input.probes).map(([t, r]) => `${t}: ${r}`);
  if (probes.length > 0) lines.push(`Answers checked against raw ORT on the same row: ${probes.join('; ')}.`, '');

  const v = verdict(raw, steps, rows);
  lines.push('### Targets (heavy MLP)', '');
  lines.push(
    `- HTTP binary at saturation: ${int(v.httpBinarySaturationRowsPerSecond)} rows/s (concurrency ${v.httpBinarySaturationConcurrency}) = ${pct(v.throughputRatio)} of raw best ` +
      `${int(raw.best.rowsPerSecond)} rows/s (batch ${raw.best.batch}); target ≥ ${pct(THROUGHPUT_TARGET)}: **${v.throughputMet ? 'met' : 'not met'}**`,
  );
  lines.push(
    rows === 1
      ? `- p50 added at concurrency 1 (HTTP binary p50 − raw single-row p50 ${raw.singleRow.p50Us} µs): ${v.addedP50Us ?? '–'} µs; target < ${ADDED_P50_TARGET_US} µs: **${v.latencyMet ? 'met' : 'not met'}**`
      : `- p50 added at concurrency 1: the target is about single-row requests (run with --rows-per-request 1)`,
  );
  if (input.wrk && rows === 1) {
    const added = input.wrk.p50Us - raw.singleRow.p50Us;
    lines.push(
      `- the same with wrk (C, one connection) as the client, which adds no event-loop wake-up of its own: p50 ${input.wrk.p50Us} µs, p99 ${input.wrk.p99Us} µs; added over raw: ${added} µs; target < ${ADDED_P50_TARGET_US} µs: **${added < ADDED_P50_TARGET_US ? 'met' : 'not met'}**`,
    );
  }
  lines.push(
    '',
    'Columns: rows/s and latency from the client (send → full answer, HDR histogram, every request in the window); ÷ raw best = rows/s over the best raw rows/s ' +
      'at the same sessions × threads; other procs = CPU cores used meanwhile by processes other than the gateway and the client (noise). ' +
      'From the gateway\'s /metrics: mean batch; in service = request decoded → answer ready (validation, queue, worker hand-off, ORT, split); queued = wait in the batcher; ' +
      'ORT run = session.run per batch inside the worker; ORT busy = worker busy seconds per second (summed over instances). Outside service = client mean − in service: ' +
      'sockets, HTTP/gRPC parsing and encoding, event-loop turns, the client. From /proc: gw main / other threads = CPU cores used by the gateway\'s event-loop thread ' +
      'and by all its other threads (ORT workers, GC, libuv); µs/req = CPU per answered request.',
  );
  return lines.join('\n') + '\n';
}
