/**
 * The targets `npm run bench` checks, each a ratio inside the one run: the
 * gateway against the limits measured beside it — the bare transport
 * (transport-echo-*), raw ONNX Runtime's compute, the naive server. Pure: runs
 * in, verdicts out; a target whose runs are missing has no verdict (null).
 */
import type { BenchRun, BenchTarget } from './bench-run.js';

export interface TargetVerdict {
  name: string;
  /** What was measured, with the figures it comes from. */
  figure: string;
  target: string;
  pass: boolean | null;
}

const SATURATION = 64;

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (r: number): string => `${(r * 100).toFixed(1)} %`;

/** The closed-loop run of a server target; gRPC's the one with every stream on one connection (h2load -c1 -mC). */
function closed(runs: readonly BenchRun[], target: BenchTarget, model: string, concurrency: number): BenchRun | undefined {
  return runs.find((r) => r.mode === 'closed' && r.target === target && r.model === model && r.concurrency === concurrency && (!target.endsWith('grpc') || r.connections === 1));
}

function rawSingleRowP50(runs: readonly BenchRun[], model: string): number | undefined {
  return runs.find((r) => r.target === 'raw-ort' && r.model === model && r.batch === 1)?.p50_us ?? undefined;
}

function missing(name: string, target: string, what: string): TargetVerdict {
  return { name, figure: `missing: ${what}`, target, pass: null };
}

export interface RawCpuAtBatch {
  cpuUsPerRow: number;
  /** How it was read off the measured batches. */
  how: string;
}

/**
 * Raw ORT's CPU per row at a batch size between the measured ones: interpolated
 * linearly in 1/batch, as a run's fixed cost is spread over its rows
 * (cost ≈ a + b / batch); outside the measured sizes, the nearest one.
 */
export function rawCpuAtBatch(points: ReadonlyArray<{ batch: number; cpuUsPerRow: number }>, batch: number): RawCpuAtBatch | undefined {
  const sorted = [...points].sort((a, b) => a.batch - b.batch);
  if (sorted.length === 0) return undefined;
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  const at = (p: { batch: number; cpuUsPerRow: number }): string => `batch ${p.batch}: ${p.cpuUsPerRow.toFixed(1)} µs`;
  if (batch <= first.batch) return { cpuUsPerRow: first.cpuUsPerRow, how: `nearest measured, ${at(first)}` };
  if (batch >= last.batch) return { cpuUsPerRow: last.cpuUsPerRow, how: `nearest measured, ${at(last)}` };
  const hi = sorted.findIndex((p) => p.batch >= batch);
  const [a, b] = [sorted[hi - 1]!, sorted[hi]!];
  if (b.batch === batch) return { cpuUsPerRow: b.cpuUsPerRow, how: `measured, ${at(b)}` };
  const t = (1 / a.batch - 1 / batch) / (1 / a.batch - 1 / b.batch);
  return { cpuUsPerRow: a.cpuUsPerRow + t * (b.cpuUsPerRow - a.cpuUsPerRow), how: `interpolated in 1/batch between ${at(a)} and ${at(b)}` };
}

function throughputShare(runs: readonly BenchRun[], name: string, target: BenchTarget, limit: BenchTarget, model: string, share: number): TargetVerdict {
  const goal = `≥ ${Math.round(share * 100)} % of ${limit}`;
  const [r, l] = [closed(runs, target, model, SATURATION), closed(runs, limit, model, SATURATION)];
  if (!r || !l || l.requests_per_s === 0) return missing(name, goal, `${target} and ${limit}, ${model}, c=${SATURATION}`);
  const ratio = r.requests_per_s / l.requests_per_s;
  return { name, figure: `${pct(ratio)} (${int(r.requests_per_s)} vs ${int(l.requests_per_s)} req/s)`, target: goal, pass: ratio >= share };
}

