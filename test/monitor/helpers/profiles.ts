/** A repository directory holding manifests with reference profiles built by buildProfile, and rows drawn like (or unlike) the reference. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProfile } from '../../../monitor/drift/profile.js';
import { mulberry32, normalSampler } from '../../../runtime/random.js';
import type { RecordBatch } from '../../../runtime/records.js';
import { prediction, twoClass } from './records.js';

export const FEATURES = ['age', 'income', 'score'];

/** Rows of standard normal features, each shifted by `shift[feature]`. */
export function rows(count: number, seed: number, shift: Record<string, number> = {}): number[][] {
  const normal = normalSampler(mulberry32(seed));
  return Array.from({ length: count }, () => FEATURES.map((f) => normal() + (shift[f] ?? 0)));
}

/** A repository with `versions` of `model`, each with a profile of 2,000 reference rows (seed 7). */
export async function profiledRepository(model: string, versions: string[]): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-monitor-'));
  const reference = rows(2000, 7);
  const profile = buildProfile(Object.fromEntries(FEATURES.map((f, j) => [f, reference.map((r) => r[j]!)])));
  for (const version of versions) {
    await mkdir(join(dir, model, version), { recursive: true });
    const manifest = {
      name: model,
      version,
      sha256: '0'.repeat(64),
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, FEATURES.length] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
      reference_profile: profile,
    };
    await writeFile(join(dir, model, version, 'manifest.json'), JSON.stringify(manifest));
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

let sequence = 0;

/** One prediction record per 10 rows, unique ids. */
export function predictionBatch(model: string, version: string, role: string, data: number[][]): RecordBatch {
  const predictions = [];
  for (let i = 0; i < data.length; i += 10) {
    const chunk = data.slice(i, i + 10);
    predictions.push(prediction({ id: `req-${++sequence}`, model, version, role, features: chunk, probabilities: chunk.map((r) => twoClass(r[0]! > 0 ? 1 : 0)) }));
  }
  return { predictions, feedback: [] };
}
