/**
 * A job's training data: the trigger's or spec's dataset file, else the monitor's labeled-data
 * export; appended to the previous training set (the one stable was trained on, when the
 * registry kept it) — from the monitor, then, only the rows labelled since the export that set
 * came from (its cursor, in stable's lineage), so no example is counted twice and none of the
 * holdout (the newest rows) is also trained on; trimmed to the newest `max_rows`; checked
 * against `min_rows`. Every training
 * set is kept content-addressed at `<dataDir>/training/datasets/<sha256>.csv` — the hash a
 * version's lineage names — so the next job can merge it and anyone can retrain from it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../repository-writer.js';
import { exists, mkdirDurable } from '../registry/durable-fs.js';
import { concatDatasets, datasetCsv, datasetHash, parseDatasetCsv, sliceDataset, type LabeledDataset } from './dataset.js';
import type { TrainingDataSpec } from './training-config.js';

export interface TrainingData {
  data: LabeledDataset;
  /** sha256 of the canonical CSV: the lineage's data_hash. */
  hash: string;
  /** Where the set is kept. */
  path: string;
  /** Where the new rows came from: a file path or the monitor URL. */
  source: string;
  /** Rows taken from the previous training set. */
  previousRows: number;
  /** The monitor export's cursor: the next job asks for the rows after it. */
  cursor?: string;
}

export interface DataRequest {
  model: string;
  spec: TrainingDataSpec;
  /** A manual trigger's dataset path: wins over the spec's. */
  dataset?: string;
  monitorUrl?: string;
  /** The data_hash in stable's lineage. */
  previousHash?: string;
  /** The monitor cursor in stable's lineage: where the export that made its training set ended. */
  previousCursor?: string;
  dataDir: string;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export function datasetsDirectory(dataDir: string): string {
  return join(dataDir, 'training', 'datasets');
}

export function keptDatasetPath(dataDir: string, hash: string): string {
  return join(datasetsDirectory(dataDir), `${hash}.csv`);
}

export async function snapshotTrainingData(request: DataRequest): Promise<TrainingData> {
  const { spec, log } = request;
  const previous = spec.mergePrevious ? await previousSet(request) : undefined;
  const fresh = await newRows(request, previous && request.previousCursor);
  log(`data: ${fresh.data.rows} row(s) of [${fresh.data.featureNames.join(', ')}] from ${fresh.source}`);
  let data = fresh.data;
  let previousRows = 0;
  if (previous) {
    if (previous.featureNames.join(',') !== data.featureNames.join(',')) {
      log(`data: stable's training set has features [${previous.featureNames.join(', ')}], the new rows [${data.featureNames.join(', ')}]; training on the new rows only`);
    } else {
      data = concatDatasets(previous, data);
      previousRows = previous.rows;
      log(`data: merged after the ${previous.rows} row(s) of stable's training set ${request.previousHash!.slice(0, 12)}`);
    }
  }
  if (spec.maxRows !== undefined && data.rows > spec.maxRows) {
    log(`data: keeping the newest ${spec.maxRows} of ${data.rows} rows (max_rows)`);
    previousRows = Math.max(0, previousRows - (data.rows - spec.maxRows));
    data = sliceDataset(data, data.rows - spec.maxRows, data.rows);
  }
  if (data.rows < spec.minRows) {
    throw new Error(`not enough labeled data: ${data.rows} row(s) from ${fresh.source}${previousRows ? ` and the previous training set` : ''}, fewer than min_rows ${spec.minRows}`);
  }
  const csv = datasetCsv(data);
  const hash = datasetHash(data);
  const path = keptDatasetPath(request.dataDir, hash);
  await mkdirDurable(datasetsDirectory(request.dataDir));
  if (!(await exists(path))) await writeFileAtomic(path, new TextEncoder().encode(csv));
  log(`data: ${data.rows} row(s), sha256 ${hash}, kept at ${path}`);
  return { data, hash, path, source: fresh.source, previousRows, ...(fresh.cursor !== undefined ? { cursor: fresh.cursor } : {}) };
}

/** Stable's training set, when the registry kept it. */
async function previousSet(request: DataRequest): Promise<LabeledDataset | undefined> {
  const hash = request.previousHash;
  if (hash === undefined) return undefined;
  const path = keptDatasetPath(request.dataDir, hash);
  if (!/^[0-9a-f]{64}$/.test(hash) || !(await exists(path))) {
    request.log(`data: stable's training set ${hash} is not kept here (${datasetsDirectory(request.dataDir)}); training on the new rows only`);
    return undefined;
  }
  return parseDatasetCsv(await readFile(path, 'utf8'), path);
}

/** The dataset file, or the monitor's rows (only those after `after`, a cursor of an earlier export, when given). */
async function newRows(request: DataRequest, after: string | undefined): Promise<{ data: LabeledDataset; source: string; cursor?: string }> {
  const file = request.dataset ?? request.spec.dataset;
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the dataset ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the path is read by the registry process`);
    }
    return { data: parseDatasetCsv(text, file), source: file };
  }
  if (!request.spec.monitor) throw new Error(`model '${request.model}' has no data source: its training spec sets "monitor": false and no "dataset", and the trigger named none (switchyard train ${request.model} --dataset FILE)`);
  if (!request.monitorUrl) throw new Error(`model '${request.model}' trains on the monitor's labeled data, but the registry has no monitor URL (switchyard registry --monitor http://127.0.0.1:8010), and the trigger named no dataset`);
  const query = new URLSearchParams({ ...(request.spec.maxRows ? { limit: String(request.spec.maxRows) } : {}), ...(after !== undefined ? { after } : {}) }).toString();
  const url = `${request.monitorUrl.replace(/\/+$/, '')}/api/v1/models/${encodeURIComponent(request.model)}/labeled-data${query ? `?${query}` : ''}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.any([AbortSignal.timeout(60_000), ...(request.signal ? [request.signal] : [])]) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new Error(`cannot fetch labeled data from the monitor at ${url} (${cause ?? (err as Error).message})`);
  }
  const text = await res.text();
  if (res.status === 404 && after !== undefined) throw new Error(`the monitor has no labeled data for model '${request.model}' since stable's training set (404 from ${url}): new feedback labels must arrive before a retrain`);
  if (res.status === 404) throw new Error(`the monitor has no labeled data for model '${request.model}' yet (404 from ${url}): feedback labels must arrive before a retrain`);
  if (!res.ok) throw new Error(`the monitor answered ${res.status} for ${url}: ${text.slice(0, 200)}`);
  const cursor = res.headers.get('x-switchyard-cursor') ?? undefined;
  return { data: parseDatasetCsv(text, url), source: url, ...(cursor !== undefined ? { cursor } : {}) };
}
