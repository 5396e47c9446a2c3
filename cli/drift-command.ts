/**
 * `switchyard drift --reference ref.csv --current cur.csv [--json]`: offline drift between two
 * CSV files (header row, one column per feature), with the monitor's own statistics.
 */
import { parseArgs } from 'node:util';
import { readCsv } from '../monitor/drift/csv.js';
import { compareTables, type OfflineDrift } from '../monitor/drift/offline.js';
import type { FeatureDrift } from '../monitor/drift/report.js';

export const DRIFT_HELP = `usage: switchyard drift --reference REF.csv --current CUR.csv [options]

Compares each column of CUR.csv with the same column of REF.csv: PSI and Jensen-Shannon
distance over the reference's quantile bins (deciles by default), two-sample KS (statistic,
p-value) and Wasserstein distance for numeric columns, chi-squared for categorical ones, and
a drift flag per column.

options:
  -r, --reference FILE    reference data (e.g. the training set), CSV with a header row
  -c, --current FILE      current data, CSV with the same columns
  --json                  print {"<column>": {psi, ks_stat, ks_pvalue, js, wasserstein,
                          wasserstein_norm, chi2?, chi2_pvalue?, drift}} instead of a table
  --categorical LIST      comma-separated columns to treat as categorical although numeric
  --bins N                numeric bins at the reference's quantiles (default 10)
  -h, --help              this help

A column is numeric when every non-empty reference cell is a number; empty cells are missing
values. In --json output a statistic that does not apply is null (KS and Wasserstein for a
categorical column), and an infinite chi-squared (a category the reference never had) is the
string "Infinity".
`;

const OPTIONS = {
  reference: { type: 'string', short: 'r' },
  current: { type: 'string', short: 'c' },
  json: { type: 'boolean', default: false },
  categorical: { type: 'string' },
  bins: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function driftCommand(argv: string[]): Promise<void> {
  let values: { [K in keyof typeof OPTIONS]?: string | boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new Error(`${(err as Error).message}\n\n${DRIFT_HELP}`);
  }
  if (values.help) {
    process.stdout.write(DRIFT_HELP);
    return;
  }
  if (typeof values.reference !== 'string' || typeof values.current !== 'string') {
    throw new Error(`--reference and --current are both required\n\n${DRIFT_HELP}`);
  }
  const bins = values.bins === undefined ? undefined : Number(values.bins);
  if (bins !== undefined && !(Number.isInteger(bins) && bins >= 2)) {
    throw new Error(`--bins must be an integer >= 2, got '${values.bins}'`);
  }
  const categorical =
    typeof values.categorical === 'string'
      ? values.categorical.split(',').map((s) => s.trim()).filter((s) => s !== '')
      : [];
  const [reference, current] = await Promise.all([readCsv(values.reference), readCsv(values.current)]);
  const result = compareTables(reference, current, { categorical, ...(bins !== undefined ? { bins } : {}) });
  if (result.ignoredColumns.length > 0) {
    process.stderr.write(`switchyard drift: ignoring columns of ${current.file} not in the reference: ${result.ignoredColumns.join(', ')}\n`);
  }
  process.stdout.write(values.json ? driftJson(result) : driftTable(result));
}

/** The --json object: one entry per column, in the reference's column order. */
export function driftJson(result: OfflineDrift): string {
  const out: Record<string, FeatureDrift> = {};
  for (const { name } of result.columns) out[name] = result.features[name]!;
  const replacer = (_key: string, value: unknown): unknown =>
    typeof value === 'number' && !Number.isFinite(value) ? (Number.isNaN(value) ? null : String(value)) : value;
  return JSON.stringify(out, replacer, 2) + '\n';
}

const TABLE_COLUMNS = ['feature', 'kind', 'n_ref', 'n_cur', 'psi', 'ks_stat', 'ks_pvalue', 'js', 'wasserstein', 'wass_norm', 'chi2', 'chi2_pvalue', 'drift'];

export function driftTable(result: OfflineDrift): string {
  const rows = result.columns.map((c) => {
    const f = result.features[c.name]!;
    return [
      c.name,
      c.kind,
      String(c.referenceCount),
      String(c.currentCount),
      formatNumber(f.psi),
      formatNumber(f.ks_stat),
      formatNumber(f.ks_pvalue),
      formatNumber(f.js),
      formatNumber(f.wasserstein),
      formatNumber(f.wasserstein_norm),
      formatNumber(f.chi2),
      formatNumber(f.chi2_pvalue),
      f.drift ? 'DRIFT' : 'ok',
    ];
  });
  const widths = TABLE_COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const leftAligned = new Set([0, 1, TABLE_COLUMNS.length - 1]);
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (leftAligned.has(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const percent = (result.share * 100).toFixed(0);
  const summary = `dataset drift: ${result.drift ? 'YES' : 'no'} (${result.driftedFeatures} of ${result.comparedFeatures} features drifted, ${percent}%; threshold ${(result.shareThreshold * 100).toFixed(0)}%)`;
  return [line(TABLE_COLUMNS), ...rows.map(line), '', summary, ''].join('\n');
}

/** Four significant digits; '-' where a statistic does not apply. */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const magnitude = Math.abs(x);
  return magnitude >= 1e-4 && magnitude < 1e6 ? String(Number(x.toPrecision(4))) : x.toExponential(3);
}
