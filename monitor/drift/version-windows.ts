/**
 * The streaming side of drift: one window per (model version, feature) and one for the
 * prediction, all of the same shape, compared on demand with the version's reference profile.
 * Memory is (tracked versions) × (features + 1) × (the window's bound): a version's windows exist
 * from `track` to `untrack`, whatever its traffic.
 */
import type { ReferenceProfile } from './profile.js';
import { compareDataset, type CurrentSample, type DatasetDrift } from './report.js';
import { CountWindow, TimeWindow, type FeatureValue, type FeatureWindow } from './window.js';

export type WindowSpec =
  | { readonly kind: 'count'; readonly size: number }
  | { readonly kind: 'time'; readonly spanMs: number; readonly buckets: number; readonly sampleSize: number };

interface TrackedVersion {
  readonly profile: ReferenceProfile;
  readonly features: ReadonlyMap<string, FeatureWindow>;
  readonly prediction?: FeatureWindow;
}

export class VersionDriftWindows {
  private readonly spec: WindowSpec;
  private readonly versions = new Map<string, TrackedVersion>();

  constructor(spec: WindowSpec) {
    const positiveInteger = (n: number, what: string): void => {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`drift window ${what} must be a positive integer, got ${n}`);
    };
    if (spec.kind === 'count') positiveInteger(spec.size, 'size');
    else {
      if (!(spec.spanMs > 0)) throw new RangeError(`drift window span must be positive, got ${spec.spanMs} ms`);
      positiveInteger(spec.buckets, 'buckets');
      positiveInteger(spec.sampleSize, 'sampleSize');
    }
    this.spec = Object.freeze({ ...spec });
  }

  /** Starts (or restarts, with empty windows) drift tracking of a version against its profile. */
  track(version: string, profile: ReferenceProfile): void {
    const features = new Map<string, FeatureWindow>();
    for (const [name, feature] of Object.entries(profile.features)) features.set(name, this.window(feature));
    const prediction = profile.prediction ? this.window(profile.prediction) : undefined;
    this.versions.set(version, { profile, features, ...(prediction ? { prediction } : {}) });
  }

  untrack(version: string): void {
    this.versions.delete(version);
  }

  get trackedVersions(): string[] {
    return [...this.versions.keys()];
  }

  /**
   * One served record: its feature values by name (missing ones skipped; names the profile does
   * not know ignored) and its prediction. False when the version is not tracked.
   */
  record(
    version: string,
    features: Readonly<Record<string, FeatureValue | null | undefined>>,
    prediction?: FeatureValue,
    atMs: number = Date.now(),
  ): boolean {
    const tracked = this.versions.get(version);
    if (!tracked) return false;
    for (const [name, window] of tracked.features) {
      const value = features[name];
      if (value !== undefined && value !== null) window.push(value, atMs);
    }
    if (prediction !== undefined && tracked.prediction) tracked.prediction.push(prediction, atMs);
    return true;
  }

  /** Drift of a version's current windows against its profile; undefined when not tracked. */
  report(version: string, atMs: number = Date.now()): DatasetDrift | undefined {
    const tracked = this.versions.get(version);
    if (!tracked) return undefined;
    const features: Record<string, CurrentSample> = {};
    for (const [name, window] of tracked.features) features[name] = window.sample(atMs);
    const prediction = tracked.prediction?.sample(atMs);
    return compareDataset(tracked.profile, { features, ...(prediction ? { prediction } : {}) });
  }

  /** Values held for a version, over all its windows (for tests and metrics). */
  retained(version: string): number {
    const tracked = this.versions.get(version);
    if (!tracked) return 0;
    let n = tracked.prediction?.retained ?? 0;
    for (const window of tracked.features.values()) n += window.retained;
    return n;
  }

  private window(feature: ReferenceProfile['features'][string]): FeatureWindow {
    return this.spec.kind === 'count' ? new CountWindow(feature, this.spec.size) : new TimeWindow(feature, this.spec);
  }
}
