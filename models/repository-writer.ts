/**
 * Writes one model version into a filesystem model repository:
 * `<repo>/<name>/<version>/model.onnx` and its `manifest.json`. Each file is
 * written atomically (temp file, fsync, rename, fsync of the directory), the
 * model before the manifest, so a reader that finds a manifest finds the whole
 * model file it describes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  MANIFEST_FILE,
  MODEL_FILE,
  parseManifest,
  type BatchingSpec,
  type ExecutionSpec,
  type Lineage,
  type ModelManifest,
  type TensorSpec,
} from './manifest.js';

/** What the caller decides about a version; file name and sha256 are filled in here. */
export interface ModelVersionFields {
  name: string;
  version: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  batching?: Partial<BatchingSpec>;
  execution?: Partial<ExecutionSpec>;
  lineage?: Lineage;
  reference_profile?: unknown;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function versionDirectory(repoDir: string, name: string, version: string): string {
  return join(repoDir, name, version);
}

/** Validates the manifest first (nothing is written for a bad one), then writes model and manifest. */
export async function writeModelVersion(repoDir: string, fields: ModelVersionFields, onnxBytes: Uint8Array): Promise<ModelManifest> {
  const raw = { ...fields, platform: 'onnxruntime_onnx', file: MODEL_FILE, sha256: sha256Hex(onnxBytes) };
  const manifest = parseManifest(raw, `model '${fields.name}' version ${fields.version}`);
  const dir = versionDirectory(repoDir, manifest.name, manifest.version);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, MODEL_FILE), onnxBytes);
  await writeFileAtomic(join(dir, MANIFEST_FILE), new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
  return manifest;
}

/** Readers see either the old file or the complete new one, also after a crash. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  // The rename is durable only once the directory entry is on disk.
  const directory = await open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
