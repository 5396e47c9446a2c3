/**
 * The model versions this gateway serves, and those it refused (with why).
 * Without a pinned version a request goes to the newest ready version.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { RepositoryEntry } from './types.js';
import type { ModelVersion } from './model-version.js';

export class ModelCatalog {
  private readonly models = new Map<string, Map<string, ModelVersion>>();
  private readonly refused = new Map<string, RepositoryEntry>();

  add(version: ModelVersion): void {
    const { name, version: v } = version.manifest;
    let versions = this.models.get(name);
    if (!versions) this.models.set(name, (versions = new Map()));
    versions.set(v, version);
    this.refused.delete(`${name}/${v}`);
  }

  refuse(name: string, version: string, reason: string): void {
    this.refused.set(`${name}/${version}`, { name, version, state: 'UNAVAILABLE', reason });
  }

  /** The version to serve; throws NOT_FOUND for unknown names or versions, NOT_READY while loading. */
  resolve(name: string, version?: string): ModelVersion {
    const versions = this.models.get(name);
    if (!versions) {
      const refused = [...this.refused.values()].find((e) => e.name === name);
      if (refused) throw new SwitchyardError('SY_ERR_MODEL_NOT_READY', `model '${name}' is unavailable: ${refused.reason}`);
      throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `model '${name}' not found; available: ${[...this.models.keys()].join(', ') || 'none'}`);
    }
    if (version !== undefined && version !== '') {
      const found = versions.get(version);
      if (!found) throw new SwitchyardError('SY_ERR_VERSION_NOT_FOUND', `model '${name}' has no version '${version}'; versions: ${this.versions(name).join(', ')}`);
      return found;
    }
    const newestReady = this.versions(name).reverse().map((v) => versions.get(v)!).find((mv) => mv.isReady);
    if (!newestReady) throw new SwitchyardError('SY_ERR_MODEL_NOT_READY', `model '${name}' has no ready version`);
    return newestReady;
  }

  /** Version numbers, ascending. */
  versions(name: string): string[] {
    return [...(this.models.get(name)?.keys() ?? [])].sort((a, b) => Number(a) - Number(b));
  }

  all(): ModelVersion[] {
    return [...this.models.values()].flatMap((versions) => [...versions.values()]);
  }

  entries(): RepositoryEntry[] {
    const served: RepositoryEntry[] = this.all().map((mv) => ({
      name: mv.manifest.name,
      version: mv.manifest.version,
      state: mv.isReady ? 'READY' : 'UNAVAILABLE',
      reason: mv.isReady ? '' : 'not loaded',
    }));
    return [...served, ...this.refused.values()].sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version));
  }
}
