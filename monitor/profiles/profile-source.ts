/**
 * Where a version's reference profile is read from: its manifest in a Switchyard registry
 * (GET /api/v1/models/{m}/versions/{v} → {manifest}) or in a model repository directory
 * (DIR/<m>/<v>/manifest.json). Only the manifest is read, never the model file.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, modelNameProblem, parseManifest, versionProblem } from '../../models/manifest.js';
import type { ReferenceProfile } from '../drift/profile.js';
import { ProfileFormatError, parseReferenceProfile } from './profile-json.js';

export interface ProfileSource {
  /** For logs and status: where profiles come from. */
  readonly description: string;
  /**
   * The version's profile, or null when its manifest has none. Throws ProfileFetchError when the
   * manifest cannot be had (worth asking again later) and ProfileFormatError when it is malformed.
   */
  fetch(model: string, version: string): Promise<ReferenceProfile | null>;
}

export class ProfileFetchError extends Error {
  override name = 'ProfileFetchError';
}

/** Names from records become paths and URLs: only the registry's own naming rules get through. */
function checkNames(model: string, version: string): void {
  const problem = modelNameProblem(model) ?? versionProblem(version);
  if (problem) throw new ProfileFetchError(`model ${JSON.stringify(model)} version ${JSON.stringify(version)}: ${problem}`);
}

function profileOf(manifestJson: unknown, where: string): ReferenceProfile | null {
  const manifest = parseManifest(manifestJson, where);
  return manifest.reference_profile === null || manifest.reference_profile === undefined ? null : parseReferenceProfile(manifest.reference_profile, where);
}

export class DirectoryProfileSource implements ProfileSource {
  constructor(private readonly dir: string) {}

  get description(): string {
    return `repository ${this.dir}`;
  }

  async fetch(model: string, version: string): Promise<ReferenceProfile | null> {
    checkNames(model, version);
    const where = join(this.dir, model, version, MANIFEST_FILE);
    let text: string;
    try {
      text = await readFile(where, 'utf8');
    } catch (err) {
      throw new ProfileFetchError(`${where}: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ProfileFormatError(`${where}: not valid JSON: ${(err as Error).message}`);
    }
    return profileOf(json, where);
  }
}

export class RegistryProfileSource implements ProfileSource {
  constructor(
    private readonly url: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 10_000,
  ) {}

  get description(): string {
    return `registry ${this.url}`;
  }

  async fetch(model: string, version: string): Promise<ReferenceProfile | null> {
    checkNames(model, version);
    const where = `${this.url}/api/v1/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}`;
    let res: Response;
    try {
      res = await fetch(where, {
        headers: this.token ? { Authorization: `Bearer ${this.token}` } : {},
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ProfileFetchError(`GET ${where}: ${(err as Error).message}`);
    }
    if (!res.ok) throw new ProfileFetchError(`GET ${where}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    const view = (await res.json()) as { manifest?: unknown };
    return profileOf(view.manifest, where);
  }
}
