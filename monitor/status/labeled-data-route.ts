/**
 * GET /api/v1/models/{model}/labeled-data[?limit=N][&after=CURSOR]: the model's labelled rows as
 * dataset CSV (models/training/dataset.ts), oldest first, for the training runner to snapshot;
 * with `after` (the X-Switchyard-Cursor of an earlier answer) only the rows labelled since. The
 * answer as data; the status server writes it.
 */
import { datasetCsv, type LabeledDataset } from '../../models/training/dataset.js';

export type LabeledDataSource = (model: string, limit: number | undefined, after: string | undefined) => (LabeledDataset & { cursor: string }) | undefined;

export type LabeledDataReply = { status: 200; rows: number; csv: string; cursor: string } | { status: 400 | 404; error: string };

export const LABELED_DATA_PATH = /^\/api\/v1\/models\/([^/]+)\/labeled-data$/;

export function labeledDataReply(encodedModel: string, query: URLSearchParams, source: LabeledDataSource): LabeledDataReply {
  let model: string;
  try {
    model = decodeURIComponent(encodedModel);
  } catch {
    return { status: 400, error: `model name '${encodedModel}' is not valid percent-encoding` };
  }
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? undefined : Number(rawLimit);
  if (rawLimit !== null && !(/^\d+$/.test(rawLimit) && Number.isSafeInteger(limit) && limit! >= 1)) {
    return { status: 400, error: `limit must be a positive integer (the newest N rows), got '${rawLimit}'` };
  }
  const after = query.get('after') ?? undefined;
  if (after !== undefined && !/^[0-9a-f]+\.\d+$/.test(after)) {
    return { status: 400, error: `after must be the X-Switchyard-Cursor of an earlier answer ("<id>.<n>"), got '${after}'` };
  }
  const data = source(model, limit, after);
  if (data?.rows === 0) {
    return { status: 404, error: `no labelled rows for model '${model}' since cursor ${after}: no new label has joined a sampled prediction since that export` };
  }
  if (!data) {
    return {
      status: 404,
      error:
        `no labelled rows for model '${model}': a row is kept when a prediction of its stable or canary version ` +
        `had its inputs sampled (gateway input sampling) and then got a label (POST /v2/models/${model}/feedback)`,
    };
  }
  return { status: 200, rows: data.rows, csv: datasetCsv(data), cursor: data.cursor };
}