function addedP50(runs: readonly BenchRun[], target: BenchTarget, echo: BenchTarget, model: string, slackUs: number): TargetVerdict {
  const name = `${model}, c=1: ${target} p50`;
  const goal = `≤ ${echo} p50 + raw-ort single-row p50 + ${slackUs} µs`;
  const [r, e, raw] = [closed(runs, target, model, 1)?.p50_us, closed(runs, echo, model, 1)?.p50_us, rawSingleRowP50(runs, model)];
  if (r == null || e == null || raw === undefined) return missing(name, goal, `${target}, ${echo} and raw-ort p50, ${model}, c=1`);
  const bound = e + raw + slackUs;
  return { name, figure: `${int(r)} µs; bound ${int(bound)} µs (= ${int(e)} + ${int(raw)} + ${slackUs})`, target: goal, pass: r <= bound };
}

function p99Ratio(runs: readonly BenchRun[], model: string): TargetVerdict {
  const name = `${model}, c=1: switchyard-http-binary p99`;
  const goal = '≤ 2 × transport-echo-http p99';
  const [r, e] = [closed(runs, 'switchyard-http-binary', model, 1)?.p99_us, closed(runs, 'transport-echo-http', model, 1)?.p99_us];
  if (r == null || e == null || e === 0) return missing(name, goal, `switchyard-http-binary and transport-echo-http p99, ${model}, c=1`);
  return { name, figure: `${int(r)} µs = ${(r / e).toFixed(2)} × ${int(e)} µs`, target: goal, pass: r <= 2 * e };
}

function cpuPerRow(runs: readonly BenchRun[]): TargetVerdict {
  const name = `mlp, c=${SATURATION}: gateway CPU per row, switchyard-http-binary`;
  const goal = '≤ 1.6 × raw-ort CPU per row at the mean batch';
  const r = closed(runs, 'switchyard-http-binary', 'mlp', SATURATION);
  const points = runs.filter((x) => x.target === 'raw-ort' && x.model === 'mlp' && x.batch !== undefined && x.cpu_us_per_row !== undefined);
  const raw = r?.mean_batch == null ? undefined : rawCpuAtBatch(points.map((p) => ({ batch: p.batch!, cpuUsPerRow: p.cpu_us_per_row! })), r.mean_batch);
  if (!r || r.gateway_cpu_us_per_row == null || !raw) return missing(name, goal, 'switchyard-http-binary gateway CPU and mean batch, and raw-ort CPU per row, mlp');
  const ratio = r.gateway_cpu_us_per_row / raw.cpuUsPerRow;
  return {
    name,
    figure: `${r.gateway_cpu_us_per_row.toFixed(1)} µs = ${ratio.toFixed(2)} × raw ${raw.cpuUsPerRow.toFixed(1)} µs at mean batch ${r.mean_batch} (${raw.how})`,
    target: goal,
    pass: ratio <= 1.6,
  };
}

function overNaive(runs: readonly BenchRun[]): TargetVerdict {
  const name = `mlp, c=${SATURATION}: switchyard-http-binary vs naive-http rows/s`;
  const goal = '≥ 5 × naive-http';
  const [r, n] = [closed(runs, 'switchyard-http-binary', 'mlp', SATURATION), closed(runs, 'naive-http', 'mlp', SATURATION)];
  if (!r || !n || n.rows_per_s === 0) return missing(name, goal, `switchyard-http-binary and naive-http, mlp, c=${SATURATION}`);
  const ratio = r.rows_per_s / n.rows_per_s;
  return { name, figure: `${ratio.toFixed(2)}× (${int(r.rows_per_s)} vs ${int(n.rows_per_s)} rows/s)`, target: goal, pass: ratio >= 5 };
}

export function benchTargets(runs: readonly BenchRun[]): TargetVerdict[] {
  return [
    throughputShare(runs, `tabular, c=${SATURATION}: switchyard-http-binary req/s`, 'switchyard-http-binary', 'transport-echo-http', 'tabular', 0.8),
    addedP50(runs, 'switchyard-http-binary', 'transport-echo-http', 'tabular', 25),
    addedP50(runs, 'switchyard-http-binary', 'transport-echo-http', 'mlp', 25),
    p99Ratio(runs, 'tabular'),
    p99Ratio(runs, 'mlp'),
    cpuPerRow(runs),
    overNaive(runs),
    throughputShare(runs, `tabular, c=${SATURATION}, one connection: switchyard-grpc req/s`, 'switchyard-grpc', 'transport-echo-grpc', 'tabular', 0.7),
    addedP50(runs, 'switchyard-grpc', 'transport-echo-grpc', 'tabular', 40),
  ];
}
