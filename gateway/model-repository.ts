/**
 * Reads a model repository directory laid out as `<repo>/<model>/<version>/`
 * with `manifest.json` and the ONNX file. A version whose file does not match
 * its manifest's sha256 is refused, never served.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, parseManifest, type ModelManifest } from '../models/manifest.js';

export interface LoadedVersion {
  manifest: ModelManifest;
  model: Uint8Array;
}

export interface RefusedVersion {
  name: string;
  version: string;
  reason: string;
}

export interface RepositoryContents {
  loaded: LoadedVersion[];
  refused: RefusedVersion[];
}

export async function readRepository(dir: string): Promise<RepositoryContents> {
  const contents: RepositoryContents = { loaded: [], refused: [] };
  for (const name of await subdirectories(dir)) {
    for (const version of await subdirectories(join(dir, name))) {
      try {
        contents.loaded.push(await readModelVersion(join(dir, name, version), name, version));
      } catch (err) {
        contents.refused.push({ name, version, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return contents;
}

export async function readModelVersion(dir: string, name: string, version: string): Promise<LoadedVersion> {
  const where = join(dir, MANIFEST_FILE);
  const manifest = parseManifest(JSON.parse(await readFile(where, 'utf8')), where);
  if (manifest.name !== name || manifest.version !== version) {
    throw new Error(`${where}: manifest says ${manifest.name}/${manifest.version} but lives in ${name}/${version}`);
  }
  const model = await readFile(join(dir, manifest.file));
  const sha256 = createHash('sha256').update(model).digest('hex');
  if (sha256 !== manifest.sha256) {
    throw new Error(`${join(dir, manifest.file)}: sha256 is ${sha256} but the manifest expects ${manifest.sha256}; the file is corrupt or was replaced, refusing to serve it`);
  }
  return { manifest, model: new Uint8Array(model.buffer, model.byteOffset, model.byteLength) };
}

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
}
