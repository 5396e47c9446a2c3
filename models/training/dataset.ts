/**
 * The labeled-dataset file format every trainer, job and the monitor's export
 * share: CSV with a header of feature names and a last column `label`, one
 * example per line, numbers only. `datasetCsv` is the canonical text, so
 * `datasetHash` fingerprints the data (lineage) independently of how it was
 * produced.
 */
import { createHash } from 'node:crypto';

export interface LabeledDataset {
  featureNames: string[];
  rows: number;
  /** [rows, featureNames.length], row-major */
  features: Float32Array;
  /** one per row: the class index for classifiers, the target for regressors */
  labels: Float64Array;
}

export const LABEL_COLUMN = 'label';

/** Parses dataset CSV; errors name `where` (a path or source), the 1-based line and column. */
export function parseDatasetCsv(text: string, where: string): LabeledDataset {
  const lines = text.split(/\r?\n/);
  // A trailing newline (or several) ends the file; it is not an empty row.
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new Error(`${where}: empty file, expected a header row "<feature>,...,${LABEL_COLUMN}" and at least one row`);

  const header = lines[0].split(',').map((name) => name.trim());
  const columns = header.length;
  if (header[columns - 1] !== LABEL_COLUMN) {
    throw new Error(`${where}: line 1 column ${columns}: last header column is "${header[columns - 1]}", expected "${LABEL_COLUMN}"`);
  }
  const featureNames = header.slice(0, -1);
  if (featureNames.length === 0) throw new Error(`${where}: line 1: no feature columns before "${LABEL_COLUMN}"`);
  const seen = new Set<string>();
  featureNames.forEach((name, c) => {
    if (name === '' || name === LABEL_COLUMN || seen.has(name)) {
      throw new Error(`${where}: line 1 column ${c + 1}: feature name "${name}" is empty, repeated or "${LABEL_COLUMN}"; expected unique non-empty names`);
    }
    seen.add(name);
  });

  const rows = lines.length - 1;
  if (rows === 0) throw new Error(`${where}: no rows after the header, expected at least one`);
  const width = featureNames.length;
  const features = new Float32Array(rows * width);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const line = r + 2;
    const fields = lines[r + 1].split(',');
    if (fields.length !== columns) throw new Error(`${where}: line ${line}: ${fields.length} columns, expected ${columns} like the header`);
    for (let c = 0; c < columns; c++) {
      const field = fields[c].trim();
      const value = Number(field);
      // Number('') is 0; an empty field is a missing value, not zero.
      if (field === '' || !Number.isFinite(value)) {
        throw new Error(`${where}: line ${line} column ${c + 1} ("${header[c]}"): "${fields[c]}" is not a finite number`);
      }
      if (c < width) features[r * width + c] = value;
      else labels[r] = value;
    }
  }
  return { featureNames, rows, features, labels };
}

/** The canonical text: header, then one line per row, numbers via String(n), "\n" endings, trailing newline. */
export function datasetCsv(data: LabeledDataset): string {
  const width = checkDataset(data);
  for (const name of data.featureNames) {
    if (name === '' || /[,\r\n]/.test(name)) throw new Error(`feature name "${name}" cannot be written to CSV: expected non-empty, without commas or line breaks`);
  }
  const lines = [[...data.featureNames, LABEL_COLUMN].join(',')];
  for (let r = 0; r < data.rows; r++) {
    const fields: string[] = [];
    for (let c = 0; c < width; c++) fields.push(String(data.features[r * width + c]));
    fields.push(String(data.labels[r]));
    lines.push(fields.join(','));
  }
  return lines.join('\n') + '\n';
}

/** sha256 hex of the canonical text: equal data, equal hash, whatever file it came from. */
export function datasetHash(data: LabeledDataset): string {
  return createHash('sha256').update(datasetCsv(data)).digest('hex');
}

/** The rows of `first`, then those of `second`; both must have the same feature names in the same order. */
export function concatDatasets(first: LabeledDataset, second: LabeledDataset): LabeledDataset {
  checkDataset(first);
  checkDataset(second);
  if (first.featureNames.length !== second.featureNames.length || first.featureNames.some((name, i) => name !== second.featureNames[i])) {
    throw new Error(`cannot concatenate datasets with different features: [${first.featureNames.join(', ')}] and [${second.featureNames.join(', ')}]`);
  }
  const features = new Float32Array(first.features.length + second.features.length);
  features.set(first.features);
  features.set(second.features, first.features.length);
  const labels = new Float64Array(first.rows + second.rows);
  labels.set(first.labels);
  labels.set(second.labels, first.rows);
  return { featureNames: [...first.featureNames], rows: first.rows + second.rows, features, labels };
}

/** Rows [start, end) as a copy, with Array.prototype.slice's rules: negative counts from the end, out of range clamps. */
export function sliceDataset(data: LabeledDataset, start: number, end: number): LabeledDataset {
  const width = checkDataset(data);
  const from = clampIndex(start, data.rows);
  const to = Math.max(from, clampIndex(end, data.rows));
  return {
    featureNames: [...data.featureNames],
    rows: to - from,
    features: data.features.slice(from * width, to * width),
    labels: data.labels.slice(from, to),
  };
}

function clampIndex(index: number, rows: number): number {
  const i = Math.trunc(index);
  if (Number.isNaN(i)) throw new Error(`slice index ${index} is not a number`);
  return i < 0 ? Math.max(rows + i, 0) : Math.min(i, rows);
}

/** Throws when the arrays do not hold `rows` rows of featureNames.length values; returns that width. */
function checkDataset(data: LabeledDataset): number {
  const width = data.featureNames.length;
  if (data.features.length !== data.rows * width) {
    throw new Error(`dataset features hold ${data.features.length} values, expected ${data.rows} rows x ${width} features = ${data.rows * width}`);
  }
  if (data.labels.length !== data.rows) throw new Error(`dataset labels hold ${data.labels.length} values, expected one per row (${data.rows})`);
  return width;
}
