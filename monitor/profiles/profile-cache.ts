/**
 * Reference profiles by version, fetched once on the first record of a version and kept. A
 * version without a profile (none in its manifest, a malformed one, or no source configured) is
 * monitored for quality only; one whose manifest could not be fetched is asked again after
 * `retryMs`.
 */
import { ManifestError } from '../../models/manifest.js';
import type { Logger } from '../../runtime/log.js';
import type { ReferenceProfile } from '../drift/profile.js';
import { ProfileFormatError } from './profile-json.js';
import type { ProfileSource } from './profile-source.js';

export type ProfileStatus =
  | { readonly state: 'loading' }
  | { readonly state: 'loaded'; readonly profile: ReferenceProfile }
  /** For good: no drift for this version. */
  | { readonly state: 'absent'; readonly reason: string }
  /** For now: asked again after retryAt. */
  | { readonly state: 'unavailable'; readonly reason: string; readonly retryAt: number };

export class ProfileCache {
  private readonly statuses = new Map<string, ProfileStatus>();
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(
    private readonly source: ProfileSource | undefined,
    private readonly retryMs: number,
    private readonly log: Logger,
  ) {}

  status(model: string, version: string): ProfileStatus | undefined {
    return this.statuses.get(key(model, version));
  }

  /** True when `ensure` would start a fetch: an unknown version, or a failed one due for retry. */
  needsFetch(model: string, version: string, nowMs: number = Date.now()): boolean {
    const s = this.statuses.get(key(model, version));
    return s === undefined || (s.state === 'unavailable' && nowMs >= s.retryAt);
  }

  /** Resolves once the version's profile is loaded or known to be missing. */
  async ensure(model: string, version: string, nowMs: number = Date.now()): Promise<ProfileStatus> {
    const k = key(model, version);
    if (this.needsFetch(model, version, nowMs) && !this.inflight.has(k)) {
      this.statuses.set(k, { state: 'loading' });
      const load = this.load(model, version).then((s) => {
        this.statuses.set(k, s);
        this.inflight.delete(k);
      });
      this.inflight.set(k, load);
    }
    await this.inflight.get(k);
    return this.statuses.get(k)!;
  }

  forget(model: string, version: string): void {
    this.statuses.delete(key(model, version));
  }

  private async load(model: string, version: string): Promise<ProfileStatus> {
    if (!this.source) return { state: 'absent', reason: 'no profile source configured (--registry URL or --repository DIR): quality only' };
    try {
      const profile = await this.source.fetch(model, version);
      if (!profile) {
        this.log.warn('version has no reference profile: drift is not monitored for it', { model, version });
        return { state: 'absent', reason: 'the manifest has no reference_profile: quality only' };
      }
      this.log.info('reference profile loaded', { model, version, features: Object.keys(profile.features).length, source: this.source.description });
      return { state: 'loaded', profile };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof ProfileFormatError || err instanceof ManifestError) {
        this.log.error('reference profile unusable: drift is not monitored for this version', { model, version, reason });
        return { state: 'absent', reason };
      }
      this.log.warn('reference profile not available; will ask again', { model, version, reason, retry_ms: this.retryMs });
      return { state: 'unavailable', reason, retryAt: Date.now() + this.retryMs };
    }
  }
}

function key(model: string, version: string): string {
  return `${model}/${version}`;
}
