/**
 * `npm run bench`'s markdown: what was run and how, whether every answer was
 * right, the results table (with each row's ratio to its transport's echo, to
 * raw ORT's best and to the naive server) and the targets table.
 */
import type { BenchRun } from './bench-run.js';
import type { TargetVerdict } from './bench-targets.js';

export interface AnswerCheckResult {
  target: string;
  model: string;
  result: string;
}

export interface BenchReportInput {
  title: string;
  /** Lines on the machine, clients, placement and windows. */
  setup: string[];
  checks: AnswerCheckResult[];
  runs: BenchRun[];
  targets: TargetVerdict[];
  /** Other processes' cores above which a row is flagged as noisy. */
  noiseCores: number;
  /** Lines after the tables (the open-loop step, noise). */
  notes: string[];
}

const int = (n: number | null | undefined): string => (n == null ? '–' : Math.round(n).toLocaleString('en-US'));
const fixed1 = (n: number | null | undefined): string => (n == null ? '–' : n.toFixed(1));
const ratio = (a: number, b: number | undefined): string => (b ? `${(a / b).toFixed(2)}×` : '–');

function transportOf(run: BenchRun): BenchRun['target'] | undefined {
  if (run.target === 'raw-ort' || run.target.startsWith('transport-')) return undefined;
  return run.target.endsWith('grpc') ? 'transport-echo-grpc' : 'transport-echo-http';
}

function resultsTable(runs: readonly BenchRun[]): string[] {
  const lines = [
    '| model | target | client | load | conns | rows/s | req/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | errors | mean batch | CPU µs/row | × transport | × raw | × naive | other procs (cores) |',
    '|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of runs) {
    const rawBest = Math.max(...runs.filter((x) => x.model === r.model && x.target === 'raw-ort').map((x) => x.rows_per_s));
    const sameLoad = (target: BenchRun['target'] | undefined, connections?: number): BenchRun | undefined =>
      r.mode !== 'closed' || !target ? undefined : runs.find((x) => x.model === r.model && x.target === target && x.concurrency === r.concurrency && (connections === undefined || x.connections === connections));
    const transport = sameLoad(transportOf(r), r.connections);
    const naive = r.target.startsWith('switchyard-') ? sameLoad('naive-http') : undefined;
    const load = r.mode === 'open' ? `${int(r.rate)}/s open` : r.batch !== undefined ? `batch ${r.batch}` : `c=${r.concurrency}`;
    const errors = Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join(', ') || '0';
    const cpu = r.cpu_us_per_row ?? r.gateway_cpu_us_per_row ?? r.server_cpu_us_per_row;
    lines.push(
      `| ${r.model} | ${r.target} | ${r.client} | ${load} | ${r.connections ?? '–'} | ${int(r.rows_per_s)} | ${int(r.requests_per_s)} | ${int(r.p50_us)} | ${int(r.p90_us)} | ${int(r.p99_us)} | ${int(r.p999_us)} | ${int(r.max_us)} | ${errors} | ` +
        `${fixed1(r.mean_batch)} | ${fixed1(cpu)} | ${ratio(r.requests_per_s, transport?.requests_per_s)} | ${r.target === 'raw-ort' || r.target.startsWith('transport-') ? '–' : ratio(r.rows_per_s, rawBest)} | ${ratio(r.rows_per_s, naive?.rows_per_s)} | ${r.other_cores == null ? '–' : r.other_cores.toFixed(2)} |`,
    );
  }
  return lines;
}

function targetsTable(targets: readonly TargetVerdict[]): string[] {
  return [
    '| # | target | figure | goal | pass |',
    '|--:|---|---|---|---|',
    ...targets.map((t, i) => `| ${i + 1} | ${t.name} | ${t.figure} | ${t.target} | ${t.pass === null ? '–' : t.pass ? 'yes' : '**no**'} |`),
  ];
}

export function renderBenchReport(input: BenchReportInput): string {
  const wrong = input.checks.filter((c) => c.result !== 'ok');
  const noisy = input.runs.filter((r) => (r.other_cores ?? 0) > input.noiseCores).length;
  const lines = [
    `# ${input.title}`,
    '',
    ...input.setup,
    `answers checked (first answer of each target × model against raw ORT's outputs for the same row, or the echo's fixed answer): ${wrong.length === 0 ? `all ${input.checks.length} ok` : wrong.map((c) => `${c.model} ${c.target}: ${c.result}`).join('; ')}`,
    '',
    ...resultsTable(input.runs),
    '',
    '## Targets',
    '',
    ...targetsTable(input.targets),
    '',
    ...input.notes,
  ];
  if (noisy > 0) lines.push(`**machine busy**: ${noisy} of ${input.runs.length} rows had other processes using more than ${input.noiseCores} cores meanwhile (column "other procs"); their figures are pessimistic.`);
  lines.push('');
  return lines.join('\n');
}
