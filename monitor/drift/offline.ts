/**
 * Offline drift between two tables (reference and current, one column per feature): the same
 * profile and the same tests as the streaming path, except that KS and Wasserstein run on the
 * full reference column rather than the profile's bounded sample, so that every number equals
 * SciPy's on the same two samples.
 *
 * Column kinds: a column is numeric when every non-empty reference cell is a finite decimal
 * number, categorical otherwise or when declared so. Empty cells are missing values and are left
 * out. A non-numeric cell in the current file under a numeric reference column is an error.
 */
import type { CsvTable } from './csv.js';
import { CsvError } from './csv.js';
import { buildProfile, type FeatureColumn, type ProfileOptions } from './profile.js';
import { compareDataset, currentSample, type CurrentSample, type DatasetDrift } from './report.js';

export interface OfflineOptions extends Pick<ProfileOptions, 'bins' | 'maxCategories' | 'thresholds' | 'datasetDriftShare'> {
  /** Columns to treat as categorical even though their values are numbers. */
  readonly categorical?: readonly string[];
}

export interface OfflineFeature {
  readonly name: string;
  readonly kind: 'numeric' | 'categorical';
  readonly referenceCount: number;
  readonly currentCount: number;
}

export interface OfflineDrift extends DatasetDrift {
  /** The compared features, in the reference's column order. */
  readonly columns: readonly OfflineFeature[];
  /** Current columns the reference does not have (not compared). */
  readonly ignoredColumns: readonly string[];
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A cell as a number, or undefined when it is not a finite decimal number. */
export function parseNumber(cell: string): number | undefined {
  const trimmed = cell.trim();
  if (!DECIMAL.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

export function compareTables(reference: CsvTable, current: CsvTable, options: OfflineOptions = {}): OfflineDrift {
  const categorical = new Set(options.categorical ?? []);
  for (const name of categorical) {
    if (!reference.header.includes(name)) throw new CsvError(`${reference.file}: no column '${name}' (declared categorical)`);
  }
  const referenceColumns: Record<string, FeatureColumn> = {};
  const currentColumns: Record<string, FeatureColumn> = {};
  const columns: OfflineFeature[] = [];
  reference.header.forEach((name, refIndex) => {
    const curIndex = current.header.indexOf(name);
    if (curIndex < 0) throw new CsvError(`${current.file}: no column '${name}', which the reference has`);
    const refCells = cells(reference, refIndex);
    const curCells = cells(current, curIndex);
    if (refCells.length === 0) throw new CsvError(`${reference.file}: column ${refIndex + 1} ('${name}') has no values`);
    if (curCells.length === 0) throw new CsvError(`${current.file}: column ${curIndex + 1} ('${name}') has no values`);
    const numeric = !categorical.has(name) && refCells.every((c) => parseNumber(c.text) !== undefined);
    if (numeric) {
      referenceColumns[name] = refCells.map((c) => parseNumber(c.text)!);
      currentColumns[name] = curCells.map((c) => {
        const value = parseNumber(c.text);
        if (value === undefined) {
          throw new CsvError(
            `${current.file}:${c.line}: column ${curIndex + 1} ('${name}'): expected a number, as in the reference, got '${c.text}'`,
          );
        }
        return value;
      });
    } else {
      referenceColumns[name] = refCells.map((c) => c.text);
      currentColumns[name] = curCells.map((c) => c.text);
    }
    columns.push({ name, kind: numeric ? 'numeric' : 'categorical', referenceCount: refCells.length, currentCount: curCells.length });
  });

  const profile = buildProfile(referenceColumns, { ...options, categorical: [...categorical] });
  const samples: Record<string, CurrentSample> = {};
  const fullReference: Record<string, ArrayLike<number>> = {};
  for (const { name, kind } of columns) {
    samples[name] = currentSample(profile.features[name]!, currentColumns[name]!);
    if (kind === 'numeric') fullReference[name] = referenceColumns[name] as readonly number[];
  }
  return {
    ...compareDataset(profile, { features: samples }, fullReference),
    columns,
    ignoredColumns: current.header.filter((name) => !reference.header.includes(name)),
  };
}

/** The non-empty cells of a column, with their lines. */
function cells(table: CsvTable, index: number): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  table.rows.forEach((row, r) => {
    const text = row[index]!;
    if (text !== '') out.push({ text, line: table.lines[r]! });
  });
  return out;
}
