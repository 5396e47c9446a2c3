/**
 * Traffic for the bundled `tabular` model as an application would send it: rows drawn the way
 * its training table was (generateTabularDataset, another seed: fresh rows, same distribution),
 * optionally with one feature shifted; sent as Open Inference Protocol v2 JSON over keep-alive
 * HTTP with caller-chosen request ids; ground truth posted back to the feedback endpoint.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE } from '../../../models/manifest.js';
import { generateTabularDataset, TABULAR_CLASSES, TABULAR_FEATURES } from '../../../models/examples.js';
import { versionDirectory } from '../../../models/repository-writer.js';
import type { NumericFeatureProfile, ReferenceProfile } from '../../../monitor/drift/profile.js';
import { inParallel, KeepAlivePool } from '../../helpers/keepalive-http.js';
import { eventually } from '../../helpers/poll.js';

export const TABULAR_MODEL = 'tabular';

/** `rows` rows of the training distribution (seed ≠ the training seed), `shift` added to the given feature columns. */
export function tabularRows(rows: number, seed: number, shift: Record<number, number> = {}): Float32Array {
  const { features } = generateTabularDataset(rows, seed);
  for (const [column, by] of Object.entries(shift)) {
    for (let r = 0; r < rows; r++) features[r * TABULAR_FEATURES + Number(column)]! += by;
  }
  return features;
}

/** The reference profile the repository's manifest carries for a version of `tabular`. */
export async function tabularProfile(repository: string, version = '1'): Promise<ReferenceProfile> {
  const manifest = JSON.parse(await readFile(join(versionDirectory(repository, TABULAR_MODEL, version), MANIFEST_FILE), 'utf8')) as { reference_profile: ReferenceProfile };
  return manifest.reference_profile;
}

export function featureStd(profile: ReferenceProfile, feature: string): number {
  const f = profile.features[feature];
  if (!f || f.kind !== 'numeric') throw new Error(`the profile has no numeric feature '${feature}'`);
  return (f as NumericFeatureProfile).std;
}

export interface Answered {
  id: string;
  version: string;
  /** Predicted class per row (argmax of the probabilities). */
  predicted: number[];
}

export interface SendOptions {
  rowsPerRequest: number;
  concurrency: number;
  /** Request ids are `${idPrefix}-${i}`. */
  idPrefix: string;
}

/** Sends the rows in requests of `rowsPerRequest`; every answer must be 200. Answers in request order. */
export async function inferRows(http: string, features: Float32Array, options: SendOptions): Promise<Answered[]> {
  const rows = features.length / TABULAR_FEATURES;
  const requests = Math.ceil(rows / options.rowsPerRequest);
  const pool = new KeepAlivePool(http, options.concurrency);
  try {
    return await inParallel(requests, options.concurrency, async (i) => {
      const from = i * options.rowsPerRequest;
      const n = Math.min(options.rowsPerRequest, rows - from);
      const id = `${options.idPrefix}-${i}`;
      const body = JSON.stringify({
        id,
        inputs: [{ name: 'features', shape: [n, TABULAR_FEATURES], datatype: 'FP32', data: Array.from(features.subarray(from * TABULAR_FEATURES, (from + n) * TABULAR_FEATURES)) }],
      });
      const reply = await pool.request({ path: `/v2/models/${TABULAR_MODEL}/infer`, headers: { 'Content-Type': 'application/json' }, body });
      if (reply.status !== 200) throw new Error(`request ${id}: HTTP ${reply.status}: ${reply.body.toString('utf8').slice(0, 300)}`);
      const answer = JSON.parse(reply.body.toString('utf8')) as { id: string; model_version: string; outputs: Array<{ data: number[] }> };
      if (answer.id !== id) throw new Error(`request ${id} answered as '${answer.id}'`);
      const p = answer.outputs[0]!.data;
      const predicted = Array.from({ length: n }, (_, r) => {
        let best = 0;
        for (let k = 1; k < TABULAR_CLASSES; k++) if (p[r * TABULAR_CLASSES + k]! > p[r * TABULAR_CLASSES + best]!) best = k;
        return best;
      });
      return { id, version: answer.model_version, predicted };
    });
  } finally {
    pool.close();
  }
}

/** POSTs `[{id, label}]` to the feedback endpoint in chunks; resolves with the labels accepted. */
export async function postFeedback(http: string, items: ReadonlyArray<{ id: string; label: number | number[] }>, chunk = 1000): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < items.length; i += chunk) {
    const res = await fetch(`${http}/v2/models/${TABULAR_MODEL}/feedback`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(items.slice(i, i + chunk)),
    });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`feedback: HTTP ${res.status}: ${body.slice(0, 300)}`);
    accepted += (JSON.parse(body) as { accepted: number }).accepted;
  }
  return accepted;
}

/** Polls until `check` returns something other than undefined; fails after `timeoutMs` naming `what`. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  return eventually(what, check, timeoutMs, everyMs);
}
